"""Cross-system reconciliation (marts/reconciliation): rpt_reconciliation and its exceptions.

On the small simulated company (200 customers × 12 months, seed 3, built end to end by the
``small_home`` fixture) every system agrees by construction, so no check may break; then breaks
planted by hand in a copy of its warehouse (a payout's amount in the raw gateway export and
events; a bank line in the raw Xero ledger) must come out as exactly those breaks, with their
key, period, difference and evidence. The rules themselves are dbt unit tests beside the models
(models/intermediate/reconciliation/_reconciliation__models.yml), run by every full dbt build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = {
    "payouts_vs_balance_transactions",
    "invoices_vs_payments",
    "gateway_vs_gl_cash",
    "gateway_vs_gl_revenue",
    "gateway_vs_gl_tax",
    "gateway_vs_gl_fees",
    "gateway_vs_gl_currency",
    "crm_won_not_billing",
    "billing_without_crm_deal",
    "crm_arr_vs_billed_mrr",
    "usage_recorded_vs_billed",
    "identity_match_rate",
    "crm_vs_billing_identity",
}


def warehouse_of(home: Path) -> Path:
    return home / "warehouse" / "revstack.duckdb"


def dbt_run(warehouse: Path, tmp: Path, *select: str) -> None:
    """``dbt run --full-refresh`` of ``select``: the planted breaks edit raw rows in place, which
    an incremental run of the typed staging tables would not read again (it reads only rows
    loaded since its last run)."""
    dbt = Path(sys.executable).with_name("dbt")
    project = ROOT / "dbt_project"
    result = subprocess.run(
        [str(dbt), "run", "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"),
         "--full-refresh", "--select", *select],
        env={**os.environ, "REVSTACK_WAREHOUSE": str(warehouse)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture(scope="module")
def clean(small_home: Path):
    con = duckdb.connect(str(warehouse_of(small_home)), read_only=True)
    yield con
    con.close()


def test_clean_company_reconciles_without_a_break(clean) -> None:
    rows = clean.execute(
        "select check_name, status, count(*) from marts.rpt_reconciliation group by all"
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for check, status, n in rows:
        counts.setdefault(check, {})[status] = n
    assert set(counts) == CHECKS  # every check ran and produced rows
    breaks = {check: n["break"] for check, n in counts.items() if "break" in n}
    assert breaks == {}, clean.execute(
        "select check_name, period, key, difference, left_evidence, right_evidence "
        "from marts.rpt_reconciliation_exceptions limit 10"
    ).fetchall()
    exceptions = clean.execute("select count(*) from marts.rpt_reconciliation_exceptions")
    assert exceptions.fetchone() == (0,)
    # the exact money checks agree to the unit, not merely within a tolerance
    for check in ("payouts_vs_balance_transactions", "invoices_vs_payments", "gateway_vs_gl_cash",
                  "gateway_vs_gl_revenue", "gateway_vs_gl_tax", "gateway_vs_gl_fees",
                  "gateway_vs_gl_currency", "usage_recorded_vs_billed"):  # fmt: skip
        assert counts[check] == {"ok": counts[check]["ok"]}, check
    # every payout, every paid invoice and every won deal is covered
    n_payouts, n_paid, n_won = clean.execute(
        "select (select count(*) from staging.stg_gateway__payouts where status != 'failed'),"
        " (select count(*) from marts.fct_invoices where status = 'paid'),"
        " (select count(*) from staging.stg_crm__opportunities where is_won)"
    ).fetchone()
    assert counts["payouts_vs_balance_transactions"]["ok"] == n_payouts
    assert counts["invoices_vs_payments"]["ok"] >= n_paid
    assert sum(counts["crm_won_not_billing"].values()) == n_won
    # identity: every simulated customer is matched in both systems; the CRM's wrong or missing
    # stripe_customer_id links (the simulator plants ~9 %) are warnings that resolution repaired
    rates = dict(
        clean.execute(
            "select key, left_amount from marts.rpt_reconciliation"
            " where check_name = 'identity_match_rate'"
        ).fetchall()
    )
    assert rates == {"crm": Decimal("1"), "accounting": Decimal("1")}
    assert counts["crm_vs_billing_identity"].get("warn", 0) > 0


def test_planted_breaks_are_found_with_their_evidence(small_home: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "revstack.duckdb"
    shutil.copy(warehouse_of(small_home), warehouse)
    con = duckdb.connect(str(warehouse))
    # 1. one USD payout says 1.00 more than the balance transactions it settles
    payout_id, created = con.execute(
        "select payout_id, created_at from staging.stg_gateway__payouts"
        " where currency = 'USD' and status = 'paid' order by created_at, payout_id limit 1"
    ).fetchone()
    amount_minor = con.execute(
        "select amount_minor from staging.stg_gateway__payouts where payout_id = ?", [payout_id]
    ).fetchone()[0]
    patched = amount_minor + 100
    con.execute(
        "update raw_gateway.payouts set data = json_merge_patch(data, json_object('amount', ?))"
        " where id = ?",
        [patched, payout_id],
    )
    con.execute(
        "update raw_gateway.events set data = json_merge_patch("
        " data, json_object('data', json_object('object', json_object('amount', ?))))"
        " where object_id = ?",
        [patched, payout_id],
    )
    # 2. the GL's bank received 5.00 more for another payout (the clearing line follows, so the
    #    journal still nets to 0)
    gl_payout, journal_id, journal_date, currency = con.execute(
        "select payouts.payout_id, journals.journal_id, journals.journal_date, payouts.currency"
        " from staging.stg_gateway__payouts as payouts"
        " inner join staging.stg_accounting__journals as journals"
        " on journals.reference = payouts.payout_id"
        " where payouts.currency = 'EUR' order by journals.journal_date, payouts.payout_id limit 1"
    ).fetchone()
    for code, delta in (("090", "5.00"), ("091", "-5.00")):
        con.execute(
            "update raw_accounting.journal_line"
            " set net_amount = cast("
            "cast(net_amount as decimal(18, 2)) + cast(? as decimal(18, 2)) as varchar)"
            " where journal_id = ? and account_code = ?",
            [delta, journal_id, code],
        )
    con.close()

    dbt_run(
        warehouse,
        tmp_path,
        "int_gl_journal_lines",
        "stg_gateway__payout_versions",
        "int_recon__payouts+",
        "int_recon__gateway_vs_gl+",
    )

    con = duckdb.connect(str(warehouse), read_only=True)
    breaks = con.execute(
        "select check_name, period, key, left_amount, right_amount, difference"
        " from marts.rpt_reconciliation where status = 'break' order by check_name"
    ).fetchall()
    usd_patched = Decimal(patched) / 100
    assert breaks == [
        (
            "gateway_vs_gl_cash",
            date(journal_date.year, journal_date.month, 1),
            f"{currency}/payouts",
            breaks[0][3],
            breaks[0][3] + Decimal("5"),
            Decimal("-5"),
        ),
        (
            "payouts_vs_balance_transactions",
            date(created.year, created.month, 1),
            payout_id,
            usd_patched,
            usd_patched - 1,
            Decimal("1"),
        ),
    ]
    exceptions = {
        row[0]: row[1:]
        for row in con.execute(
            "select check_name, key, difference, left_evidence, right_evidence, where_to_look"
            " from marts.rpt_reconciliation_exceptions"
        ).fetchall()
    }
    assert set(exceptions) == {"gateway_vs_gl_cash", "payouts_vs_balance_transactions"}
    key, difference, left, right, where = exceptions["payouts_vs_balance_transactions"]
    assert (key, difference) == (payout_id, Decimal("1"))
    assert json.loads(left)["payout_id"] == payout_id
    assert json.loads(right)["balance_transaction_ids"]  # the transactions it should settle
    assert payout_id in where
    key, difference, left, right, where = exceptions["gateway_vs_gl_cash"]
    assert difference == Decimal("-5")
    assert [o["object_id"] for o in json.loads(left)] == [gl_payout]
    (gl_side,) = json.loads(right)
    assert gl_side["object_id"] == gl_payout and gl_side["journal_ids"] == [journal_id]
    con.close()
