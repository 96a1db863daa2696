"""The revenue ledger (fct_revenue_ledger, issue 4) on real data.

On the hand-written company of tests/dbt_dev_seed.py (the session's full dev-seed build): the
postings of each kind of event, worked out by hand, the realised FX, the trial balance and the
gateway balance. On a small simulated company (e2e): the number of entries per event type and the
balances that must agree with the gateway (customer balances, receivables). The posting rules
themselves are dbt unit tests beside the models
(dbt_project/models/intermediate/ledger/_ledger__models.yml).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
LINE = (
    "select account, debit, credit, amount_rc from marts.fct_revenue_ledger "
    "where entry_id = ? order by line_no"
)


@pytest.fixture()
def con(built_warehouse: Path):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


def d(value: str) -> Decimal:
    return Decimal(value)


def test_entries_per_event_type(con) -> None:
    counts = dict(
        con.execute(
            "select event_type, count(distinct entry_id) from marts.fct_revenue_ledger group by 1"
        ).fetchall()
    )
    assert counts.pop("revenue_recognized") > 0  # one per line × month: the recognition model's
    assert counts == {
        "invoice_finalized": 10,  # every invoice (the voided one was finalised first)
        "invoice_voided": 1,
        "payment_captured": 2,  # ch_A1, ch_B1; the failed charge posts nothing
        "processing_fee": 2,
        "refund": 1,
        "dispute_opened": 1,
        "dispute_lost": 1,
        "payout": 1,
        "application_fee": 1,
        "transfer": 1,
    }


def test_invoice_with_tax_and_discount(con) -> None:
    # in_B1: 1,200 + 50 usage − 100 discount + 209 tax = 1,359 EUR, finalised 2024-02-01
    # (rate 1.0825)
    assert con.execute(LINE, ["invoice_finalized:in_B1"]).fetchall() == [
        ("accounts_receivable", d("1359"), d("0"), d("1471.1175")),
        ("deferred_revenue", d("0"), d("1150"), d("-1244.875")),
        ("tax_payable", d("0"), d("209"), d("-226.2425")),
    ]


def test_payment_realises_fx_against_the_receivable(con) -> None:
    # paid the next day at 1.0830: the receivable leaves at the invoice's 1.0825
    assert con.execute(LINE, ["payment_captured:ch_B1"]).fetchall() == [
        ("gateway_balance", d("1359"), d("0"), d("1471.797")),
        ("accounts_receivable", d("0"), d("1359"), d("-1471.1175")),
        ("fx_gain_loss", d("0"), d("0"), d("-0.6795")),
    ]
    assert con.execute(LINE, ["processing_fee:txn_B1"]).fetchall() == [
        ("processing_fees", d("19.28"), d("0"), d("20.88024")),
        ("gateway_balance", d("0"), d("19.28"), d("-20.88024")),
    ]


def test_refund_before_any_recognition_goes_back_to_deferred_revenue(con) -> None:
    # re_A1 (25 USD, 2024-03-20) on in_A1_mar, whose service starts 2024-03-05: nothing was
    # recognised in the months before March, so no contra revenue
    assert con.execute(LINE, ["refund:re_A1"]).fetchall() == [
        ("deferred_revenue", d("25"), d("0"), d("25")),
        ("gateway_balance", d("0"), d("25"), d("-25")),
    ]


def test_dispute_opened_and_lost(con) -> None:
    assert con.execute(LINE, ["dispute_opened:dp_B1"]).fetchall() == [
        ("accounts_receivable", d("1359"), d("0"), d("1471.1175")),
        ("dispute_losses", d("15"), d("0"), d("16.2525")),
        ("gateway_balance", d("0"), d("1374"), d("-1488.729")),
        ("fx_gain_loss", d("0"), d("0"), d("1.359")),
    ]
    assert con.execute(LINE, ["dispute_lost:dp_B1"]).fetchall() == [
        ("dispute_losses", d("1359"), d("0"), d("1487.4255")),
        ("accounts_receivable", d("0"), d("1359"), d("-1471.1175")),
        ("fx_gain_loss", d("0"), d("0"), d("-16.308")),
    ]


def test_void_reverses_the_finalisation(con) -> None:
    assert con.execute(LINE, ["invoice_voided:in_D_void"]).fetchall() == [
        ("accounts_receivable", d("0"), d("360"), d("-360")),
        ("deferred_revenue", d("360"), d("0"), d("360")),
    ]


def test_every_line_traces_to_a_stripe_object(con) -> None:
    rows = con.execute(
        "select distinct event_type, source_system, split_part(source_id, '_', 1) "
        "from marts.fct_revenue_ledger order by 1"
    ).fetchall()
    prefixes = {event: prefix for event, _, prefix in rows}
    assert {system for _, system, _ in rows} == {"gateway"}
    assert prefixes == {
        "application_fee": "fee",
        "dispute_lost": "dp",
        "dispute_opened": "dp",
        "invoice_finalized": "in",
        "invoice_voided": "in",
        "payment_captured": "ch",
        "payout": "po",
        "processing_fee": "txn",
        "refund": "re",
        "revenue_recognized": "il",
        "transfer": "tr",
    }


def test_every_entry_balances_and_the_trial_balance_is_zero(con) -> None:
    unbalanced = con.execute(
        "select entry_id, currency from marts.fct_revenue_ledger group by all "
        "having sum(debit) != sum(credit) or sum(amount_rc) != 0"
    ).fetchall()
    assert unbalanced == []
    trial = con.execute(
        "select currency, sum(debit) - sum(credit), sum(amount_rc) from marts.fct_revenue_ledger "
        "group by 1 order by 1"
    ).fetchall()
    assert trial == [("EUR", 0, 0), ("JPY", 0, 0), ("USD", 0, 0)]


def test_gateway_balance_equals_balance_transactions_less_payouts(con) -> None:
    ledger = dict(
        con.execute(
            "select currency, sum(debit) - sum(credit) from marts.fct_revenue_ledger "
            "where account = 'gateway_balance' group by 1"
        ).fetchall()
    )
    # USD: charge 175 − fee 5.38 − refund 25 + application fee 1 − transfer 5 − payout 169.62
    # EUR: charge 1,359 − fee 19.28 − dispute 1,359 − dispute fee 15
    assert ledger == {"USD": d("-29"), "EUR": d("-34.28")}
    txns = dict(
        con.execute(
            "select currency, sum(net) from staging.stg_gateway__balance_transactions "
            "where balance_transaction_type != 'payout' group by 1"
        ).fetchall()
    )
    payouts = dict(
        con.execute(
            "select currency, sum(amount) from staging.stg_gateway__payouts group by 1"
        ).fetchall()
    )
    assert {c: txns[c] - payouts.get(c, 0) for c in txns} == ledger


def test_debits_and_credits_are_non_negative_decimals(con) -> None:
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_revenue_ledger'"
        ).fetchall()
    )
    assert types["debit"] == types["credit"] == types["amount_rc"] == "DECIMAL(38,6)"
    (bad,) = con.execute(
        "select count(*) from marts.fct_revenue_ledger "
        "where debit < 0 or credit < 0 or (debit > 0 and credit > 0)"
    ).fetchone()
    assert bad == 0


# --- a small simulated company (e2e) ----------------------------------------------------------


@pytest.fixture()
def small(small_home: Path):
    connection = duckdb.connect(str(small_home / "warehouse" / "revstack.duckdb"), read_only=True)
    yield connection
    connection.close()


@pytest.mark.e2e
def test_simulated_entries_per_event_type(small) -> None:
    counts = dict(
        small.execute(
            "select event_type, count(distinct entry_id) from marts.fct_revenue_ledger group by 1"
        ).fetchall()
    )
    assert counts.pop("revenue_recognized") > 0
    # the simulator's objects (seed 3): 1,026 invoices (962 finalised, 14 voided, 7 written
    # off), 1,066 charges (932 succeeded), 33 refunds, 10 disputes (6 won, 2 lost, 2 open),
    # 549 payouts, 80 application fees and transfers; its credit notes all ride on refunds
    assert counts == {
        "invoice_finalized": 962,
        "invoice_voided": 14,
        "invoice_written_off": 7,
        "payment_captured": 932,
        "processing_fee": 932,
        "refund": 33,
        "dispute_opened": 10,
        "dispute_won": 6,
        "dispute_lost": 2,
        "payout": 549,
        "application_fee": 80,
        "transfer": 80,
    }


@pytest.mark.e2e
def test_simulated_customer_balances_equal_the_gateways(small) -> None:
    (mismatches,) = small.execute(
        """
        with ledger as (
            select customer_id, sum(debit) - sum(credit) as balance
            from marts.fct_revenue_ledger where account = 'customer_balance' group by 1
        )
        select count(*) from staging.stg_gateway__customers as customers
        full outer join ledger using (customer_id)
        where coalesce(ledger.balance, 0) != coalesce(customers.balance, 0)
        """
    ).fetchone()
    assert mismatches == 0


@pytest.mark.e2e
def test_simulated_receivables_are_open_invoices_and_open_disputes(small) -> None:
    rows = small.execute(
        """
        with ledger as (
            select currency, sum(debit) - sum(credit) as receivable
            from marts.fct_revenue_ledger where account = 'accounts_receivable' group by 1
        ),
        expected as (
            select currency, amount_remaining as amount
            from marts.fct_invoices where status = 'open'
            union all
            select currency, amount from staging.stg_gateway__disputes
            where status not in ('won', 'lost')
        )
        select ledger.currency, ledger.receivable, coalesce(sum(expected.amount), 0)
        from ledger left join expected using (currency)
        group by 1, 2
        """
    ).fetchall()
    assert rows and all(receivable == expected for _, receivable, expected in rows)
