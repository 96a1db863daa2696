"""A build costs what changed (issue 14): nothing new costs nothing; `--full-refresh` rebuilds.

On a copy of the built small company: a build with nothing new stops before Dagster and leaves
the snapshot as it is; a new landing file is something new, and the incremental build it starts
reads only what landed since the last one (a typed value changed by hand stays changed);
`--full-refresh` rebuilds every table from the raw layer (the value is the source's again).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion import HashCache, ensure_raw_tables
from revstack import build_state
from tests.conftest import revstack

pytestmark = pytest.mark.e2e


@pytest.fixture
def home(small_home: Path, tmp_path: Path) -> Path:
    """A copy of the built small company."""
    home = tmp_path / "home"
    for part in ("landing", "truth", "warehouse"):
        shutil.copytree(small_home / part, home / part)
    return home


def _one(path: Path, sql: str, *params):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchone()


def _dagster_runs(home: Path) -> int:
    runs = home / "dagster" / "storage"
    return len(list(runs.iterdir())) if runs.is_dir() else 0


def test_nothing_new_costs_nothing_and_full_refresh_rebuilds(home: Path):
    warehouse = home / "warehouse" / "revstack.duckdb"
    snapshot = home / "warehouse" / "serving.duckdb"
    # the copy's landing files have new paths and change times: its first build hashes them
    # again, loads nothing, and its dbt step finds the published build's state: it skips dbt,
    # the checks and the publish
    first = revstack(home, "build")
    assert build_state.NOTHING_NEW in first.stdout, first.stdout[-2000:]
    assert "loaded raw_" not in first.stdout
    published_at = snapshot.stat().st_mtime_ns

    # now every landing file is known by path, size and change time: no Dagster run at all
    runs = _dagster_runs(home)
    second = revstack(home, "build")
    assert second.stdout.startswith("nothing new since the last published build"), second.stdout
    assert _dagster_runs(home) == runs and snapshot.stat().st_mtime_ns == published_at

    # a new landing file (a redelivered copy under a new name) is something new ...
    events = sorted((home / "landing" / "gateway" / "events").glob("*.jsonl"))
    shutil.copy(events[0], events[0].with_name("zz_redelivered_events.jsonl"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert not build_state.landing_unchanged(con, home)
    # ... and the build it starts reads only the raw rows loaded since the last one: a typed
    # value changed by hand is not parsed again
    (product_id, name) = _one(
        warehouse,
        "select product_id, product_name from staging.stg_gateway__products order by 1 limit 1",
    )
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update staging.stg_gateway__product_versions set product_name = 'changed by hand'"
            " where product_id = ?",
            [product_id],
        )
    third = revstack(home, "build")
    assert "snapshot published at" in third.stdout
    assert "dbt docs generated" in third.stdout  # the copy had no docs site
    assert _one(warehouse, "select count(*) from raw_meta.duplicate_files") == (1,)
    latest = "select product_name from staging.stg_gateway__products where product_id = ?"
    assert _one(warehouse, latest, product_id) == ("changed by hand",)
    # --full-refresh, the way back, parses every raw row again
    refreshed = revstack(home, "build", "--full-refresh")
    assert "snapshot published at" in refreshed.stdout
    # the docs site shows the models' columns: the same code and columns keep it as it is
    assert "dbt docs: unchanged (same models and columns)" in refreshed.stdout
    assert _one(warehouse, latest, product_id) == (name,) != ("changed by hand",)


def test_the_landing_hash_cache_is_kept_in_the_warehouse(tmp_path: Path):
    """Hashes computed by one build are read by the next (by path, size and change time); a
    file rewritten in place is hashed again."""
    landed = tmp_path / "a.jsonl"
    landed.write_text('{"id": 1}\n')
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        ensure_raw_tables(con)
        cache = HashCache.load(con)
        digest, raw = cache.hash_of(landed)
        assert raw == b'{"id": 1}\n' and cache.save(con) == 1 and cache.save(con) == 0
    with duckdb.connect(str(path)) as con:
        again = HashCache.load(con)
        assert again.hash_of(landed) == (digest, None)  # not read again
        landed.write_text('{"id": 2}\n')
        changed, raw = again.hash_of(landed)
        assert raw == b'{"id": 2}\n' and changed != digest
        assert again.save(con) == 1
        assert con.execute("select count(*) from raw_cache.landing_file_hashes").fetchone() == (1,)


def test_the_code_hash_sees_code_not_what_tools_write(tmp_path: Path):
    """A model edit changes the build's fingerprint; dbt's user-id file, compiled SQL and Python
    caches do not (a published build's fingerprint is taken before dbt first writes them)."""
    model = tmp_path / "dbt_project" / "models" / "m.sql"
    model.parent.mkdir(parents=True)
    model.write_text("select 1 as x\n")
    before = build_state.code_hash(tmp_path)
    (tmp_path / "dbt_project" / ".user.yml").write_text("id: 1\n")
    (tmp_path / "dbt_project" / "target").mkdir()
    (tmp_path / "dbt_project" / "target" / "m.sql").write_text("select 1\n")
    (tmp_path / "revstack" / "__pycache__").mkdir(parents=True)
    (tmp_path / "revstack" / "__pycache__" / "x.py").write_text("")
    assert build_state.code_hash(tmp_path) == before
    model.write_text("select 2 as x\n")
    assert build_state.code_hash(tmp_path) != before
