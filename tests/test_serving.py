"""The serving snapshot is published atomically and readers never see a half-built state."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from revstack import serving


def _warehouse(path: Path, mrr: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.metrics_monthly as select 1 as m, $1 as mrr", [mrr]
        )
        con.execute("create schema if not exists staging")
        con.execute("create or replace table staging.hidden as select 1 as x")


def test_publish_copies_marts_and_swaps_atomically(tmp_path: Path):
    wh, snap = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    _warehouse(wh, 100)
    first = serving.publish(wh, snap, schemas=("marts",), build_id="b1")
    assert first.tables == {"marts.metrics_monthly": 1}
    reader = serving.connect_snapshot(snap)
    assert reader.execute("select mrr from marts.metrics_monthly").fetchone() == (100,)
    # staging is not published
    tables = reader.execute("select table_schema from information_schema.tables").fetchall()
    assert ("staging",) not in tables

    _warehouse(wh, 250)
    serving.publish(wh, snap, schemas=("marts",), build_id="b2")
    # the open reader keeps its consistent old snapshot; a new reader sees the new one
    assert reader.execute("select mrr from marts.metrics_monthly").fetchone() == (100,)
    reader.close()
    with serving.connect_snapshot(snap) as fresh:
        assert fresh.execute("select mrr from marts.metrics_monthly").fetchone() == (250,)
        assert fresh.execute("select build_id from meta.snapshot").fetchone() == ("b2",)
    assert not list(tmp_path.glob(".*.tmp"))


def test_failed_publish_leaves_previous_snapshot(tmp_path: Path):
    wh, snap = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    _warehouse(wh, 100)
    serving.publish(wh, snap, schemas=("marts",))
    before = snap.read_bytes()
    with pytest.raises(FileNotFoundError):
        serving.publish(tmp_path / "missing.duckdb", snap)
    assert snap.read_bytes() == before


def test_connect_snapshot_is_read_only(tmp_path: Path):
    wh, snap = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    _warehouse(wh, 1)
    serving.publish(wh, snap, schemas=("marts",))
    with serving.connect_snapshot(snap) as con, pytest.raises(duckdb.Error):
        con.execute("create table marts.x as select 1")
