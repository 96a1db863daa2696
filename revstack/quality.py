"""Great Expectations suites on the staged sources and the marts (DESIGN §6).

Each suite is a fixed SQL query on the working warehouse and a list of expectations (keys
unique and present, domains such as ISO 4217 codes and Stripe id patterns, ranges, row-count
floors). They run inside the ``ops/checks`` step on pandas frames in an ephemeral GX context (GX's
own SQL datasource does not work over DuckDB here: STACK_NOTES). A failed expectation is one
:class:`alerts.CheckResult` named ``gx:<suite>`` keyed ``<expectation>:<column>``, with a sample of
the unexpected values as evidence; a suite marked blocking (duplicate or missing keys in a mart)
stops the publish step.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ingestion.currencies import CURRENCY_CODES
from revstack.alerts import CheckResult, Severity

log = logging.getLogger(__name__)

#: Stripe id prefixes per object (charges may also be payments `py_`).
STRIPE_ID = {
    "customer": r"^cus_[A-Za-z0-9]+$",
    "invoice": r"^in_[A-Za-z0-9]+$",
    "charge": r"^(ch|py)_[A-Za-z0-9]+$",
    "refund": r"^(re|pyr)_[A-Za-z0-9]+$",
    "dispute": r"^(dp|du)_[A-Za-z0-9]+$",
    "payout": r"^po_[A-Za-z0-9]+$",
}
LEDGER_ACCOUNTS = [
    "accounts_receivable", "deferred_revenue", "revenue_subscription", "revenue_usage",
    "revenue_one_time", "refunds", "tax_payable", "gateway_balance", "bank", "processing_fees",
    "dispute_losses", "platform_fee_revenue", "customer_balance", "fx_gain_loss", "bad_debt",
    "partner_payouts",
]  # fmt: skip


@dataclass(frozen=True)
class Suite:
    name: str
    sql: str
    #: (expectation class name, kwargs) pairs, e.g. ("ExpectColumnValuesToBeUnique", {...})
    expectations: list[tuple[str, dict[str, Any]]]
    severity: Severity = "error"
    #: the relation the query needs; the suite is skipped while it does not exist
    needs: str = ""
    row_count_floor: Callable[[duckdb.DuckDBPyConnection], int] | None = field(
        default=None, compare=False
    )


def _count(sql: str) -> Callable[[duckdb.DuckDBPyConnection], int]:
    return lambda con: int(con.execute(sql).fetchone()[0])


def _keys(column: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("ExpectColumnValuesToNotBeNull", {"column": column}),
        ("ExpectColumnValuesToBeUnique", {"column": column}),
    ]


def _currency(column: str = "currency") -> tuple[str, dict[str, Any]]:
    return ("ExpectColumnValuesToBeInSet", {"column": column, "value_set": sorted(CURRENCY_CODES)})


def _pattern(column: str, kind: str) -> tuple[str, dict[str, Any]]:
    return ("ExpectColumnValuesToMatchRegex", {"column": column, "regex": STRIPE_ID[kind]})


SUITES: tuple[Suite, ...] = (
    # the sources, as staged (one row per object's latest version)
    Suite(
        "stg_gateway__customers",
        "select customer_id from staging.stg_gateway__customers",
        [*_keys("customer_id"), _pattern("customer_id", "customer")],
        needs="staging.stg_gateway__customers",
    ),
    Suite(
        "stg_gateway__invoices",
        "select invoice_id, upper(currency) as currency, total_minor"
        " from staging.stg_gateway__invoices",
        [*_keys("invoice_id"), _pattern("invoice_id", "invoice"), _currency()],
        needs="staging.stg_gateway__invoices",
    ),
    Suite(
        "stg_gateway__charges",
        "select charge_id, upper(currency) as currency, amount_minor"
        " from staging.stg_gateway__charges",
        [
            *_keys("charge_id"),
            _pattern("charge_id", "charge"),
            _currency(),
            ("ExpectColumnValuesToBeBetween", {"column": "amount_minor", "min_value": 0}),
        ],
        needs="staging.stg_gateway__charges",
    ),
    Suite(
        "stg_gateway__payouts",
        "select payout_id, upper(currency) as currency from staging.stg_gateway__payouts",
        [*_keys("payout_id"), _pattern("payout_id", "payout"), _currency()],
        needs="staging.stg_gateway__payouts",
    ),
    # the marts: keys are blocking (a duplicate key would double money in every report)
    Suite(
        "dim_customers",
        "select customer_id from marts.dim_customers",
        [*_keys("customer_id"), _pattern("customer_id", "customer")],
        severity="blocking",
        needs="marts.dim_customers",
        row_count_floor=_count("select count(*) from staging.stg_gateway__customers"),
    ),
    Suite(
        "fct_invoices",
        "select invoice_id, currency from marts.fct_invoices",
        [*_keys("invoice_id"), _currency()],
        severity="blocking",
        needs="marts.fct_invoices",
        row_count_floor=_count("select count(*) from staging.stg_gateway__invoices"),
    ),
    Suite(
        "fct_payments",
        "select payment_id, kind, currency, amount, status from marts.fct_payments",
        [
            *_keys("payment_id"),
            (
                "ExpectColumnValuesToBeInSet",
                {"column": "kind", "value_set": ["charge", "refund", "dispute"]},
            ),
            (
                "ExpectColumnValuesToMatchRegex",
                {"column": "payment_id", "regex": r"^(ch|py|re|pyr|dp|du)_[A-Za-z0-9]+$"},
            ),
            _currency(),
            ("ExpectColumnValuesToBeBetween", {"column": "amount", "min_value": 0}),
        ],
        severity="blocking",
        needs="marts.fct_payments",
    ),
    Suite(
        "metrics_monthly",
        "select month, mrr, customers, customer_churn_rate from marts.metrics_monthly",
        [
            *_keys("month"),
            ("ExpectColumnValuesToBeBetween", {"column": "mrr", "min_value": 0}),
            ("ExpectColumnValuesToBeBetween", {"column": "customers", "min_value": 0}),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "customer_churn_rate", "min_value": 0, "max_value": 1},
            ),
        ],
        severity="blocking",
        needs="marts.metrics_monthly",
    ),
    Suite(
        "fct_revenue_ledger",
        # a million lines at 10,000 customers: the domain and sign of each account × currency
        "select account, currency, min(debit) as debit, min(credit) as credit"
        " from marts.fct_revenue_ledger group by all",
        [
            ("ExpectColumnValuesToBeInSet", {"column": "account", "value_set": LEDGER_ACCOUNTS}),
            _currency(),
            ("ExpectColumnValuesToBeBetween", {"column": "debit", "min_value": 0}),
            ("ExpectColumnValuesToBeBetween", {"column": "credit", "min_value": 0}),
        ],
        needs="marts.fct_revenue_ledger",
    ),
)


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, table = relation.split(".")
    (n,) = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return n > 0


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no network
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, context


def _failure(suite: Suite, r: Any, floor: int | None) -> CheckResult:
    config = r.expectation_config
    column = config.kwargs.get("column") or "table"
    detail = r.result or {}
    unexpected = detail.get("unexpected_count")
    observed = detail.get("observed_value")
    summary = f"{suite.name}.{column}: {config.type} failed"
    if unexpected:
        summary += f" for {unexpected} row(s)"
    if observed is not None:
        summary += f" (observed {observed}, expected at least {floor})"
    evidence = [{"unexpected": str(v)} for v in (detail.get("partial_unexpected_list") or [])[:10]]
    return CheckResult(
        check_name=f"gx:{suite.name}",
        severity=suite.severity,
        passed=False,
        key=f"{config.type}:{column}",
        summary=summary,
        evidence=evidence or [{"observed": str(observed), "expected_min": floor}],
        where=suite.sql,
    )


def run_suites(
    con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...] = SUITES
) -> list[CheckResult]:
    """Validate every suite whose relation exists; one result per failed expectation, and one
    passed result per suite that held."""
    runnable = [s for s in suites if not s.needs or _exists(con, s.needs)]
    if not runnable:
        return []
    con.execute("set enable_progress_bar = false")
    gx, context = _context()
    source = context.data_sources.add_pandas("revstack")
    results: list[CheckResult] = []
    for suite in runnable:
        frame = con.execute(suite.sql).df()  # DECIMAL arrives as float64: fine for bounds
        batch_def = source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe(
            "all"
        )
        batch = batch_def.get_batch(batch_parameters={"dataframe": frame})
        gx_suite = gx.ExpectationSuite(name=suite.name)
        for name, kwargs in suite.expectations:
            gx_suite.add_expectation(getattr(gx.expectations, name)(**kwargs))
        floor = suite.row_count_floor(con) if suite.row_count_floor else None
        if floor:
            gx_suite.add_expectation(
                gx.expectations.ExpectTableRowCountToBeBetween(min_value=floor)
            )
        validation = batch.validate(gx_suite)
        failed = [r for r in validation.results if not r.success]
        for r in failed:
            results.append(_failure(suite, r, floor))
        if not failed:
            results.append(CheckResult(f"gx:{suite.name}", suite.severity, True))
    return results
