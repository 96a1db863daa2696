"""The build copy: a full build writes a copy of the warehouse, so the live worker never waits.

A scheduled build's dbt step takes minutes at 10,000 customers; DuckDB lets one process write a
file, so while the step held the warehouse, the live worker skipped its beats and payments
waited. Instead the build works on its own copy, and the warehouse is only locked for moments:

1. :func:`begin` (dbt step, under the writer lock): checkpoint the warehouse and copy the file to
   ``warehouse/builds/<run id>.duckdb``. The dbt build and the checks then work on the copy,
   without the lock; the live worker goes on loading and publishing into the warehouse.
2. :func:`catch_up` (publish step, under the lock): bring into the copy what the warehouse took
   in meanwhile. The warehouse keeps the layers that are not dbt's: the raw tables (append-only:
   the rows of every file ``raw_meta.loaded_files`` records that the copy lacks are appended),
   ``raw_meta``, ``raw_cache`` and ``ops`` (small; replaced whole, so the alerts recorded in the
   warehouse meanwhile are kept). Everything dbt builds comes from the copy. Returns the raw
   batches caught up, which the live models of the copy must still take in (the publish step
   builds them as a live beat would; see ``orchestration/defs/publish.py``).
3. :func:`swap` (same lock): the copy replaces the warehouse file (``os.replace``, atomic).

A build that fails before its publish leaves the warehouse as it was; its copy is deleted by the
next build (:func:`discard`). The copy needs as much free disk as the warehouse.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from revstack import config

#: schemas of the warehouse written outside dbt: taken from the warehouse when the copy swaps in
KEPT_SCHEMAS = ("raw_meta", "raw_cache", "ops")
RAW_PREFIX = "raw_"


class CatchUpError(RuntimeError):
    """The warehouse changed in a way a copy cannot take in (a raw row removed)."""


def builds_dir(warehouse: Path | None = None) -> Path:
    return (warehouse or config.warehouse_path()).parent / "builds"


def path_for(run_id: str, warehouse: Path | None = None) -> Path:
    """The copy a build run works on."""
    return builds_dir(warehouse) / f"{run_id}.duckdb"


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so that the file alone is the database."""
    con = duckdb.connect(str(path))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def begin(run_id: str, warehouse: Path | None = None) -> Path:
    """Copy the warehouse for build ``run_id``; the caller holds the writer lock."""
    warehouse = warehouse or config.warehouse_path()
    target = path_for(run_id, warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in (target, _wal(target)):
        stale.unlink(missing_ok=True)
    if not warehouse.exists():  # a first build: an empty database to start from
        duckdb.connect(str(target)).close()
        return target
    _checkpoint(warehouse)
    tmp = target.with_name(target.name + ".tmp")
    shutil.copyfile(warehouse, tmp)
    os.replace(tmp, target)
    return target


def discard(
    warehouse: Path | None = None, keep: Callable[[str], bool] = lambda run_id: False
) -> list[Path]:
    """Delete the copies of builds that are over (``keep(run_id)`` is False); what it deleted."""
    folder = builds_dir(warehouse)
    gone = []
    for path in sorted(folder.glob("*.duckdb*")) if folder.is_dir() else []:
        run_id = path.name.split(".", 1)[0]
        if not keep(run_id):
            path.unlink(missing_ok=True)
            gone.append(path)
    return gone


@contextmanager
def warehouse_env(path: Path) -> Iterator[None]:
    """``REVSTACK_WAREHOUSE`` (which dbt's profile reads) set to ``path`` for the block."""
    before = os.environ.get("REVSTACK_WAREHOUSE")
    os.environ["REVSTACK_WAREHOUSE"] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("REVSTACK_WAREHOUSE", None)
        else:
            os.environ["REVSTACK_WAREHOUSE"] = before


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[tuple[str, str], list]:
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns"
        " where table_catalog = ? order by table_schema, table_name, ordinal_position",
        [catalog],
    ).fetchall()
    out: dict[tuple[str, str], list] = {}
    for schema, table, column, dtype in rows:
        out.setdefault((schema, table), []).append((column, dtype))
    return out


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _replace_schema(con, schema: str, theirs: dict, ours: dict) -> None:
    """Make the copy's ``schema`` the attached warehouse's: same tables, same rows, and the same
    DDL (``ops.builds`` and ``ops.alerts`` have primary keys that ``insert or replace`` needs)."""
    con.execute(f"create schema if not exists {_q(schema)}")
    for s, table in ours:
        if s == schema and (s, table) not in theirs:
            con.execute(f"drop table {_q(s)}.{_q(table)}")
    ddl = dict(
        ((s, t), sql)
        for s, t, sql in con.execute(
            "select schema_name, table_name, sql from duckdb_tables() where database_name = 'wh'"
            " and schema_name = ?",
            [schema],
        ).fetchall()
    )
    for (s, table), columns in theirs.items():
        if s != schema:
            continue
        target = f"{_q(s)}.{_q(table)}"
        if ours.get((s, table)) != columns:
            con.execute(f"drop table if exists {target}")
            con.execute(ddl[(s, table)])
        else:
            con.execute(f"delete from {target}")
        con.execute(f"insert into {target} select * from wh.{target}")


