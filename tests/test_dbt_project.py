"""The dbt project end to end on the hand-written scratch company of tests/dbt_dev_seed.py.

`dbt build` runs every model, data test and unit test; the assertions below then hold the
marts to values worked out by hand from the scenario (both Stripe API shapes, an export-only
JPY subscription, trials, a 50 % coupon, past_due/unpaid, churn and reactivation).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


@pytest.fixture()
def con(built_warehouse: Path):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


def test_movements_of_the_per_seat_customer(con) -> None:
    rows = con.execute(
        "select movement_date::varchar, movement_type, mrr_delta_rc from marts.fct_mrr_movements "
        "where customer_id = 'cus_A' order by movement_date"
    ).fetchall()
    assert rows == [
        ("2024-01-24", "new", Decimal("100")),  # trial ends: 2 seats × 50
        ("2024-03-05", "expansion", Decimal("50")),  # third seat
        ("2024-04-01", "contraction", Decimal("-75")),  # 50 % forever coupon (ids only)
        ("2024-05-15", "churn", Decimal("-75")),  # past_due kept MRR; canceled ends it
        ("2024-06-10", "reactivation", Decimal("50")),  # new subscription; setup fee not MRR
    ]


def test_mrr_rules(con) -> None:
    current = dict(
        con.execute("select customer_id, mrr from marts.fct_mrr where is_current").fetchall()
    )
    assert current["cus_B"] == Decimal("100")  # 1,200 EUR/yr; metered item = 0
    assert current["cus_C"] == Decimal("7833.333333")  # 10,000 JPY/yr + graduated tiers
    assert current["cus_D"] == Decimal("0")  # unpaid
    assert current["cus_E"] == Decimal("130")  # 3 × 10/week × 52 / 12; trial = 0
    before_coupon_end = con.execute(
        "select mrr from marts.fct_mrr where customer_id = 'cus_B' and valid_from = '2024-02-01'"
    ).fetchone()[0]
    assert before_coupon_end == Decimal("99.166667")  # 10 EUR off a yearly price, per month


def test_identity_resolution(con) -> None:
    methods = dict(
        con.execute("select customer_id, match_method from marts.dim_customers").fetchall()
    )
    assert methods["cus_A"] == "crm:custom_field+accounting:account_number"
    assert methods["cus_B"] == "crm:name+accounting:name"
    assert methods["cus_D"] == "crm:name+accounting:none"  # its account's custom field is wrong


def test_monthly_bridge_and_balances(con) -> None:
    rows = con.execute(
        "select month::varchar, mrr, customers, start_mrr + new_mrr + expansion_mrr"
        " + reactivation_mrr - contraction_mrr - churned_mrr + fx_impact_mrr"
        " from marts.metrics_monthly order by month"
    ).fetchall()
    assert [r[0] for r in rows] == [f"2024-0{m}-01" for m in range(1, 7)]
    assert all(r[1] == r[3] for r in rows)
    assert [r[2] for r in rows] == [2, 3, 4, 3, 2, 4]
    june_usd = con.execute(
        "select sum(mrr) from marts.fct_mrr where currency = 'USD' "
        "and valid_from <= '2024-06-30' and (valid_to is null or valid_to > '2024-06-30')"
    ).fetchone()[0]
    assert june_usd == Decimal("180")  # A 50 + E 130 (D unpaid)


def test_usage_counts_once_and_lines_are_typed(con) -> None:
    assert con.execute("select count(*) from staging.stg_usage__events").fetchone()[0] == 2
    types = dict(
        con.execute("select invoice_line_id, line_type from marts.fct_invoice_lines").fetchall()
    )
    assert types == {
        "il_A1_mar": "subscription",
        "il_A1_pro": "proration",
        "il_A2_setup": "one_time",
        "il_B1_year": "subscription",
        "il_B1_usage": "usage",
        "il_D_q": "subscription",
        **{f"il_C1_grad_{i}": "subscription" for i in range(6)},
        "il_C1_year": "subscription",
        "il_C1_pro": "proration",
    }


def test_policy_diff_names_the_policy_that_moves_mrr(con) -> None:
    """B's 10 EUR repeating coupon: under forever_only it no longer reduces MRR, so February's
    MRR rises by (100 − 99.166667) EUR at the month-end rate 1.0925; no other policy in the
    default comparison (cancel requested, 30 days past_due) changes February in this company."""
    rows = {
        cause: (change, configured, compared, difference)
        for cause, change, configured, compared, difference in con.execute(
            "select cause, policy_change, configured_value, compared_value, difference"
            " from marts.rpt_metric_policy_diff where month = '2024-02-01' and metric = 'mrr'"
        ).fetchall()
    }
    assert set(rows) == {
        "all",
        "mrr_discounts",
        "churn_timing",
        "past_due_churn_after_days",
        "interaction",
    }
    # round6(100 × r) − round6(99.166667 × r)
    expected = Decimal("109.250000") - Decimal("108.339584")
    assert rows["mrr_discounts"][0] == "mrr_discounts: all → forever_only"
    assert rows["mrr_discounts"][3] == expected
    assert rows["all"][3] == expected
    assert rows["churn_timing"][3] == 0
    assert rows["past_due_churn_after_days"][3] == 0
    assert rows["interaction"][3] == 0
    mrr = con.execute("select mrr from marts.metrics_monthly where month = '2024-02-01'").fetchone()
    assert rows["all"][1] == mrr[0]


def test_mrr_before_the_first_version_comes_from_invoice_lines(con) -> None:
    """C is known only from an export dated after the data: its history is its invoice lines
    (10,000 JPY a year + 7 graduated units at 7,000 JPY a month), never the proration line,
    never tax, in yen."""
    rows = con.execute(
        "select mrr_origin, min(valid_from)::varchar, max(mrr), min(mrr)"
        " from marts.fct_subscription_mrr where subscription_id = 'sub_C1' group by mrr_origin"
    ).fetchall()
    assert sorted(rows) == [
        ("invoice_lines", "2024-01-15", Decimal("7833.333333"), Decimal("7833.333333")),
        ("version", "2024-06-16", Decimal("7833.333333"), Decimal("7833.333333")),
    ]
    first = con.execute(
        "select movement_date::varchar, movement_type, mrr_delta from marts.fct_mrr_movements"
        " where customer_id = 'cus_C'"
    ).fetchall()
    assert first == [("2024-01-15", "new", Decimal("7833.333333"))]


def test_general_ledger_of_the_hand_written_company(con) -> None:
    """One Xero journal (A's March invoice: AR 175 debit, Sales 175 credit): code 200 maps to
    revenue_subscription, 610 to accounts_receivable; the P&L shows revenue −175 (ledger sign)
    and a net profit of 175; the trial balance balances."""
    mapped = con.execute(
        "select account_code, revstack_account, mapping_method, amount"
        " from intermediate.int_gl_journal_lines order by account_code"
    ).fetchall()
    assert mapped == [
        ("200", "revenue_subscription", "code", Decimal("-175")),
        ("610", "accounts_receivable", "code", Decimal("175")),
    ]
    pnl = dict(
        con.execute(
            "select pnl_line, amount from marts.rpt_gl_pnl where month = '2024-03-01'"
        ).fetchall()
    )
    assert pnl == {
        "revenue": Decimal("-175"),
        "direct_costs": Decimal("0"),
        "gross_profit": Decimal("175"),
        "other_income": Decimal("0"),
        "expenses": Decimal("0"),
        "net_profit": Decimal("175"),
    }
    balances = con.execute(
        "select revstack_account, debit, credit, closing_balance from marts.rpt_gl_trial_balance"
        " order by revstack_account"
    ).fetchall()
    assert balances == [
        ("accounts_receivable", Decimal("175"), Decimal("0"), Decimal("175")),
        ("revenue_subscription", Decimal("0"), Decimal("175"), Decimal("-175")),
    ]


def test_revenue_recognition_by_hand(con) -> None:
    rows = con.execute(
        "select month::varchar, recognized_minor, deferred_end from marts.fct_revenue_recognition"
        " where invoice_line_id = ? order by month",
        ["il_A1_mar"],
    ).fetchall()
    # 150 USD for 2024-03-05 → 2024-04-05 (31 days): March 27/31 = 130.645 → 130.65 (half up),
    # gross. re_A1 refunds 25 of the invoice (150 + a 25 proration) on 20 March, before anything
    # was recognised in an earlier month: all 25 comes out of deferred revenue, 21.43 of it from
    # this line (150/175, the proration line 3.57). So March recognises
    # 130.65 − round(21.43 × 130.65/150) = 130.65 − 18.67 = 111.98, and April the rest of 128.57.
    assert rows == [("2024-03-01", 11198, Decimal("16.59")), ("2024-04-01", 1659, Decimal("0"))]
    year = con.execute(
        "select recognized_minor, recognized from marts.fct_revenue_recognition"
        " where invoice_line_id = 'il_C1_year' order by month"
    ).fetchall()
    # 10,000 JPY (no minor unit) over 2024-01-15 → 2025-01-15, 366 days: January 17/366 → 464
    assert year[0] == (464, Decimal("464"))
    assert len(year) == 13 and sum(minor for minor, _ in year) == 10000
    setup = con.execute(
        "select month::varchar, recognized, deferred_end, revenue_account"
        " from marts.fct_revenue_recognition where invoice_line_id = 'il_A2_setup'"
    ).fetchall()
    assert setup == [("2024-06-01", Decimal("200"), Decimal("0"), "revenue_one_time")]  # at once


def test_metrics_monthly_revenue_equals_the_recognition_schedule(con) -> None:
    rows = con.execute(
        "select m.month, m.recognized_revenue, m.deferred_revenue_end,"
        " coalesce(sum(r.recognized_rc), 0), coalesce(sum(r.deferred_end_rc), 0)"
        " from marts.metrics_monthly as m"
        " left join marts.fct_revenue_recognition as r on r.month = m.month group by all"
    ).fetchall()
    assert rows and all(r[1] == r[3] and r[2] == r[4] for r in rows)
    assert sum(r[1] for r in rows) > 0
