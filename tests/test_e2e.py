"""End to end: simulate a company, build it through the Dagster job, hold it to the ground truth."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import E2E_MONTHS


def _truth_monthly(home: Path) -> dict[date, dict[str, str]]:
    with open(home / "truth" / "monthly.csv", newline="") as handle:
        return {date.fromisoformat(row["month"]): row for row in csv.DictReader(handle)}


def _marts_monthly(home: Path) -> dict[date, dict[str, object]]:
    with duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        cursor = con.execute("select * from marts.metrics_monthly order by month")
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


@pytest.mark.e2e
def test_month_end_mrr_and_paying_customers_equal_ground_truth(built_home: Path):
    truth = _truth_monthly(built_home)
    marts = _marts_monthly(built_home)
    assert len(truth) == E2E_MONTHS
    differences = []
    for month, expected in truth.items():
        assert month in marts, f"metrics_monthly has no row for {month}"
        got = marts[month]
        assert isinstance(got["mrr"], Decimal), "MRR must be DECIMAL, never a float"
        mrr_diff = abs(got["mrr"] - Decimal(expected["mrr_rc"]))
        differences.append(mrr_diff)
        assert got["mrr"] == Decimal(expected["mrr_rc"]), (month, got["mrr"], expected["mrr_rc"])
        assert got["customers"] == int(expected["customers"]), month
        assert got["arr"] == got["mrr"] * 12
    assert max(differences) == 0


# metrics_monthly column -> truth monthly.csv column
EXACT_COLUMNS = {
    "new_mrr": "new_mrr",
    "expansion_mrr": "expansion_mrr",
    "contraction_mrr": "contraction_mrr",
    "churned_mrr": "churned_mrr",
    "reactivation_mrr": "reactivation_mrr",
    "fx_impact_mrr": "fx_impact_mrr",
    "invoiced": "invoiced_rc",
    "cash_collected": "collected_rc",
    "refunded": "refunded_rc",
    "recognized_revenue": "recognized_rc",
    "deferred_revenue_end": "deferred_end_rc",
}


@pytest.mark.e2e
@pytest.mark.parametrize("column", sorted(EXACT_COLUMNS))
def test_movements_cash_and_revenue_equal_ground_truth(built_home: Path, column: str):
    truth = _truth_monthly(built_home)
    marts = _marts_monthly(built_home)
    assert any(Decimal(row[EXACT_COLUMNS[column]]) for row in truth.values()), column
    for month, expected in truth.items():
        got = marts[month][column]
        want = Decimal(expected[EXACT_COLUMNS[column]])
        assert got == want, (month, column, got, want)  # exact, not within a cent


@pytest.mark.e2e
def test_simulated_company_is_not_trivial(built_home: Path):
    truth = _truth_monthly(built_home)
    last = truth[max(truth)]
    assert Decimal(last["mrr_rc"]) > 0
    assert int(last["customers"]) > 20
    with duckdb.connect(str(built_home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        currencies = {
            c for (c,) in con.execute("select distinct currency from marts.fct_invoices").fetchall()
        }
    assert {c.lower() for c in currencies} == {"usd", "eur", "gbp", "jpy", "aud", "cad"}


def _month_ends(months: list[date]) -> list[date]:
    return [(m + timedelta(days=32)).replace(day=1) - timedelta(days=1) for m in months]


@pytest.mark.e2e
def test_every_customers_month_end_mrr_equals_ground_truth(built_home: Path):
    """Per customer, in its own currency, at every month end: the warehouse's MRR = the truth's."""
    daily = pl.read_parquet(built_home / "truth" / "customer_mrr_daily.parquet")  # MRR > 0 only
    month_ends = _month_ends(sorted(_truth_monthly(built_home)))
    truth = {
        (r["customer_id"], r["date"]): r["mrr"]
        for r in daily.filter(pl.col("date").is_in(month_ends)).iter_rows(named=True)
    }
    with duckdb.connect(str(built_home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select m.customer_id, d.day, m.mrr from marts.fct_mrr as m"
            " inner join (select unnest(?::date[]) as day) as d"
            " on d.day >= m.valid_from and (m.valid_to is null or d.day < m.valid_to)"
            " where m.mrr > 0",
            [month_ends],
        ).fetchall()
    got = {(customer, day): mrr for customer, day, mrr in rows}
    assert len(truth) > 1000
    assert got == truth


@pytest.mark.e2e
def test_every_movement_equals_ground_truth(built_home: Path):
    """Each movement: same customer, day, type and delta in the reporting currency, exactly."""
    truth = pl.read_csv(
        built_home / "truth" / "mrr_movements.csv",
        schema_overrides={"mrr_delta": pl.String, "mrr_delta_rc": pl.String},
    )
    want = {
        (r["customer_id"], date.fromisoformat(r["movement_date"]), r["movement_type"]): Decimal(
            r["mrr_delta_rc"]
        )
        for r in truth.iter_rows(named=True)
    }
    with duckdb.connect(str(built_home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select customer_id, movement_date, movement_type, mrr_delta_rc"
            " from marts.fct_mrr_movements"
        ).fetchall()
    got = {(c, d, t): delta for c, d, t, delta in rows}
    assert len(want) > 1000
    assert {k[2] for k in want} == {"new", "expansion", "contraction", "churn", "reactivation"}
    assert got == want


@pytest.mark.e2e
def test_bridge_identity_holds_every_month(built_home: Path):
    marts = _marts_monthly(built_home)
    months = sorted(marts)
    previous_end = Decimal(0)
    for month in months:
        row = marts[month]
        bridged = (
            previous_end
            + row["new_mrr"]
            + row["expansion_mrr"]
            + row["reactivation_mrr"]
            - row["contraction_mrr"]
            - row["churned_mrr"]
            + row["fx_impact_mrr"]
        )
        assert bridged == row["mrr"], month
        previous_end = row["mrr"]


def _assert_no_alert(path: Path) -> None:
    with duckdb.connect(str(path / "warehouse" / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from ops.alerts").fetchone() == (0,)
        (checked,) = con.execute(
            "select count(distinct check_name) from marts.rpt_reconciliation"
        ).fetchone()
        assert checked == 13  # every reconciliation check ran
        builds = con.execute("select success, published, open_alerts from ops.builds").fetchall()
    assert builds and all(b == (True, True, 0) for b in builds)  # one per build of the home


# No reconciliation break, volume anomaly, stale source or failed check on the clean simulated
# companies: no alert at all. (Two tests, not one parametrised by fixture name, so that each
# names its company as a fixture and runs in that company's xdist group: tests/conftest.py.)
@pytest.mark.e2e
def test_a_clean_24_month_company_raises_no_alert(built_home: Path):
    """2,000 customers × 24 months."""
    _assert_no_alert(built_home)


@pytest.mark.e2e
def test_a_clean_small_company_raises_no_alert(small_home: Path):
    """200 customers × 12 months (built twice: the second build opens nothing either)."""
    _assert_no_alert(small_home)
