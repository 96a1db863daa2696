"""Rows and files set aside: ``raw_meta.quarantine`` plus a JSONL file per landing file under
``home/quarantine/<source>/<entity>/`` (named after the landing file and its content hash, so a
retried load rewrites the same file instead of adding another)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from ingestion.contracts import summarize_reasons

QUARANTINE_SCHEMA = {"line": pl.Int32, "reason": pl.String, "record": pl.String}


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def quarantine_file_path(
    home: Path, source: str, entity: str, rel_file: str, file_hash: str
) -> Path:
    name = Path(rel_file).name
    return home / "quarantine" / source / entity / f"{name}.{file_hash[:12]}.jsonl"


def write_quarantine(
    con: duckdb.DuckDBPyConnection,
    *,
    home: Path,
    source: str,
    entity: str,
    batch_id: str,
    rel_file: str,
    file_hash: str,
    rows: pl.DataFrame,
    at: datetime,
) -> dict[str, int]:
    """Record ``rows`` (``line``, ``reason``, ``record``); return reason code -> count.

    Call inside the file's transaction: the JSONL file is written first (atomically), the table
    rows commit with the file's raw rows."""
    if rows.height == 0:
        return {}
    frame = rows.select(
        pl.lit(batch_id).alias("batch_id"),
        pl.lit(source).alias("source"),
        pl.lit(entity).alias("entity"),
        pl.lit(rel_file).alias("file"),
        pl.col("line").cast(pl.Int32),
        pl.col("reason").cast(pl.String),
        pl.col("record").cast(pl.String),
        pl.lit(at).alias("quarantined_at"),
    )
    path = quarantine_file_path(home, source, entity, rel_file, file_hash)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.with_columns(pl.col("quarantined_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")).write_ndjson(
        tmp
    )
    os.replace(tmp, path)
    con.register("_ingest_quarantine", frame)
    try:
        con.execute(
            "INSERT INTO raw_meta.quarantine (batch_id, source, entity, file, line, reason, "
            "record, quarantined_at) SELECT batch_id, source, entity, file, line, reason, record, "
            "quarantined_at FROM _ingest_quarantine"
        )
    finally:
        con.unregister("_ingest_quarantine")
    return summarize_reasons(frame["reason"].to_list())
