"""The serving snapshot (DESIGN §7).

DuckDB lets one process write a database file and no other process open it meanwhile, not even
read-only. So the pipeline writes the working warehouse, and after a successful build
:func:`publish` copies the published schemas into a brand-new file next to the snapshot and
``os.replace``-s it over the previous one. The rename is atomic on POSIX: a reader that opened the
old file keeps reading the old inode; a reader that opens the path afterwards sees the new file;
nobody ever sees a half-written snapshot, and readers never block the pipeline.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from revstack import config

# Schemas copied into the snapshot: the marts (the public contract), the load metadata the app
# shows on its data-health page (what loaded, what was quarantined, schema drift), and the alerts
# raised by the checks (``ops.alerts``, see revstack.alerts).
PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts", "raw_meta", "ops")


@dataclass(frozen=True)
class PublishResult:
    path: Path
    published_at: datetime
    tables: dict[str, int] = field(default_factory=dict)  # "schema.table" -> row count


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def _swap(serving: Path, copy_current: bool = False) -> Iterator[Path]:
    """A new file beside the snapshot that replaces it atomically when the block succeeds.

    Writers of the snapshot (the full publish, the live publish, the ops refresh after a run)
    take turns on an advisory lock, so that none replaces the snapshot with a copy made before
    another's swap. ``copy_current`` starts the new file as a copy of the current snapshot."""
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(f".{serving.name}.{uuid.uuid4().hex}.tmp")
    with open(serving.with_name(f".{serving.name}.lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if copy_current:
                shutil.copyfile(serving, tmp)
            yield tmp
            os.replace(tmp, serving)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            with contextlib.suppress(FileNotFoundError):
                Path(str(tmp) + ".wal").unlink()


def _attached(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    con.execute(f"ATTACH {_sql_str(str(warehouse))} AS wh (READ_ONLY)")


def _copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    """``schema.table`` of the attached warehouse into the snapshot (replacing it); its rows."""
    target = f"{_quote(schema)}.{_quote(table)}"
    con.execute(f"create schema if not exists {_quote(schema)}")
    con.execute(f"create or replace table {target} as select * from wh.{target}")
    (count,) = con.execute(f"select count(*) from {target}").fetchone()
    return count


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list:
    return con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()


def _apply_changes(con: duckdb.DuckDBPyConnection, schema: str, table: str, key: str) -> int:
    """Bring the snapshot's ``schema.table`` up to the warehouse's by its unique ``key``: the
    rows that differ are replaced, those gone are deleted (a table of the same columns; else
    it is copied whole). Cheaper than a copy when a beat changed a few rows of a large table:
    the copy writes and compresses every row again. Returns its rows."""
    (here,) = con.execute("select current_database()").fetchone()
    columns = _columns(con, here, schema, table)
    if not columns or columns != _columns(con, "wh", schema, table):
        return _copy_table(con, schema, table)
    target, k = f"{_quote(schema)}.{_quote(table)}", _quote(key)
    con.execute(
        f"create or replace temp table _changed as"
        f" select * from wh.{target} except all select * from {target}"
    )
    con.execute(
        f"delete from {target} where {k} in (select {k} from _changed)"
        f" or {k} not in (select {k} from wh.{target})"
    )
    con.execute(f"insert into {target} select * from _changed")
    con.execute("drop table _changed")
    (count,) = con.execute(f"select count(*) from {target}").fetchone()
    return count


def _warehouse_tables(con: duckdb.DuckDBPyConnection, schemas) -> list[tuple[str, str]]:
    return con.execute(
        """
        select table_schema, table_name
        from information_schema.tables
        where table_catalog = 'wh' and table_schema = any($schemas)
        order by table_schema, table_name
        """,
        {"schemas": list(schemas)},
    ).fetchall()


def _record_refreshes(
    con: duckdb.DuckDBPyConnection, tables: dict[str, int], at: datetime, build_id: str | None
) -> None:
    """``meta.tables``: when each published table was last refreshed, by which run."""
    con.execute("create schema if not exists meta")
    con.execute(
        "create table if not exists meta.tables (table_name varchar primary key,"
        " refreshed_at timestamp, build_id varchar, row_count bigint)"
    )
    for name, count in tables.items():
        con.execute(
            "insert or replace into meta.tables values (?, ?, ?, ?)", [name, at, build_id, count]
        )


def publish(
    warehouse: Path | None = None,
    serving: Path | None = None,
    schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
    build_id: str | None = None,
    keep: Iterable[str] = (),
) -> PublishResult:
    """Copy ``schemas`` from the warehouse into a new file and swap it over the snapshot atomically.

    ``keep`` names tables (``"schema.table"``) taken from the current snapshot instead, with their
    refresh records, when it has them: the live marts, which the live worker keeps current while
    a full build publishes from its copy of the warehouse (the build republishes them after).

    The caller must not hold a connection to ``warehouse`` open in this process with a different
    configuration; the warehouse is attached read-only here.
    """
    warehouse = warehouse or config.warehouse_path()
    serving = serving or config.serving_path()
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse to publish at {warehouse}; run `revstack build`")
    published_at = datetime.now(UTC).replace(tzinfo=None)
    tables: dict[str, int] = {}
    with _swap(serving) as tmp:
        con = duckdb.connect(str(tmp))
        try:
            _attached(con, warehouse)
            kept = _kept_tables(con, serving, set(keep))
            for schema in schemas:
                con.execute(f"create schema if not exists {_quote(schema)}")
            for schema, table in _warehouse_tables(con, schemas):
                name = f"{schema}.{table}"
                if name not in kept:
                    tables[name] = _copy_table(con, schema, table)
            _record_refreshes(con, tables, published_at, build_id)
            if kept:
                tables |= _copy_kept(con, kept)
            con.execute(
                "create table meta.snapshot as select"
                " $published_at::timestamp as published_at, $build_id as build_id,"
                " $tables::varchar as tables_json",
                {
                    "published_at": published_at,
                    "build_id": build_id,
                    "tables": _json(tables),
                },
            )
            con.execute("detach wh")
            con.execute("checkpoint")
        finally:
            con.close()
    return PublishResult(path=serving, published_at=published_at, tables=tables)


def _kept_tables(con: duckdb.DuckDBPyConnection, serving: Path, keep: set[str]) -> set[str]:
    """Of ``keep``, the tables the current snapshot has (attached as ``cur``, when any)."""
    if not keep or not serving.exists():
        return set()
    con.execute(f"ATTACH {_sql_str(str(serving))} AS cur (READ_ONLY)")
    have = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = 'cur'"
        ).fetchall()
    }
    return keep & have


def _copy_kept(con: duckdb.DuckDBPyConnection, kept: set[str]) -> dict[str, int]:
    """The ``kept`` tables and their ``meta.tables`` rows from the attached current snapshot."""
    counts = {}
    for name in sorted(kept):
        schema, table = name.split(".", 1)
        target = f"{_quote(schema)}.{_quote(table)}"
        con.execute(f"create schema if not exists {_quote(schema)}")
        con.execute(f"create or replace table {target} as select * from cur.{target}")
        (counts[name],) = con.execute(f"select count(*) from {target}").fetchone()
    con.execute(
        "insert or replace into meta.tables select * from cur.meta.tables"
        " where list_contains($kept, table_name)",
        {"kept": sorted(kept)},
    )
    con.execute("detach cur")
    return counts


def publish_tables(
    tables: Iterable[str],
    warehouse: Path | None = None,
    serving: Path | None = None,
    build_id: str | None = None,
    schemas: tuple[str, ...] = ("raw_meta",),
    keys: dict[str, str] | None = None,
) -> PublishResult:
    """Replace only ``tables`` (``"schema.table"``) and every table of ``schemas`` in the
    snapshot with the warehouse's, by the same copy-and-swap as :func:`publish` (the live path).
    A table with a unique key in ``keys`` (``"schema.table"`` → column) gets only its changed
    rows (:func:`_apply_changes`).

    Every other table stays as the last publish left it; ``meta.tables`` records the refresh of
    the replaced ones (``meta.snapshot`` still names the last full publish). Tables outside
    :data:`PUBLISHED_SCHEMAS` are ignored. Without a snapshot this is a full :func:`publish`.
    """
    warehouse = warehouse or config.warehouse_path()
    serving = serving or config.serving_path()
    if not serving.exists():
        return publish(warehouse, serving, build_id=build_id)
    refreshed_at = datetime.now(UTC).replace(tzinfo=None)
    wanted = {tuple(name.split(".", 1)) for name in tables}
    copied: dict[str, int] = {}
    with _swap(serving, copy_current=True) as tmp:
        con = duckdb.connect(str(tmp))
        try:
            _attached(con, warehouse)
            for schema, table in _warehouse_tables(con, PUBLISHED_SCHEMAS):
                name = f"{schema}.{table}"
                if name in (keys or {}) and (schema, table) in wanted:
                    copied[name] = _apply_changes(con, schema, table, keys[name])
                elif (schema, table) in wanted or schema in schemas:
                    copied[name] = _copy_table(con, schema, table)
            _record_refreshes(con, copied, refreshed_at, build_id)
            con.execute("detach wh")
            con.execute("checkpoint")
        finally:
            con.close()
    return PublishResult(path=serving, published_at=refreshed_at, tables=copied)


def refresh_ops(warehouse: Path | None = None, serving: Path | None = None) -> bool:
    """Replace the snapshot's ``ops`` schema (alerts, build log) with the warehouse's, keeping its
    marts as they are, by the same copy-and-swap as :func:`publish`.

    After a build that did not publish (a blocking check failed), the app still shows the last
    good marts, and the alerts that say why they are not newer. Returns False when there is no
    snapshot or no ``ops`` schema yet.
    """
    warehouse = warehouse or config.warehouse_path()
    serving = serving or config.serving_path()
    if not serving.exists() or not warehouse.exists():
        return False
    with duckdb.connect() as con:
        _attached(con, warehouse)
        tables = [t for _, t in _warehouse_tables(con, ("ops",))]
    if not tables:
        return False
    with _swap(serving, copy_current=True) as tmp:
        con = duckdb.connect(str(tmp))
        try:
            _attached(con, warehouse)
            con.execute("drop schema if exists ops cascade")
            for table in tables:
                _copy_table(con, "ops", table)
            con.execute("detach wh")
            con.execute("checkpoint")
        finally:
            con.close()
    return True


def connect_snapshot(serving: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot (what the app and analysts use).

    The snapshot is attached (read-only, as catalog ``serving``) to a new in-memory database
    rather than opened with ``duckdb.connect(path)``: DuckDB keeps one database per path and
    process, so while any connection to the path is open, ``connect(path)`` returns that old
    database, the file before the last swap, and a long-lived reader never sees a newer publish.
    An attach opens the file the path names now."""
    serving = serving or config.serving_path()
    if not serving.exists():
        raise FileNotFoundError(
            f"no serving snapshot at {serving}; run `revstack build` to publish one"
        )
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_sql_str(str(serving))} AS serving (READ_ONLY)")
        con.execute("USE serving")
    except BaseException:
        con.close()
        raise
    return con


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _json(value: dict[str, int]) -> str:
    import json

    return json.dumps(value, sort_keys=True)
