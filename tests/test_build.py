"""`revstack build` through the Dagster job: recorded runs, idempotent reloads, the sql command."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import revstack


def _counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema = 'marts' order by 1"
        ).fetchall()
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}


@pytest.mark.e2e
def test_build_materialised_every_asset_in_dagster(built_home: Path, dbt_manifest: Path):
    from orchestration.definitions import defs
    from orchestration.defs.live import LIVE_PUBLISH_KEY

    # every asset but the live job's publish step (a full build publishes with serving/snapshot)
    keys = defs.resolve_asset_graph().get_all_asset_keys() - {LIVE_PUBLISH_KEY}

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(built_home / "dagster")
    try:
        with dg.DagsterInstance.get() as instance:
            for key in keys:
                event = instance.get_latest_materialization_event(key)
                # a raw table whose source delivered nothing is still recorded (0 rows)
                assert event is not None, f"{key.to_user_string()} was never materialised"
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous


@pytest.mark.e2e
def test_second_build_loads_nothing_and_changes_nothing(small_home: Path):
    """A build with nothing new landed loads nothing and publishes the same marts (on the small
    company: the ledger and report tests that share it see the same figures)."""
    serving = small_home / "warehouse" / "serving.duckdb"
    before = _counts(serving)
    with duckdb.connect(str(serving), read_only=True) as con:
        mrr_before = con.execute("select sum(mrr) from marts.metrics_monthly").fetchone()
    proc = revstack(small_home, "build")
    # no landing file is loaded twice (ingestion prints "  loaded raw_<source>/<entity> …")
    assert not re.search(r"^\s+loaded raw_", proc.stdout, re.MULTILINE), proc.stdout[-3000:]
    assert _counts(serving) == before
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select sum(mrr) from marts.metrics_monthly").fetchone() == mrr_before
    assert all(before[t] > 0 for t in ("marts.fct_invoices", "marts.metrics_monthly"))


@pytest.mark.e2e
def test_sql_command_reads_the_snapshot(built_home: Path):
    proc = revstack(built_home, "sql", "select count(*) as n from marts.dim_customers")
    with duckdb.connect(str(built_home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        (n,) = con.execute("select count(*) from marts.dim_customers").fetchone()
    assert f"{n}" in proc.stdout
    bad = revstack(built_home, "sql", "select * from no_such_table", check=False)
    assert bad.returncode == 1 and "no_such_table" in bad.stderr


def test_sql_without_snapshot_fails_clearly(tmp_path: Path):
    proc = revstack(tmp_path, "sql", "select 1", check=False)
    assert proc.returncode == 1
    assert "revstack build" in proc.stderr


def test_empty_home_then_a_broken_source_contract_keeps_the_snapshot(tmp_path: Path):
    """An empty home builds and publishes empty marts; then a company lands whose gateway charges
    export renamed a required column (`revstack simulate --inject renamed_column`): the source's
    contract check blocks, no mart changes, and the previous snapshot stays."""
    proc = revstack(tmp_path, "build")
    assert "build succeeded" in proc.stdout
    snapshot = tmp_path / "warehouse" / "serving.duckdb"
    counts = _counts(snapshot)
    assert counts["marts.dim_customers"] == 0
    assert counts["marts.metrics_monthly"] == 0
    with duckdb.connect(str(snapshot), read_only=True) as con:
        (first_build,) = con.execute("select build_id from meta.snapshot").fetchone()

    revstack(tmp_path, "simulate", "--customers", "20", "--months", "2", "--seed", "5",
             "--inject", "renamed_column")  # fmt: skip
    injected = json.loads((tmp_path / "truth" / "injected_drift.json").read_text())["drifts"]
    assert [d["kind"] for d in injected] == ["renamed_column"]
    renamed_file = injected[0]["key"]  # the export whose `amount` became `amount_value`
    assert renamed_file.startswith("landing/gateway/charges/")

    failed = revstack(tmp_path, "build", check=False)
    assert failed.returncode == 1
    assert "previous serving snapshot is unchanged" in failed.stderr
    assert "raw_gateway/charges:contract" in failed.stdout
    # the marts are the last good build's; the snapshot's ops schema says why they are not newer
    assert _counts(snapshot) == counts
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("select build_id from meta.snapshot").fetchone() == (first_build,)
        open_alerts = con.execute(
            "select check_name, severity, summary from ops.alerts where status = 'open'"
        ).fetchall()
        builds = con.execute(
            "select success, published from ops.builds order by finished_at"
        ).fetchall()
    contract = [a for a in open_alerts if a[0] == "raw_gateway/charges:contract"]
    assert len(contract) == 1 and contract[0][1] == "blocking", open_alerts
    assert builds == [(True, True), (False, False)]
    with duckdb.connect(str(tmp_path / "warehouse" / "revstack.duckdb"), read_only=True) as con:
        drift = con.execute(
            "select file, severity from raw_meta.schema_drift"
            " where entity = 'charges' and column_name = 'amount'"
        ).fetchall()
        (loaded,) = con.execute(
            "select count(*) from raw_meta.loaded_files where path like ?",
            ["%" + renamed_file],
        ).fetchone()
    assert [(Path(f).name, sev) for f, sev in drift] == [(Path(renamed_file).name, "error")]
    assert loaded == 0  # recorded, and not marked loaded: it will be retried

    # (once the source fixes its export, the next build loads it and the contract check passes,
    # which resolves the alert: tests/test_checks.py and tests/test_alerts.py)
