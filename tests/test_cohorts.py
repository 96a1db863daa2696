"""metrics_cohorts against cohorts computed independently from the simulator's ground truth.

A customer's cohort is the month of its first day with MRR > 0 in ``customer_mrr_daily``; it is
retained in a month when it has MRR > 0 on the month's last day (a reactivated customer counts
again); money is its ``mrr_rc`` that day, and for the constant-FX columns its MRR at the rate
of the cohort month's last day (the simulator's own ECB rule, rebuilt from the manifest).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from revstack.simulator.common import round6
from revstack.simulator.fx import FxRates
from tests.conftest import E2E_MONTHS

RATIO = Decimal("0.00000001")  # div_exact(..., 8): 8 decimals, half away from zero


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Cell:
    """One cohort × month of the truth."""

    month: date
    cohort_customers: int = 0
    customers_retained: int = 0
    mrr_retained: Decimal = Decimal(0)
    mrr_retained_constant_fx: Decimal = Decimal(0)


def _truth_cohorts(home: Path) -> dict[tuple[date, int], Cell]:
    manifest = json.loads((home / "truth" / "manifest.json").read_text("utf-8"))
    start, end = date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"])
    fx = FxRates(manifest["seed"], start - timedelta(days=10), end)  # as the simulator built it
    last_month = (end - timedelta(days=1)).replace(day=1)

    daily = pl.read_parquet(home / "truth" / "customer_mrr_daily.parquet")  # only days with MRR > 0
    cohort_of = {
        row["customer_id"]: row["first_day"].replace(day=1)
        for row in daily.group_by("customer_id")
        .agg(pl.col("date").min().alias("first_day"))
        .iter_rows(named=True)
    }
    month_ends = daily.filter(pl.col("date") == pl.col("date").dt.month_end())
    at_month_end = {
        (row["customer_id"], row["date"].replace(day=1)): row
        for row in month_ends.iter_rows(named=True)
    }

    cells: dict[tuple[date, int], Cell] = {}
    for customer_id, cohort in cohort_of.items():
        for since in range(_months_between(cohort, last_month) + 1):
            month = _add_months(cohort, since)
            cell = cells.setdefault((cohort, since), Cell(month=month))
            cell.cohort_customers += 1
            row = at_month_end.get((customer_id, month))
            if row is None:  # MRR 0 on the month's last day
                continue
            assert row["mrr"] > 0
            cell.customers_retained += 1
            cell.mrr_retained += row["mrr_rc"]
            cohort_rate = fx.rate(row["currency"], _month_end(cohort))
            cell.mrr_retained_constant_fx += round6(row["mrr"] * cohort_rate)
    return cells


def _mart_cohorts(home: Path) -> dict[tuple[date, int], dict[str, object]]:
    con = duckdb.connect(str(home / "warehouse" / "revstack.duckdb"), read_only=True)
    try:
        cursor = con.execute(
            "select * from marts.metrics_cohorts order by cohort_month, months_since"
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return {(row["cohort_month"], row["months_since"]): row for row in rows}


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else (numerator / denominator).quantize(RATIO, ROUND_HALF_UP)


@pytest.mark.e2e
def test_cohorts_equal_ground_truth(built_home: Path):
    truth = _truth_cohorts(built_home)
    mart = _mart_cohorts(built_home)
    assert set(mart) == set(truth), "cohort × months_since rows differ from the truth"
    assert len({cohort for cohort, _ in truth}) > 6, "the simulated company has too few cohorts"

    starts = {cohort: truth[(cohort, 0)] for cohort, _ in truth}
    for key, want in sorted(truth.items()):
        got = mart[key]
        start = starts[key[0]]
        for column in ("cohort_start_mrr", "mrr_retained", "mrr_retained_constant_fx"):
            assert isinstance(got[column], Decimal), f"{column} must be DECIMAL, never a float"
        assert got["month"] == want.month, key
        assert got["cohort_customers"] == want.cohort_customers == start.cohort_customers, key
        assert got["customers_retained"] == want.customers_retained, key
        assert got["mrr_retained"] == want.mrr_retained, key
        assert got["cohort_start_mrr"] == start.mrr_retained, key
        assert got["mrr_retained_constant_fx"] == want.mrr_retained_constant_fx, key
        assert got["customer_retention"] == _ratio(
            Decimal(want.customers_retained), Decimal(want.cohort_customers)
        ), key
        assert got["net_mrr_retention"] == _ratio(want.mrr_retained, start.mrr_retained), key
        assert got["net_mrr_retention_constant_fx"] == _ratio(
            want.mrr_retained_constant_fx, start.mrr_retained
        ), key
        if key[1] == 0:  # at the cohort month's own rate both measures agree
            assert want.mrr_retained_constant_fx == want.mrr_retained, key


@pytest.mark.e2e
def test_cohorts_add_up_to_the_month(built_home: Path):
    """Every paying customer is in exactly one cohort: Σ over cohorts = the month's balance."""
    with open(built_home / "truth" / "monthly.csv", newline="") as handle:
        monthly = {date.fromisoformat(row["month"]): row for row in csv.DictReader(handle)}
    assert len(monthly) == E2E_MONTHS
    mrr: dict[date, Decimal] = defaultdict(Decimal)
    customers: dict[date, int] = defaultdict(int)
    for row in _mart_cohorts(built_home).values():
        mrr[row["month"]] += row["mrr_retained"]
        customers[row["month"]] += row["customers_retained"]
    for month, want in monthly.items():
        assert mrr[month] == Decimal(want["mrr_rc"]), month
        assert customers[month] == int(want["customers"]), month
