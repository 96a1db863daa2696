"""A build costs what changed (issue 14): nothing new costs nothing; `--full-refresh` rebuilds.

On a copy of the built small company: a build with nothing new stops before Dagster and leaves
the snapshot as it is; a new landing file is something new, and the incremental build it starts
reads only what landed since the last one (a typed value changed by hand stays changed);
`--full-refresh` rebuilds every table from the raw layer (the value is the source's again), on a
copy of the warehouse, while the live worker takes in new files into the warehouse and the
snapshot; the copy swaps in with them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from ingestion import HashCache, ensure_raw_tables
from revstack import build_state, serving
from tests.conftest import REVSTACK, ROOT, revstack

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


def test_nothing_new_costs_nothing_and_full_refresh_rebuilds(
    home: Path, dbt_manifest: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
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
    # --full-refresh, the way back, parses every raw row again; it works on a copy of the
    # warehouse, so the live worker keeps its beat meanwhile (below)
    refreshed, ticks, beat = _full_refresh_with_a_live_beat(home, monkeypatch, tmp_path)
    assert "snapshot published at" in refreshed, refreshed[-4000:]
    # the docs site shows the models' columns: the same code and columns keep it as it is
    assert "dbt docs: unchanged (same models and columns)" in refreshed
    assert _one(warehouse, latest, product_id) == (name,) != ("changed by hand",)

    # the copy swapped in caught up with the beat's files, and the snapshot still shows them
    assert not list((home / "warehouse" / "builds").iterdir())
    files = sorted(p.relative_to(home).as_posix() for t in ticks for p in t.files)
    loaded = "select count(*) from raw_meta.loaded_files where list_contains(?, path)"
    assert _one(warehouse, loaded, files) == (len(files),)
    charges = [t.charge_id for t in ticks]
    shown = "select count(*) from marts.fct_payments where list_contains(?, payment_id)"
    assert _one(warehouse, shown, charges) == (len(ticks),)
    with serving.connect_snapshot(snapshot) as con:
        rows = con.execute(
            "select payment_id, invoice_id from marts.fct_payments"
            " where list_contains(?, payment_id)",
            [charges],
        ).fetchall()
        (build_id,) = con.execute("select build_id from meta.snapshot").fetchone()
        refreshed_by = dict(con.execute("select table_name, build_id from meta.tables").fetchall())
    assert dict(rows) == {t.charge_id: t.invoice_id for t in ticks}
    # the full build published the snapshot, and republished the live marts from its copy
    assert refreshed_by["marts.fct_payments"] == refreshed_by["marts.metrics_monthly"] == build_id
    assert build_id != beat.batch


def _full_refresh_with_a_live_beat(home: Path, monkeypatch, tmp_path: Path):
    """``revstack build --full-refresh``; once its dbt step works on its copy of the warehouse
    (revstack.build_copy), live files land and the live worker takes them in, into the
    warehouse and the snapshot, while the build still runs (issue 14, item 6). Returns the
    build's output, the live ticks and the beat."""
    from orchestration.landing import scan_landing
    from orchestration.live_worker import LiveWorker
    from tests.test_live import _ticks_paying_an_invoice

    monkeypatch.setenv("REVSTACK_HOME", str(home))
    warehouse = home / "warehouse" / "revstack.duckdb"
    snapshot = home / "warehouse" / "serving.duckdb"
    builds = home / "warehouse" / "builds"
    worker = LiveWorker(
        home, warehouse, snapshot, log=lambda line: None, dbt_target=tmp_path / "target"
    )
    worker.start()
    worker.cursor = worker.cursor.advanced(scan_landing(home))
    env = {k: v for k, v in os.environ.items() if k not in ("REVSTACK_WAREHOUSE", "DAGSTER_HOME")}
    build = subprocess.Popen(
        [REVSTACK, "build", "--full-refresh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 600
        while not list(builds.glob("*.duckdb")):  # the dbt step has copied the warehouse
            assert build.poll() is None, build.communicate()[0][-4000:]
            assert time.monotonic() < deadline
            time.sleep(0.2)
        ticks = _ticks_paying_an_invoice(home, seed=21)
        beat = worker.poll(lock_wait=10)  # not held for the length of the dbt step
        assert beat is not None and beat.ok, beat
        assert build.poll() is None and list(builds.glob("*.duckdb"))  # still on its copy
        with serving.connect_snapshot(snapshot) as con:
            assert con.execute(
                "select count(*) from marts.fct_payments where list_contains(?, payment_id)",
                [[t.charge_id for t in ticks]],
            ).fetchone() == (len(ticks),)
        output = build.communicate(timeout=900)[0]
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    assert build.returncode == 0, output[-4000:]
    return output, ticks, beat


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
