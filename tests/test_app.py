"""AppTest of the overview page: the numbers it shows are the snapshot's numbers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from revstack import serving

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")

MONTHS = """
select * from (values
    (date '2026-08-01', 1000.50, 12006.00, 10, 1000.50, 0.00, 0.00, 0.00, 0.00, 0.00, 1000.50),
    (date '2026-09-01', 1250.25, 15003.00, 12, 300.00, 0.00, 50.25, 0.00, 0.00, 0.00, 249.75),
    (date '2026-10-01', 1100.00, 13200.00, 11, 0.00, 20.00, 0.00, 170.25, 0.00, 0.00, -150.25)
) as t(month, mrr, arr, customers, new_mrr, expansion_mrr, contraction_mrr, churned_mrr,
       reactivation_mrr, fx_impact_mrr, net_new_mrr)
"""


@pytest.fixture
def snapshot_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REVSTACK_HOME", str(tmp_path))
    wh = tmp_path / "warehouse" / "revstack.duckdb"
    wh.parent.mkdir(parents=True)
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.metrics_monthly as select month, mrr::decimal(18,2) as mrr,"
            " arr::decimal(18,2) as arr, customers, new_mrr::decimal(18,2) as new_mrr,"
            " expansion_mrr::decimal(18,2) as expansion_mrr,"
            " contraction_mrr::decimal(18,2) as contraction_mrr,"
            " churned_mrr::decimal(18,2) as churned_mrr,"
            " reactivation_mrr::decimal(18,2) as reactivation_mrr,"
            " fx_impact_mrr::decimal(18,2) as fx_impact_mrr,"
            " net_new_mrr::decimal(18,2) as net_new_mrr"
            f" from ({MONTHS})"
        )
    serving.publish(wh, tmp_path / "warehouse" / "serving.duckdb", schemas=("marts",))
    return tmp_path


def test_overview_shows_latest_month_from_snapshot(snapshot_home: Path):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    metrics = {m.label: m for m in at.metric}
    assert metrics["MRR"].value == "1,100.00"
    assert metrics["ARR"].value == "13,200.00"
    assert metrics["Paying customers"].value == "11"
    assert metrics["Net new MRR"].value == "-150.25"
    # change against last month
    assert metrics["MRR"].delta == "-150.25"
    assert metrics["ARR"].delta == "-1,803.00"
    assert metrics["Paying customers"].delta == "-1"
    assert "October 2026" in at.caption[0].value


def test_overview_without_snapshot_says_what_to_do(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("REVSTACK_HOME", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "revstack build" in at.warning[0].value


def test_health_page_says_the_last_build_did_not_publish(snapshot_home: Path):
    """After a build stopped by a blocking check, the marts are the last good build's and the
    data-health page says so, with the open alerts worst first."""
    from datetime import datetime

    from revstack import alerts

    wh = snapshot_home / "warehouse" / "revstack.duckdb"
    serving_path = snapshot_home / "warehouse" / "serving.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute(
            "create table marts.rpt_reconciliation as select * from (values"
            " ('payouts_vs_balance_transactions', 'break'), ('payouts_vs_balance_transactions',"
            " 'ok'), ('payouts_vs_balance_transactions', 'ok'), ('identity_match_rate', 'warn'))"
            " as t (check_name, status)"
        )
    published = serving.publish(wh, serving_path, schemas=("marts",)).published_at
    with duckdb.connect(str(wh)) as con:
        alerts.process(
            [
                alerts.CheckResult(
                    "reconciliation:payouts_vs_balance_transactions",
                    "error",
                    False,
                    key="2026-10-01:po_1",
                    summary="payout po_1 is 12.34 AUD more than its transactions",
                ),
                alerts.CheckResult(
                    "raw_crm/opportunity:contract",
                    "blocking",
                    False,
                    summary="missing required column stage_name",
                ),
            ],
            con=con,
            now=datetime(2026, 11, 2, 8, 0),
            sinks=[],
        )
        con.execute(
            "create table ops.builds as select * from (values"
            " ('run-1', timestamp '2026-11-01 08:00:00', true, true, 0, 0),"
            " ('run-2', timestamp '2026-11-02 08:00:00', false, false, 1, 2))"
            " as t (run_id, finished_at, success, published, failed_checks, open_alerts)"
        )
    assert serving.refresh_ops(wh, serving_path)

    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/health.py").run()
    assert not at.exception
    assert at.error[0].value == (
        "The last build (2026-11-02 08:00:00 UTC) did not publish: 1 check(s) failed. The "
        f"figures in this app are from the last good build, published {published:%Y-%m-%d %H:%M:%S}"
        " UTC."
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Open alerts": "2", "Blocking": "1", "Errors": "1"}
    open_alerts, recon, _, builds = (d.value for d in at.dataframe)
    assert list(open_alerts["check_name"]) == [
        "raw_crm/opportunity:contract",
        "reconciliation:payouts_vs_balance_transactions",
    ]
    assert recon.to_dict("records")[0] == {
        "check_name": "payouts_vs_balance_transactions",
        "compared": 3,
        "ok": 2,
        "warn": 0,
        "break": 1,
    }
    assert list(builds["run_id"]) == ["run-2", "run-1"]
    # the overview still shows the last good build's figures
    overview = AppTest.from_file(APP, default_timeout=30).run()
    assert not overview.exception
    assert {m.label: m.value for m in overview.metric}["MRR"] == "1,100.00"
