"""AppTest of the overview page: the numbers it shows are the snapshot's numbers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from revstack import serving

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")

MONTHS = """
select * from (values
    (date '2026-08-01', 1000.50, 12006.00, 10, 1000.50, 0.00, 0.00, 0.00, 0.00, 0.00, 1000.50,
     null, null, null, null, null, 100.05, 700.00, 300.00, 4000.00),
    (date '2026-09-01', 1250.25, 15003.00, 12, 300.00, 0.00, 50.25, 0.00, 0.00, 0.00, 249.75,
     0.1, 0.05022489, -0.24977511, 0.96, 0.94977511, 104.19, 900.00, 450.00, 5000.00),
    (date '2026-10-01', 1100.00, 13200.00, 11, 0.00, 20.00, 0.00, 170.25, 0.00, 0.00, -150.25,
     0.08333333, 0.13617277, 0.12017597, 0.87982403, 0.86382723, 100.00, 1200.50, 700.00,
     4800.25)
) as t(month, mrr, arr, customers, new_mrr, expansion_mrr, contraction_mrr, churned_mrr,
       reactivation_mrr, fx_impact_mrr, net_new_mrr, customer_churn_rate, gross_mrr_churn_rate,
       net_mrr_churn_rate, nrr, grr, arpa, cash_collected, recognized_revenue,
       deferred_revenue_end)
"""
RATES = ["customer_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "nrr", "grr"]
AR = """
select * from (values
    (date '2026-09-01', 'cus_a', 60.00), (date '2026-09-01', 'cus_b', 40.00),
    (date '2026-10-01', 'cus_a', 250.75)
) as t(month, customer_id, open_receivables_rc)
"""


def _write_marts(con: duckdb.DuckDBPyConnection, months_sql: str = MONTHS) -> None:
    names = [d[0] for d in con.execute(f"select * from ({months_sql}) limit 0").description]
    money = [c for c in names if c not in ("month", "customers", *RATES)]
    money = ", ".join(f"{c}::decimal(38,6) as {c}" for c in money)
    rates = ", ".join(f"{c}::decimal(38,8) as {c}" for c in RATES)
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.metrics_monthly as select month, customers,"
        f" {money}, {rates}, 'USD' as reporting_currency,"
        " coalesce(lag(mrr) over (order by month), 0)::decimal(38,6) as start_mrr"
        f" from ({months_sql})"
    )
    con.execute(
        "create or replace table marts.rpt_ar_aging as select month, customer_id,"
        f" open_receivables_rc::decimal(38,6) as open_receivables_rc from ({AR})"
    )


@pytest.fixture
def snapshot_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REVSTACK_HOME", str(tmp_path))
    wh = tmp_path / "warehouse" / "revstack.duckdb"
    wh.parent.mkdir(parents=True)
    with duckdb.connect(str(wh)) as con:
        _write_marts(con)
    serving.publish(wh, tmp_path / "warehouse" / "serving.duckdb", schemas=("marts",))
    return tmp_path


def test_overview_shows_latest_month_from_snapshot(snapshot_home: Path):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    # the month's figures, each with its change against last month
    assert metrics == {
        "MRR": ("1,100.00", "-150.25"),
        "ARR": ("13,200.00", "-1,803.00"),
        "Net new MRR": ("-150.25", "-400.00"),
        "Paying customers": ("11", "-1"),
        "Customer churn rate": ("8.33 %", "-1.67 pp"),
        "Gross MRR churn rate": ("13.62 %", "+8.59 pp"),
        "Net MRR churn rate": ("12.02 %", "+37.00 pp"),
        "NRR": ("87.98 %", "-8.02 pp"),
        "Cash collected": ("1,200.50", "+300.50"),
        "AR outstanding": ("250.75", "+150.75"),
        "Deferred revenue": ("4,800.25", "-199.75"),
    }
    assert "October 2026" in [s.value for s in at.subheader]
    with duckdb.connect(str(snapshot_home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        (stamp,) = con.execute("select published_at from meta.snapshot").fetchone()
    assert all(m.help.startswith(f"as of {stamp:%Y-%m-%d %H:%M:%S} UTC · ") for m in at.metric)


def test_overview_follows_a_new_publish_in_the_same_session(snapshot_home: Path):
    """An open page picks up the next snapshot: its figures, its months and its "as of"."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert {m.label: m.value for m in at.metric}["MRR"] == "1,100.00"
    wh = snapshot_home / "warehouse" / "revstack.duckdb"
    november = MONTHS.replace(
        "     4800.25)\n)",
        "     4800.25),\n    (date '2026-11-01', 1234.56, 14814.72, 12, 134.56, 0.00, 0.00, 0.00,"
        " 0.00, 0.00, 134.56, 0.0, 0.0, -0.12232727, 1.12232727, 1.0, 102.88, 10.00, 20.00,"
        " 30.00)\n)",
    )
    assert november != MONTHS
    with duckdb.connect(str(wh)) as con:
        _write_marts(con, november)
    published = serving.publish(wh, snapshot_home / "warehouse" / "serving.duckdb",
                                schemas=("marts",)).published_at  # fmt: skip
    at.run()
    assert not at.exception
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["MRR"] == ("1,234.56", "+134.56")
    assert "November 2026" in [s.value for s in at.subheader]
    assert at.select_slider[0].value[1].isoformat() == "2026-11-01"
    assert f"as of {published:%Y-%m-%d %H:%M:%S} UTC" in at.metric[0].help


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
    at.switch_page("views/health.py").run()
    assert not at.exception
    assert at.error[0].value == (
        "The last build (2026-11-02 08:00:00 UTC) did not publish: 1 check(s) failed. The "
        f"figures in this app are from the last good build, published {published:%Y-%m-%d %H:%M:%S}"
        " UTC."
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Open alerts": "2", "Blocking": "1", "Errors": "1", "Last build": "failed"}
    tables = {b.label: d.value for b, d in zip(at.download_button, at.dataframe, strict=True)}
    open_alerts = tables["Download open_alerts (CSV)"]
    recon = tables["Download reconciliation (CSV)"]
    builds = tables["Download builds (CSV)"]
    checks = tables["Download check_results (CSV)"]
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
    assert checks.to_dict("records")[0] == {
        "check_name": "raw_crm/opportunity:contract",
        "severity": "blocking",
        "open": 1,
        "resolved": 0,
        "last_failed_at": pd.Timestamp("2026-11-02 08:00:00"),
    }
    # the overview still shows the last good build's figures
    overview = AppTest.from_file(APP, default_timeout=30).run()
    assert not overview.exception
    assert {m.label: m.value for m in overview.metric}["MRR"] == "1,100.00"