def catch_up(build: Path, warehouse: Path | None = None) -> list[str]:
    """Bring the warehouse's own layers into the copy ``build``; the caller holds the writer
    lock. Returns the raw batches (``_batch_id``) appended, sorted."""
    warehouse = warehouse or config.warehouse_path()
    _checkpoint(warehouse)  # a write-ahead log left by a killed writer is in the file now
    con = duckdb.connect(str(build))
    try:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        (here,) = con.execute("select current_database()").fetchone()
        theirs, ours = _tables(con, "wh"), _tables(con, here)
        # the files the warehouse loaded that the copy has not: their rows are appended
        loaded = "select batch_id, path from {}raw_meta.loaded_files"
        none = "select null::varchar as batch_id, null::varchar as path where false"
        theirs_loaded = loaded.format("wh.") if ("raw_meta", "loaded_files") in theirs else none
        ours_loaded = loaded.format("") if ("raw_meta", "loaded_files") in ours else none
        con.execute(f"create temp table _new_files as {theirs_loaded} except {ours_loaded}")
        (lost,) = con.execute(
            f"select count(*) from ({ours_loaded} except {theirs_loaded})"
        ).fetchone()
        if lost:
            raise CatchUpError(
                f"{lost} loaded file(s) of the build's copy are gone from the warehouse: the raw "
                "layer was rewritten during the build; the next build starts from it"
            )
        batches = [
            b
            for (b,) in con.execute(
                "select distinct batch_id from _new_files order by 1"
            ).fetchall()
        ]
        con.execute("begin")
        for (schema, table), columns in theirs.items():
            if not schema.startswith(RAW_PREFIX) or schema in KEPT_SCHEMAS:
                continue
            target = f"{_q(schema)}.{_q(table)}"
            if (schema, table) not in ours:
                con.execute(f"create schema if not exists {_q(schema)}")
                con.execute(f"create table {target} as select * from wh.{target} limit 0")
            have = {c for c, _ in ours.get((schema, table), [])}
            for column, dtype in columns:  # a column schema drift added meanwhile
                if column not in have:
                    con.execute(f"alter table {target} add column {_q(column)} {dtype}")
            if batches:
                # the batch ids as literals: the scan skips the row groups of older batches
                con.execute(
                    f"insert into {target} by name select * from wh.{target} as t"
                    f" where t._batch_id in ({', '.join(_lit(b) for b in batches)})"
                    " and exists (select 1 from _new_files as n"
                    " where n.batch_id = t._batch_id and n.path = t._file)"
                )
        for schema in KEPT_SCHEMAS:
            _replace_schema(con, schema, theirs, ours)
        con.execute("commit")
        con.execute("detach wh")
        con.execute("checkpoint")
    finally:
        con.close()
    return batches


def swap(build: Path, warehouse: Path | None = None) -> None:
    """The copy becomes the warehouse; the caller holds the writer lock (and caught it up)."""
    warehouse = warehouse or config.warehouse_path()
    _checkpoint(build)
    _wal(build).unlink(missing_ok=True)  # empty after the checkpoint
    if _wal(warehouse).exists():  # would be replayed onto the new file
        _checkpoint(warehouse)
        _wal(warehouse).unlink(missing_ok=True)
    os.replace(build, warehouse)
