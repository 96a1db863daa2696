"""The build copy (revstack.build_copy): a full build works on a copy of the warehouse, and the
copy swaps in with everything the warehouse took in meanwhile — raw rows, drifted columns, load
records, alerts — and with the models the build made."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingestion import ensure_raw_tables
from revstack import build_copy


def _load(con: duckdb.DuckDBPyConnection, batch: str, path: str, ids: list[str]) -> None:
    """What ingestion records for one landing file of gateway events."""
    for line, object_id in enumerate(ids, start=1):
        con.execute(
            "insert into raw_gateway.events (id, data, _batch_id, _file, _line, _loaded_at)"
            " values (?, '{}', ?, ?, ?, now()::timestamp)",
            [object_id, batch, path, line],
        )
    con.execute(
        "insert into raw_meta.loaded_files values (md5(?), 'gateway', 'events', ?, ?, ?, 0,"
        " now()::timestamp)",
        [path, path, batch, len(ids)],
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse" / "revstack.duckdb"
    path.parent.mkdir()
    with duckdb.connect(str(path)) as con:
        ensure_raw_tables(con)
        _load(con, "b1", "landing/gateway/events/1.jsonl", ["evt_1", "evt_2"])
        con.execute("create schema marts")
        con.execute("create table marts.fct as select 1 as version")
        con.execute("create schema ops")
        con.execute("create table ops.builds (run_id varchar primary key, n integer)")
        con.execute("insert into ops.builds values ('r0', 0)")
    return path


def test_the_copy_swaps_in_with_what_the_warehouse_took_in_meanwhile(warehouse: Path):
    copy = build_copy.begin("run1", warehouse)
    assert copy == warehouse.parent / "builds" / "run1.duckdb"
    # the build works on its copy ...
    with duckdb.connect(str(copy)) as con:
        con.execute("create or replace table marts.fct as select 2 as version")
    # ... while the live worker loads two files (one with a drifted column) and an alert lands
    with duckdb.connect(str(warehouse)) as con:
        _load(con, "b2", "landing/gateway/events/2.jsonl", ["evt_3"])
        con.execute("alter table raw_gateway.events add column livemode_extra varchar")
        _load(con, "b3", "landing/gateway/events/3.jsonl", ["evt_4", "evt_5"])
        con.execute("update raw_gateway.events set livemode_extra = 'x' where id = 'evt_5'")
        con.execute("insert into ops.builds values ('r1', 1)")
        con.execute("create table ops.notes as select 'kept' as note")
    assert build_copy.catch_up(copy, warehouse) == ["b2", "b3"]
    assert build_copy.catch_up(copy, warehouse) == []  # nothing new the second time
    build_copy.swap(copy, warehouse)
    assert not copy.exists()
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute(
            "select id, _batch_id, livemode_extra from raw_gateway.events order by id"
        ).fetchall() == [
            ("evt_1", "b1", None),
            ("evt_2", "b1", None),
            ("evt_3", "b2", None),
            ("evt_4", "b3", None),
            ("evt_5", "b3", "x"),
        ]
        assert con.execute("select count(*) from raw_meta.loaded_files").fetchone() == (3,)
        assert con.execute("select version from marts.fct").fetchall() == [(2,)]  # the build's
        assert con.execute("select note from ops.notes").fetchall() == [("kept",)]
        # the primary key came along: `insert or replace` (checks.post_run) still works
        con.execute("insert or replace into ops.builds values ('r1', 2)")
        assert con.execute("select * from ops.builds order by 1").fetchall() == [
            ("r0", 0),
            ("r1", 2),
        ]


def test_a_raw_layer_rewritten_during_the_build_stops_the_swap(warehouse: Path):
    copy = build_copy.begin("run2", warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw_gateway.events where _batch_id = 'b1'")
        con.execute("delete from raw_meta.loaded_files where batch_id = 'b1'")
    with pytest.raises(build_copy.CatchUpError, match="1 loaded file"):
        build_copy.catch_up(copy, warehouse)
    with duckdb.connect(str(warehouse)) as con:  # the warehouse is as it was
        assert con.execute("select count(*) from raw_gateway.events").fetchone() == (0,)


def test_only_the_copies_of_finished_builds_are_discarded(warehouse: Path):
    for run_id in ("old", "running"):
        build_copy.begin(run_id, warehouse)
    gone = build_copy.discard(warehouse, keep=lambda run_id: run_id == "running")
    assert [p.name for p in gone] == ["old.duckdb"]
    assert [p.name for p in (warehouse.parent / "builds").iterdir()] == ["running.duckdb"]


def test_warehouse_env_sets_and_restores_the_profile_path(monkeypatch, tmp_path: Path):
    import os

    monkeypatch.setenv("REVSTACK_WAREHOUSE", "/before")
    with build_copy.warehouse_env(tmp_path / "x.duckdb"):
        assert os.environ["REVSTACK_WAREHOUSE"] == str(tmp_path / "x.duckdb")
    assert os.environ["REVSTACK_WAREHOUSE"] == "/before"
