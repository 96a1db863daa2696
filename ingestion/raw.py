"""The raw layer's DDL (contracts §3) and the small SQL helpers that write to it."""

from __future__ import annotations

import duckdb

from ingestion.registry import CSV_CONTRACTS, ENTITIES

META_COLUMNS = '"_batch_id" VARCHAR, "_file" VARCHAR, "_line" INTEGER, "_loaded_at" TIMESTAMP'

# Raw JSON is stored with zstd: DuckDB's default choice for long strings (dict_fsst) made the
# checkpoint of a large gateway file 10x slower than the whole load.
_JSON = "JSON USING COMPRESSION zstd"
_GATEWAY_COLUMNS = (
    f'id VARCHAR, "object" VARCHAR, created TIMESTAMP, _version_at TIMESTAMP, data {_JSON}'
)
_EVENT_COLUMNS = (
    f'id VARCHAR, "object" VARCHAR, created TIMESTAMP, _version_at TIMESTAMP, data {_JSON}, '
    '"type" VARCHAR, api_version VARCHAR, object_type VARCHAR, object_id VARCHAR'
)
_USAGE_COLUMNS = (
    'id VARCHAR, "source" VARCHAR, "type" VARCHAR, subject VARCHAR, specversion VARCHAR, '
    f'datacontenttype VARCHAR, "time" TIMESTAMP, data {_JSON}'
)
_FX_COLUMNS = "rate_date DATE, currency VARCHAR, rate DECIMAL(18,6)"

META_TABLES: dict[str, str] = {
    "loaded_files": (
        "file_hash VARCHAR, source VARCHAR, entity VARCHAR, path VARCHAR, batch_id VARCHAR, "
        "rows_loaded BIGINT, rows_quarantined BIGINT, loaded_at TIMESTAMP"
    ),
    "quarantine": (
        "batch_id VARCHAR, source VARCHAR, entity VARCHAR, file VARCHAR, line INTEGER, "
        "reason VARCHAR, record VARCHAR, quarantined_at TIMESTAMP"
    ),
    # a landing file whose content was already loaded under another name (a re-delivery): kept
    # out of the raw tables, recorded once per path for the checks step (duplicate_delivery)
    "duplicate_files": (
        "path VARCHAR, source VARCHAR, entity VARCHAR, file_hash VARCHAR, first_path VARCHAR, "
        "detected_at TIMESTAMP"
    ),
    "schema_drift": (
        "batch_id VARCHAR, source VARCHAR, entity VARCHAR, file VARCHAR, kind VARCHAR, "
        "column_name VARCHAR, severity VARCHAR, detected_at TIMESTAMP"
    ),
}


def ident(name: str) -> str:
    """A quoted SQL identifier (``user`` and ``type`` are keywords; drifted names are free text)."""
    return '"' + name.replace('"', '""') + '"'


def table_name(source: str, entity: str) -> str:
    return f"{ident('raw_' + source)}.{ident(entity)}"


def data_columns_ddl(source: str, entity: str) -> str:
    """The column list of a raw table, before the load metadata columns."""
    if source == "gateway":
        return _EVENT_COLUMNS if entity == "events" else _GATEWAY_COLUMNS
    if source == "usage":
        return _USAGE_COLUMNS
    if source == "fx":
        return _FX_COLUMNS
    contract = CSV_CONTRACTS[(source, entity)]
    return ", ".join(f"{ident(c)} VARCHAR" for c in contract.columns)


def table_ddl(source: str, entity: str) -> str:
    columns = f"{data_columns_ddl(source, entity)}, {META_COLUMNS}"
    return f"CREATE TABLE IF NOT EXISTS {table_name(source, entity)} ({columns})"


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw schema and table of contracts §3 (empty) and ``raw_meta.*``.

    Idempotent: existing tables (and columns added by drift) are left as they are.
    """
    statements = [
        "CREATE SCHEMA IF NOT EXISTS raw_meta",
        # ingestion's own memory (not published): landing file hashes by path, size, ctime
        "CREATE SCHEMA IF NOT EXISTS raw_cache",
        "CREATE TABLE IF NOT EXISTS raw_cache.landing_file_hashes "
        "(path VARCHAR, size BIGINT, ctime_ns BIGINT, file_hash VARCHAR)",
    ]
    statements += [
        f"CREATE TABLE IF NOT EXISTS raw_meta.{name} ({cols})" for name, cols in META_TABLES.items()
    ]
    for source, entities in ENTITIES.items():
        statements.append(f"CREATE SCHEMA IF NOT EXISTS {ident('raw_' + source)}")
        statements += [table_ddl(source, entity) for entity in entities]
    for sql in statements:
        con.execute(sql)


def table_columns(con: duckdb.DuckDBPyConnection, source: str, entity: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position",
        [f"raw_{source}", entity],
    ).fetchall()
    return [r[0] for r in rows]
