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
