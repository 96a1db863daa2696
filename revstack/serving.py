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
import os
import shutil
import uuid
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


def publish(
    warehouse: Path | None = None,
    serving: Path | None = None,
    schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
    build_id: str | None = None,
) -> PublishResult:
    """Copy ``schemas`` from the warehouse into a new file and swap it over the snapshot atomically.

    The caller must not hold a connection to ``warehouse`` open in this process with a different
    configuration; the warehouse is attached read-only here.
    """
    warehouse = warehouse or config.warehouse_path()
    serving = serving or config.serving_path()
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse to publish at {warehouse}; run `revstack build`")
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(f".{serving.name}.{uuid.uuid4().hex}.tmp")
    published_at = datetime.now(UTC).replace(tzinfo=None)
    tables: dict[str, int] = {}
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(f"ATTACH {_sql_str(str(warehouse))} AS wh (READ_ONLY)")
            rows = con.execute(
                """
                select table_schema, table_name
                from information_schema.tables
                where table_catalog = 'wh' and table_schema = any($schemas)
                order by table_schema, table_name
                """,
                {"schemas": list(schemas)},
            ).fetchall()
            for schema in schemas:
                con.execute(f"create schema if not exists {_quote(schema)}")
            for schema, table in rows:
                target = f"{_quote(schema)}.{_quote(table)}"
                con.execute(f"create table {target} as select * from wh.{target}")
                (count,) = con.execute(f"select count(*) from {target}").fetchone()
                tables[f"{schema}.{table}"] = count
            con.execute("create schema if not exists meta")
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
        os.replace(tmp, serving)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        with contextlib.suppress(FileNotFoundError):
            Path(str(tmp) + ".wal").unlink()
    return PublishResult(path=serving, published_at=published_at, tables=tables)


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
    tmp = serving.with_name(f".{serving.name}.{uuid.uuid4().hex}.tmp")
    try:
        shutil.copyfile(serving, tmp)
        con = duckdb.connect(str(tmp))
        try:
            con.execute(f"ATTACH {_sql_str(str(warehouse))} AS wh (READ_ONLY)")
            tables = con.execute(
                "select table_name from information_schema.tables"
                " where table_catalog = 'wh' and table_schema = 'ops' order by table_name"
            ).fetchall()
            if not tables:
                return False
            con.execute("drop schema if exists ops cascade")
            con.execute("create schema ops")
            for (table,) in tables:
                target = f"ops.{_quote(table)}"
                con.execute(f"create table {target} as select * from wh.{target}")
            con.execute("detach wh")
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(tmp, serving)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        with contextlib.suppress(FileNotFoundError):
            Path(str(tmp) + ".wal").unlink()


def connect_snapshot(serving: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot (what the app and analysts use)."""
    serving = serving or config.serving_path()
    if not serving.exists():
        raise FileNotFoundError(
            f"no serving snapshot at {serving}; run `revstack build` to publish one"
        )
    return duckdb.connect(str(serving), read_only=True)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _json(value: dict[str, int]) -> str:
    import json

    return json.dumps(value, sort_keys=True)
