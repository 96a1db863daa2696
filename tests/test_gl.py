"""The general ledger models (issue 4, point 7): int_gl_journal_lines, rpt_gl_trial_balance and
rpt_gl_pnl, built by dbt on a scratch warehouse (``tests/dbt_dev_seed.py --empty``) into which
ingestion loaded a Xero ledger exactly as it lands.

- The public Xero ledger of ``../shared/fixtures/xero-gl/`` (fivetran/dbt_xero test data,
  Oct 2019 – Mar 2021): its published totals hold over the whole ledger, i.e. summed over every
  month of rpt_gl_pnl, with the lines defined by Xero account type (revenue = REVENUE and SALES,
  direct costs = DIRECTCOSTS, expenses = EXPENSE, OVERHEADS, DEPRECIATN and wages) and ledger
  signs (debit positive: revenue −566,973.74); net profit = −Σ of every P&L account = 502,151.89.
- A small simulated company (revstack's own chart): every account maps by code, and the monthly
  P&L equals a plain-Python sum of the landed CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion import load_entity
from revstack.simulator import simulate
from revstack.simulator.accounting import ACCOUNTS
from tests.dbt_dev_seed import build_dev_warehouse
from tests.test_ingestion_csv import FIXTURES, XERO, deliver

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
GL_MODELS = ("+rpt_gl_trial_balance", "+rpt_gl_pnl")  # staging views and seeds included
PNL_TYPES = {
    "REVENUE": "revenue",
    "SALES": "revenue",
    "DIRECTCOSTS": "direct_costs",
    "OTHERINCOME": "other_income",
    "EXPENSE": "expenses",
    "OVERHEADS": "expenses",
    "DEPRECIATN": "expenses",
}


def build_gl(home: Path, workdir: Path) -> Path:
    """Load what landed in ``home``'s accounting folders into an empty warehouse, dbt-build the GL
    models and return the warehouse (moved into ``home``). Every ledger is built at the same
    path with the same target folder, so that the second build parses partially (dbt reparses
    everything when the warehouse path changes)."""
    path = build_dev_warehouse(workdir / "revstack.duckdb", empty=True)
    con = duckdb.connect(str(path))
    try:
        for entity in XERO:
            result = load_entity(con, "accounting", entity, home)
            assert not result.blocked and result.rows_quarantined == 0, result
    finally:
        con.close()
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [
            str(dbt),
            "build",
            "--select",
            *GL_MODELS,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(home / "logs"),
        ],
        env={**os.environ, "REVSTACK_WAREHOUSE": str(path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    built = home / "warehouse" / "revstack.duckdb"
    built.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(path, built))


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gl_build")


@pytest.fixture(scope="module")
def xero_ledger(tmp_path_factory: pytest.TempPathFactory, workdir: Path) -> Path:
    home = tmp_path_factory.mktemp("xero_gl")
    for entity in XERO:
        deliver(home, "accounting", entity, FIXTURES / "xero-gl" / f"xero_{entity}_data.csv")
    return build_gl(home, workdir)


@pytest.fixture(scope="module")
def simulated_ledger(tmp_path_factory: pytest.TempPathFactory, workdir: Path) -> Path:
    home = tmp_path_factory.mktemp("simulated_gl")
    simulate(home, seed=7, customers=30, months=4, start=dt.date(2024, 1, 1))
    return build_gl(home, workdir)


def test_every_xero_journal_nets_to_zero(xero_ledger: Path) -> None:
    unbalanced = rows(
        xero_ledger,
        "select journal_id, sum(amount) from intermediate.int_gl_journal_lines "
        "group by journal_id having sum(amount) != 0",
    )
    assert unbalanced == []
    counts = rows(
        xero_ledger,
        "select count(distinct journal_id), count(*), sum(debit), sum(credit) "
        "from intermediate.int_gl_journal_lines",
    )
    journals, lines, debit, credit = counts[0]
    assert (journals, lines) == (1685, 4033)
    assert debit == credit


def test_xero_pnl_over_the_whole_ledger(xero_ledger: Path) -> None:
    totals = dict(
        rows(xero_ledger, "select pnl_line, sum(amount) from marts.rpt_gl_pnl group by pnl_line")
    )
    assert totals == {
        "revenue": Decimal("-566973.74"),  # credit-negative, as the ledger holds it
        "direct_costs": Decimal("7031.28"),
        "gross_profit": Decimal("559942.46"),
        "other_income": Decimal("0"),
        "expenses": Decimal("57790.57"),
        "net_profit": Decimal("502151.89"),
    }
    months = rows(
        xero_ledger, "select min(month), max(month), count(distinct month) from marts.rpt_gl_pnl"
    )
    assert months == [(dt.date(2019, 10, 1), dt.date(2021, 3, 1), 18)]
    types = rows(
        xero_ledger,
        "select column_name, data_type from information_schema.columns "
        "where table_name = 'rpt_gl_pnl' and column_name = 'amount'",
    )
    assert types == [("amount", "DECIMAL(38,6)")]


def test_xero_trial_balance_sums_to_zero(xero_ledger: Path) -> None:
    unbalanced = rows(
        xero_ledger,
        "select month, sum(closing_balance), sum(net), sum(debit) - sum(credit) "
        "from marts.rpt_gl_trial_balance group by month "
        "having sum(closing_balance) != 0 or sum(net) != 0 or sum(debit) != sum(credit)",
    )
    assert unbalanced == []
    # the last month's balances: every account with a line (40 of the 71 in the chart) is there,
    # and with no year-end close the P&L accounts hold minus the whole ledger's net profit
    last = rows(
        xero_ledger,
        "select count(*), sum(closing_balance), "
        "sum(closing_balance) filter (where financial_statement = 'profit_and_loss') "
        "from marts.rpt_gl_trial_balance where month = date '2021-03-01'",
    )
    assert last == [(40, Decimal("0"), Decimal("-502151.89"))]
    accounts = rows(
        xero_ledger, "select count(distinct account_id) from intermediate.int_gl_journal_lines"
    )
    assert accounts == [(40,)]


def test_xero_accounts_map_by_code_else_by_type(xero_ledger: Path) -> None:
    methods = dict(
        rows(
            xero_ledger,
            "select mapping_method, count(*) from intermediate.int_gl_journal_lines group by 1",
        )
    )
    assert methods == {"code": 763, "type": 3270}  # nothing by class, nothing unmapped
    # The fixture's chart reuses six codes of revstack's chart with the same Xero types, so they
    # map by code whatever their name (405 is "Subcontracting" there): the seed is one company's
    # chart, and a company with another chart edits it. Every other account falls back by type.
    by_code = rows(
        xero_ledger,
        "select distinct account_code, revstack_account from intermediate.int_gl_journal_lines "
        "where mapping_method = 'code' order by 1",
    )
    assert by_code == [
        ("200", "revenue_subscription"),
        ("310", "partner_payouts"),
        ("404", "processing_fees"),
        ("405", "dispute_losses"),
        ("610", "accounts_receivable"),
        ("820", "tax_payable"),
    ]
    fallbacks = dict(
        rows(
            xero_ledger,
            "select account_name, revstack_account from intermediate.int_gl_journal_lines "
            "where mapping_method = 'type' group by all",
        )
    )
    assert fallbacks["Business American Express"] == "bank"  # no code at all
    assert fallbacks["Other Revenue"] == "other_revenue"
    assert fallbacks["General Expenses"] == "other_expenses"
    assert fallbacks["Accounts Payable"] == "other_current_liabilities"


def test_seed_covers_the_simulated_chart() -> None:
    with (PROJECT_DIR / "seeds" / "accounting_account_map.csv").open() as f:
        seed = {r["account_code"]: r for r in csv.DictReader(f)}
    for key, (code, name, xero_type, _) in ACCOUNTS.items():
        assert code in seed, key
        assert (seed[code]["xero_account_type"], seed[code]["xero_account_name"]) == (
            xero_type,
            name,
        )
    assert len(seed) == len(ACCOUNTS)


def test_simulated_ledger_maps_by_code_and_matches_a_plain_sum(simulated_ledger: Path) -> None:
    home = simulated_ledger.parents[1]
    methods = rows(
        simulated_ledger,
        "select distinct mapping_method from intermediate.int_gl_journal_lines",
    )
    assert methods == [("code",)]
    unbalanced_journals = rows(
        simulated_ledger,
        "select journal_id from intermediate.int_gl_journal_lines "
        "group by journal_id having sum(amount) != 0",
    )
    assert unbalanced_journals == []
    unbalanced_months = rows(
        simulated_ledger,
        "select month from marts.rpt_gl_trial_balance group by month "
        "having sum(closing_balance) != 0",
    )
    assert unbalanced_months == []

    # plain Python: the landed CSV summed by Xero type and journal month
    journal_month = {}
    for path in (home / "landing" / "accounting" / "journal").glob("*.csv"):
        with path.open() as f:
            for r in csv.DictReader(f):
                journal_month[r["journal_id"]] = dt.date.fromisoformat(r["journal_date"]).replace(
                    day=1
                )
    expected: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for path in (home / "landing" / "accounting" / "journal_line").glob("*.csv"):
        with path.open() as f:
            for r in csv.DictReader(f):
                line = PNL_TYPES.get(r["account_type"])
                if line:
                    expected[journal_month[r["journal_id"]], line] += Decimal(r["net_amount"])
    pnl = {
        (month, line): amount
        for month, line, amount in rows(
            simulated_ledger, "select month, pnl_line, amount from marts.rpt_gl_pnl"
        )
    }
    months = sorted({month for month, _ in pnl})
    assert months[0] == dt.date(2024, 1, 1) and len(months) >= 4
    for month in months:
        e = {line: expected.get((month, line), Decimal(0)) for line in set(PNL_TYPES.values())}
        gross = -(e["revenue"] + e["direct_costs"])
        assert pnl[month, "revenue"] == e["revenue"], month
        assert pnl[month, "direct_costs"] == e["direct_costs"], month
        assert pnl[month, "other_income"] == e["other_income"], month
        assert pnl[month, "expenses"] == e["expenses"], month
        assert pnl[month, "gross_profit"] == gross, month
        assert pnl[month, "net_profit"] == gross - e["other_income"] - e["expenses"], month
    assert sum(pnl[m, "revenue"] for m in months) < 0  # credit-negative
    assert sum(pnl[m, "net_profit"] for m in months) == -sum(expected.values())
