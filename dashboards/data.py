"""The app's only door to data: cached, read-only, parameterised queries on the serving snapshot.

The snapshot is replaced atomically by each publish (DESIGN §7). A connection keeps reading the
file it opened, so every cache here is keyed by the snapshot's identity (inode + mtime): a new
publish gives a new key, a new connection and fresh frames.

Every SQL text is fixed; widget values only ever reach DuckDB as bound parameters. Frames keep
DECIMAL money as ``decimal.Decimal`` (through Arrow), never floats: pages format them for display.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from revstack import config, serving


@dataclass(frozen=True)
class Snapshot:
    path: str
    inode: int
    mtime_ns: int


def current_snapshot() -> Snapshot | None:
    path = config.serving_path()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return Snapshot(str(path), stat.st_ino, stat.st_mtime_ns)


@st.cache_resource(max_entries=2)
def _connection(snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
    """A connection reading this snapshot file: :func:`revstack.serving.connect_snapshot`, which
    attaches it read-only to a private in-memory database (``duckdb.connect(path)`` would hand
    back the process's cached instance of the path, still reading the file the previous publish
    replaced)."""
    return serving.connect_snapshot(Path(snapshot.path))


@st.cache_data(max_entries=256)
def query(snapshot: Snapshot, sql: str, params: tuple | dict[str, Any] = ()) -> pd.DataFrame:
    """Run a fixed SQL text with bound parameters (never string-built from widget values).

    Positional (``?``, a tuple) or named (``$name``, a dict) parameters. DECIMAL columns come back
    as ``decimal.Decimal`` objects, exact.
    """
    cursor = _connection(snapshot).cursor()
    try:
        cursor.execute("use serving")  # per connection, like the settings below
        cursor.execute("set enable_progress_bar = false")
        cursor.execute("set python_enable_replacements = false")
        bound = dict(params) if isinstance(params, dict) else list(params)
        return cursor.sql(sql, params=bound).to_arrow_table().to_pandas()
    finally:
        cursor.close()


def now() -> datetime:
    """UTC now, naive like the snapshot's timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def published_at(snapshot: Snapshot) -> datetime | None:
    frame = query(snapshot, "select published_at from meta.snapshot")
    return None if frame.empty else frame.iloc[0, 0].to_pydatetime()


def table_refreshed_at(snapshot: Snapshot, table: str) -> datetime | None:
    """When ``table`` (``schema.name``) was last refreshed in the snapshot: ``meta.tables``,
    which a live publish updates for the few tables it replaces between full builds; else the
    last full publish."""
    if _has_table(snapshot, "meta", "tables"):
        frame = query(
            snapshot, "select refreshed_at from meta.tables where table_name = ?", (table,)
        )
        if not frame.empty:
            return frame.iloc[0, 0].to_pydatetime()
    return published_at(snapshot)


def latest_payment_day(snapshot: Snapshot) -> pd.DataFrame:
    """The latest day with a charge (today, while live traffic flows): cash collected (its
    succeeded charges, in the reporting currency), charges succeeded and failed, refunds, and
    the last succeeded charge's time and amount. From ``fct_payments``, which the live path
    refreshes within seconds (the monthly metrics wait for the next full build)."""
    return query(
        snapshot,
        """
        with latest as (
            select max(occurred_date) as business_day
            from marts.fct_payments
            where kind = 'charge'
        ),

        day_rows as (
            select payments.*
            from marts.fct_payments as payments
            inner join latest on payments.occurred_date = latest.business_day
        )

        select
            any_value(occurred_date) as business_day,
            coalesce(sum(amount_rc) filter (where kind = 'charge' and status = 'succeeded'), 0)
                as cash_collected,
            count(*) filter (where kind = 'charge' and status = 'succeeded') as charges_succeeded,
            count(*) filter (where kind = 'charge' and status = 'failed') as charges_failed,
            count(*) filter (where kind = 'refund') as refunds,
            max(occurred_at) filter (where kind = 'charge' and status = 'succeeded')
                as last_payment_at,
            arg_max(amount_rc, occurred_at) filter (where kind = 'charge' and status = 'succeeded')
                as last_payment_rc
        from day_rows
        having count(*) > 0
        """,
    )


def snapshot_build(snapshot: Snapshot) -> str | None:
    """The Dagster run that published the marts the snapshot holds."""
    frame = query(snapshot, "select build_id from meta.snapshot")
    return None if frame.empty else frame.iloc[0, 0]


def _tables(snapshot: Snapshot) -> frozenset[str]:
    frame = query(
        snapshot, "select table_schema || '.' || table_name as t from information_schema.tables"
    )
    return frozenset(frame["t"])


def _has_table(snapshot: Snapshot, schema: str, table: str) -> bool:
    return f"{schema}.{table}" in _tables(snapshot)


def missing_marts(snapshot: Snapshot, names: tuple[str, ...]) -> list[str]:
    """Which of the marts a page needs the snapshot does not hold."""
    return [name for name in names if not _has_table(snapshot, "marts", name)]


# ------------------------------------------------------------------------------- filter options


def months(snapshot: Snapshot) -> list[date]:
    if not _has_table(snapshot, "marts", "metrics_monthly"):
        return []
    return list(query(snapshot, "select month from marts.metrics_monthly order by month")["month"])


def reporting_currency(snapshot: Snapshot) -> str:
    if _has_table(snapshot, "marts", "metrics_monthly"):
        frame = query(snapshot, "select any_value(reporting_currency) from marts.metrics_monthly")
        if not frame.empty and isinstance(frame.iloc[0, 0], str):
            return frame.iloc[0, 0]
    return config.reporting_currency()


def currencies(snapshot: Snapshot) -> list[str]:
    """The transaction currencies customers are billed in."""
    if not _has_table(snapshot, "marts", "dim_customers"):
        return []
    frame = query(
        snapshot,
        "select distinct upper(currency) as c from marts.dim_customers"
        " where currency is not null order by c",
    )
    return list(frame["c"])


def segments(snapshot: Snapshot) -> list[str]:
    if not _has_table(snapshot, "marts", "dim_customers"):
        return []
    frame = query(
        snapshot,
        "select distinct coalesce(segment, '(none)') as s from marts.dim_customers order by s",
    )
    return list(frame["s"])


# The customers a (currency, segments) filter keeps; $currency NULL = every currency (the
# reporting view), $segments empty = every segment.
_FILTERED_CUSTOMERS = """
    select customer_id, name, segment, country, upper(currency) as currency
    from marts.dim_customers
    where ($currency::varchar is null or upper(currency) = $currency)
      and (len($segments::varchar[]) = 0
           or list_contains($segments::varchar[], coalesce(segment, '(none)')))
"""


def _scope(currency: str | None, segs: tuple[str, ...]) -> dict[str, Any]:
    return {"currency": currency, "segments": list(segs)}


# ------------------------------------------------------------------------------------- overview


def metrics_monthly(snapshot: Snapshot) -> pd.DataFrame:
    """metrics_monthly with AR outstanding at each month end (Σ rpt_ar_aging receivables)."""
    ar = (
        "(select coalesce(sum(a.open_receivables_rc), 0) from marts.rpt_ar_aging as a"
        " where a.month = m.month)"
        if _has_table(snapshot, "marts", "rpt_ar_aging")
        else "null::decimal(38, 6)"
    )
    return query(
        snapshot,
        f"""
        select
            m.month, m.mrr, m.arr, m.customers, m.new_mrr, m.expansion_mrr, m.contraction_mrr,
            m.churned_mrr, m.reactivation_mrr, m.fx_impact_mrr, m.net_new_mrr,
            m.customer_churn_rate, m.gross_mrr_churn_rate, m.net_mrr_churn_rate, m.nrr, m.grr,
            m.arpa, m.cash_collected, m.recognized_revenue, m.deferred_revenue_end,
            {ar} as ar_outstanding
        from marts.metrics_monthly as m
        order by m.month
        """,
    )


# ------------------------------------------------------------------------------------------ MRR


def mrr_bridge(
    snapshot: Snapshot, start: date, end: date, currency: str | None, segs: tuple[str, ...]
) -> pd.DataFrame:
    """The MRR bridge per month: start + new + expansion + reactivation − contraction − churn
    + FX = end.

    The company in the reporting currency is metrics_monthly itself (month-end rates). A segment
    or currency view sums the same month-end balances, metrics_customer_monthly (at the month
    end's rate, or in the transaction currency), and fct_mrr_movements; there FX is what the
    balances' rates leave (0 in a transaction currency), and every segment together is
    metrics_monthly again."""
    if currency is None and not segs:
        return query(
            snapshot,
            """
            select month, start_mrr, new_mrr, expansion_mrr, reactivation_mrr,
                   -contraction_mrr as contraction_mrr, -churned_mrr as churned_mrr,
                   fx_impact_mrr, mrr as end_mrr, customers
            from marts.metrics_monthly
            where month between $start and $end
            order by month
            """,
            {"start": start, "end": end},
        )
    return query(
        snapshot,
        f"""
        with cust as ({_FILTERED_CUSTOMERS}),
        mo as (
            select month, (month - interval 1 month)::date as previous_month
            from marts.metrics_monthly
            where month between $start and $end
        ),
        mrr as (
            select b.month, b.is_paying,
                   case when $currency::varchar is null then b.mrr_rc else b.mrr end as amount
            from marts.metrics_customer_monthly as b
            where b.customer_id in (select customer_id from cust)
        ),
        balances as (
            select
                mo.month,
                coalesce(sum(m.amount) filter (where m.month = mo.month), 0) as end_mrr,
                coalesce(sum(m.amount) filter (where m.month = mo.previous_month), 0)
                    as start_mrr,
                count(*) filter (where m.month = mo.month and m.is_paying) as customers
            from mo left join mrr as m on m.month in (mo.month, mo.previous_month)
            group by mo.month
        ),
        moves as (
            select
                date_trunc('month', v.movement_date)::date as month,
                v.movement_type,
                sum(case when $currency::varchar is null then v.mrr_delta_rc
                    else v.mrr_delta end) as amount
            from marts.fct_mrr_movements as v
            where v.customer_id in (select customer_id from cust)
            group by all
        ),
        pivoted as (
            select
                mo.month,
                coalesce(sum(amount) filter (where movement_type = 'new'), 0) as new_mrr,
                coalesce(sum(amount) filter (where movement_type = 'expansion'), 0)
                    as expansion_mrr,
                coalesce(sum(amount) filter (where movement_type = 'reactivation'), 0)
                    as reactivation_mrr,
                coalesce(sum(amount) filter (where movement_type = 'contraction'), 0)
                    as contraction_mrr,
                coalesce(sum(amount) filter (where movement_type = 'churn'), 0) as churned_mrr
            from mo left join moves using (month)
            group by mo.month
        )
        select
            b.month, b.start_mrr, p.new_mrr, p.expansion_mrr, p.reactivation_mrr,
            p.contraction_mrr, p.churned_mrr,
            b.end_mrr - b.start_mrr - p.new_mrr - p.expansion_mrr - p.reactivation_mrr
                - p.contraction_mrr - p.churned_mrr as fx_impact_mrr,
            b.end_mrr, b.customers
        from balances as b join pivoted as p using (month)
        order by b.month
        """,
        {"start": start, "end": end, **_scope(currency, segs)},
    )


def mrr_movements(
    snapshot: Snapshot, start: date, end: date, currency: str | None, segs: tuple[str, ...]
) -> pd.DataFrame:
    """Every movement in the months [start, end], with its customer and source id."""
    return query(
        snapshot,
        f"""
        with cust as ({_FILTERED_CUSTOMERS})
        select
            v.movement_date, v.movement_type, v.customer_id, c.name, c.segment, c.country,
            c.currency, v.previous_mrr, v.current_mrr, v.mrr_delta, v.mrr_delta_rc, v.source_id
        from marts.fct_mrr_movements as v
        join cust as c using (customer_id)
        where v.movement_date >= $start
          and v.movement_date < ($end + interval 1 month)
        order by v.movement_date, v.customer_id
        """,
        {"start": start, "end": end, **_scope(currency, segs)},
    )


def mrr_split(
    snapshot: Snapshot, month: date, by: str, currency: str | None, segs: tuple[str, ...]
) -> pd.DataFrame:
    """MRR on the month's last day split by plan (the subscription's price ids), segment,
    country or currency, and how many customers and subscriptions pay it.

    The balances are metrics_customer_monthly's: each paying customer's MRR at the month end's
    rate (or in the transaction currency), so in the reporting currency every split adds up to
    metrics_monthly.mrr and its customers to metrics_monthly.customers, exactly. A customer's
    subscriptions (fct_subscription_mrr in force that day) divide its MRR among plans: each plan
    at round(Σ its subscriptions' mrr × the month-end rate, 6), the customer's last plan (by
    name) taking what rounding leaves of the customer's mrr_rc (at most 0.000001 per plan)."""
    return query(
        snapshot,
        f"""
        with cust as ({_FILTERED_CUSTOMERS}),
        balances as (
            select b.customer_id, upper(b.currency) as currency, b.segment, b.country, b.mrr,
                   b.fx_rate, b.mrr_rc
            from marts.metrics_customer_monthly as b
            where b.month = $month and b.is_paying
              and b.customer_id in (select customer_id from cust)
        ),
        subs as (
            select
                s.customer_id, s.subscription_id, s.mrr,
                coalesce(array_to_string(list_sort(list_distinct(
                    list_transform(s.items, lambda i: i.price_id))), ' + '), '(no items)') as plan
            from marts.fct_subscription_mrr as s
            where s.valid_from <= $month_end
              and (s.valid_to is null or s.valid_to > $month_end)
              and s.mrr > 0
        ),
        plans as (
            select
                b.customer_id, any_value(b.currency) as currency,
                any_value(b.segment) as segment, any_value(b.country) as country,
                coalesce(s.plan, '(no subscription)') as plan,
                coalesce(sum(s.mrr), any_value(b.mrr)) as plan_mrr,
                any_value(b.fx_rate) as fx_rate, any_value(b.mrr_rc) as customer_mrr_rc,
                count(s.subscription_id) as subscriptions
            from balances as b
            left join subs as s using (customer_id)
            group by b.customer_id, coalesce(s.plan, '(no subscription)')
        ),
        converted as (
            select
                *,
                round(plan_mrr::decimal(38, 6) * fx_rate, 6)::decimal(38, 6) as plan_mrr_rc,
                row_number() over (partition by customer_id order by plan desc) = 1 as is_last
            from plans
        ),
        allocated as (
            select
                *,
                case
                    when $currency::varchar is not null then plan_mrr
                    when is_last then customer_mrr_rc
                        - (sum(plan_mrr_rc) over (partition by customer_id) - plan_mrr_rc)
                    else plan_mrr_rc
                end as amount
            from converted
        )
        select
            case $by
                when 'plan' then plan
                when 'segment' then coalesce(segment, '(none)')
                when 'country' then coalesce(country, '(none)')
                else currency
            end as "group",
            sum(amount) as mrr,
            count(distinct customer_id) as customers,
            sum(subscriptions)::bigint as subscriptions
        from allocated
        group by all
        order by mrr desc, "group"
        """,
        {
            "month": month,
            "month_end": month_end(month),
            "by": by,
            **_scope(currency, segs),
        },
    )


def month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


# ------------------------------------------------------------------------------------ retention


def cohorts(snapshot: Snapshot, start: date, end: date) -> pd.DataFrame:
    """Cohorts first paying in [start, end], measured through the end month."""
    return query(
        snapshot,
        """
        select cohort_month, months_since, month, cohort_customers, customers_retained,
               customer_retention, cohort_start_mrr, mrr_retained, net_mrr_retention,
               mrr_retained_constant_fx, net_mrr_retention_constant_fx
        from marts.metrics_cohorts
        where cohort_month between $start and $end and month <= $end
        order by cohort_month, months_since
        """,
        {"start": start, "end": end},
    )


# -------------------------------------------------------------------------------------- revenue


def deferred_rollforward(
    snapshot: Snapshot, start: date, end: date, currency: str | None = None
) -> pd.DataFrame:
    """Deferred revenue per month from fct_revenue_recognition: opening + invoiced − recognised
    − given back (refunds, credit notes and voids: what the balances leave) = closing. In the
    reporting currency at each invoice's rate (``currency`` None), else the lines billed in
    ``currency``, in it."""
    return query(
        snapshot,
        """
        with r as (
            select
                month, invoiced_month,
                case when $currency::varchar is null then net_amount_rc else net_amount end
                    as net_amount,
                case when $currency::varchar is null then recognized_rc else recognized end
                    as recognized,
                case when $currency::varchar is null then deferred_end_rc else deferred_end end
                    as deferred_end
            from marts.fct_revenue_recognition
            where $currency::varchar is null or upper(currency) = $currency
        ),
        by_month as (
            select
                month,
                -- a line's first row is its invoice's month: count its amount once, there
                coalesce(sum(net_amount) filter (where month = invoiced_month), 0) as invoiced,
                sum(recognized) as recognized,
                sum(deferred_end) as closing_deferred
            from r
            group by month
        ),
        rolled as (
            select
                month,
                coalesce(lag(closing_deferred) over (order by month), 0) as opening_deferred,
                invoiced, recognized, closing_deferred
            from by_month
        )
        select
            month, opening_deferred, invoiced, -recognized as recognized,
            closing_deferred - opening_deferred - invoiced + recognized as given_back,
            closing_deferred
        from rolled
        where month between $start and $end
        order by month
        """,
        {"start": start, "end": end, "currency": currency},
    )


def revenue_waterfall(snapshot: Snapshot, start: date, end: date) -> pd.DataFrame:
    """Invoiced month × recognition month, both in [start, end]."""
    return query(
        snapshot,
        """
        select invoiced_month, recognition_month, months_after_invoice, invoiced_rc,
               recognized_rc, cumulative_recognized_rc, deferred_end_rc
        from marts.rpt_revenue_waterfall
        where invoiced_month between $start and $end
          and recognition_month between $start and $end
        order by invoiced_month, recognition_month
        """,
        {"start": start, "end": end},
    )


def ar_aging_by_month(
    snapshot: Snapshot, start: date, end: date, segs: tuple[str, ...]
) -> pd.DataFrame:
    return query(
        snapshot,
        f"""
        with cust as ({_FILTERED_CUSTOMERS})
        select
            a.month,
            count(*) as customers,
            sum(a.open_invoices)::bigint as open_invoices,
            sum(a.current_rc) as current_rc,
            sum(a.past_due_1_30_rc) as past_due_1_30_rc,
            sum(a.past_due_31_60_rc) as past_due_31_60_rc,
            sum(a.past_due_61_90_rc) as past_due_61_90_rc,
            sum(a.past_due_over_90_rc) as past_due_over_90_rc,
            sum(a.open_receivables_rc) as open_receivables_rc
        from marts.rpt_ar_aging as a
        join cust as c using (customer_id)
        where a.month between $start and $end
        group by a.month
        order by a.month
        """,
        {"start": start, "end": end, **_scope(None, segs)},
    )


def ar_aging_customers(snapshot: Snapshot, month: date, segs: tuple[str, ...]) -> pd.DataFrame:
    return query(
        snapshot,
        f"""
        with cust as ({_FILTERED_CUSTOMERS})
        select
            a.customer_id, c.name, c.segment, a.open_invoices, a.current_rc,
            a.past_due_1_30_rc, a.past_due_31_60_rc, a.past_due_61_90_rc,
            a.past_due_over_90_rc, a.open_receivables_rc, a.max_days_past_due
        from marts.rpt_ar_aging as a
        join cust as c using (customer_id)
        where a.month = $month
        order by a.past_due_rc desc, a.open_receivables_rc desc, a.customer_id
        """,
        {"month": month, **_scope(None, segs)},
    )


def tax_by_jurisdiction(snapshot: Snapshot, start: date, end: date) -> pd.DataFrame:
    return query(
        snapshot,
        """
        select
            country, state, jurisdiction, tax_type,
            sum(invoices)::bigint as invoices,
            sum(taxable_amount_rc) as taxable_amount_rc,
            sum(tax_collected_rc) as tax_collected_rc,
            sum(tax_refunded_rc) as tax_refunded_rc,
            sum(tax_voided_rc) as tax_voided_rc,
            sum(net_tax_rc) as net_tax_rc,
            sum(reverse_charge_amount_rc) as reverse_charge_amount_rc
        from marts.rpt_tax
        where month between $start and $end
        group by all
        order by net_tax_rc desc, jurisdiction, tax_type
        """,
        {"start": start, "end": end},
    )


def disputes(snapshot: Snapshot, start: date, end: date) -> pd.DataFrame:
    return query(
        snapshot,
        """
        select month, charges, disputes_opened, disputed_amount_rc, dispute_rate,
               disputes_won, disputes_lost, disputes_open, win_rate, amount_lost_rc,
               dispute_fees_rc
        from marts.rpt_disputes
        where month between $start and $end
        order by month
        """,
        {"start": start, "end": end},
    )


# ---------------------------------------------------------------------------------- customer 360


def search_customers(snapshot: Snapshot, text: str, limit: int = 50) -> pd.DataFrame:
    """Customers whose name, customer id, gateway id, CRM account id or Xero contact id holds
    ``text`` (case-insensitive); exact id matches first."""
    return query(
        snapshot,
        """
        select customer_id, name, gateway_customer_id, crm_account_id, accounting_contact_id,
               segment, country, currency
        from marts.dim_customers
        where $q = ''
           or contains(lower(coalesce(name, '')), lower($q))
           or contains(lower(customer_id), lower($q))
           or contains(lower(gateway_customer_id), lower($q))
           or contains(lower(coalesce(crm_account_id, '')), lower($q))
           or contains(lower(coalesce(accounting_contact_id, '')), lower($q))
        order by
            ($q in (customer_id, gateway_customer_id, crm_account_id, accounting_contact_id))
                desc,
            name, customer_id
        limit $limit
        """,
        {"q": text.strip(), "limit": limit},
    )


def customer(snapshot: Snapshot, customer_id: str) -> pd.DataFrame:
    """The unified customer with its gateway, CRM and accounting ids and how they matched."""
    return query(
        snapshot,
        """
        select customer_id, name, email, gateway_customer_id, crm_account_id,
               accounting_contact_id, segment, country, currency, industry, crm_account_type,
               tax_exempt, is_deleted, created_at, match_method
        from marts.dim_customers
        where customer_id = $id
        """,
        {"id": customer_id},
    )


def customer_subscriptions(snapshot: Snapshot, customer_id: str) -> pd.DataFrame:
    """Each subscription: its plan, status and MRR now (its latest interval), and the days it
    paid from and until (NULL while it still pays)."""
    return query(
        snapshot,
        """
        select
            subscription_id,
            arg_max(array_to_string(list_transform(items, lambda i: i.price_id), ' + '), valid_from)
                as plan,
            arg_max(status, valid_from) as status,
            min(valid_from) filter (where mrr > 0) as paying_from,
            case when bool_or(is_current and mrr > 0) then null
                 else max(valid_to) filter (where mrr > 0) end as paying_until,
            arg_max(mrr, valid_from) as mrr,
            arg_max(mrr_rc, valid_from) as mrr_rc,
            any_value(currency) as currency,
            arg_max(source_id, valid_from) as source_id
        from marts.fct_subscription_mrr
        where customer_id = $id
        group by subscription_id
        order by min(valid_from), subscription_id
        """,
        {"id": customer_id},
    )


# What Customer 360 lists per customer: the columns (each row's source id among them), the mart
# and the order. Fixed texts; the customer id is bound.
_CUSTOMER_ROWS: dict[str, tuple[str, str, str]] = {
    "invoices": (
        "invoice_id, number, status, billing_reason, currency, subtotal, discount, tax, total,"
        " amount_paid, amount_due, total_rc, period_start, period_end, finalized_at, paid_at,"
        " due_date",
        "marts.fct_invoices",
        "created_at, invoice_id",
    ),
    "payments": (
        "payment_id, kind, status, occurred_at, invoice_id, currency, amount, fee, net,"
        " amount_rc, failure_code, balance_transaction_id",
        "marts.fct_payments",
        "occurred_at, payment_id",
    ),
    "ledger": (
        "occurred_at, entry_id, line_no, event_type, account, currency, debit, credit,"
        " amount_rc, source_system, source_id",
        "marts.fct_revenue_ledger",
        "occurred_at, entry_id, line_no",
    ),
}


def customer_rows(snapshot: Snapshot, customer_id: str, what: str) -> pd.DataFrame:
    """The customer's invoices, payments or ledger lines (``what``), each with its source id."""
    columns, table, order = _CUSTOMER_ROWS[what]
    return query(
        snapshot,
        f"select {columns} from {table} where customer_id = $id order by {order}",
        {"id": customer_id},
    )


def customer_usage(snapshot: Snapshot, customer_id: str) -> pd.DataFrame:
    """Usage billed (usage invoice lines) next to the usage recorded for the same month, from
    the usage_recorded_vs_billed reconciliation (raw usage events are not in any mart)."""
    recorded = (
        """
        select period as month, left_amount as recorded_quantity,
               right_amount as billed_quantity, status as reconciliation
        from marts.rpt_reconciliation
        where check_name = 'usage_recorded_vs_billed' and key = $id
        """
        if _has_table(snapshot, "marts", "rpt_reconciliation")
        else """
        select null::date as month, null::decimal(38, 6) as recorded_quantity,
               null::decimal(38, 6) as billed_quantity, null::varchar as reconciliation
        where false
        """
    )
    return query(
        snapshot,
        f"""
        with lines as (
            select invoice_line_id, invoice_id, price_id, quantity, currency, amount, amount_rc,
                   service_start, service_end,
                   date_trunc('month', service_start)::date as month
            from marts.fct_invoice_lines
            where customer_id = $id and line_type = 'usage'
        ),
        recorded as ({recorded})
        select
            coalesce(l.month, r.month) as month, l.invoice_line_id, l.invoice_id, l.price_id,
            l.quantity, l.currency, l.amount, l.amount_rc, l.service_start, l.service_end,
            r.recorded_quantity, r.billed_quantity, r.reconciliation
        from lines as l
        full join recorded as r using (month)
        order by month, l.invoice_line_id
        """,
        {"id": customer_id},
    )


def customer_mrr_history(snapshot: Snapshot, customer_id: str) -> pd.DataFrame:
    """The customer's MRR intervals with the movement each one started, and its source."""
    return query(
        snapshot,
        """
        select f.valid_from, f.valid_to, f.currency, f.mrr, f.contract_mrr, f.mrr_rc,
               v.movement_type, v.mrr_delta, f.source_id
        from marts.fct_mrr as f
        left join marts.fct_mrr_movements as v
            on v.customer_id = f.customer_id and v.movement_date = f.valid_from
        where f.customer_id = $id
        order by f.valid_from
        """,
        {"id": customer_id},
    )


# ---------------------------------------------------------------------------------- data health


def _if_table(
    snapshot: Snapshot, table: str, columns: list[str], sql: str, params: tuple = ()
) -> pd.DataFrame:
    """``sql``'s rows, or no rows with ``columns`` when the snapshot has no ``table`` (yet)."""
    schema, name = table.split(".")
    if not _has_table(snapshot, schema, name):
        return pd.DataFrame(columns=columns)
    return query(snapshot, sql, params)


def builds(snapshot: Snapshot, limit: int = 20) -> pd.DataFrame:
    """The latest builds, newest first (ops.builds; empty before the first recorded build)."""
    return _if_table(
        snapshot,
        "ops.builds",
        ["run_id", "finished_at", "success", "published", "failed_checks", "open_alerts"],
        "select run_id, finished_at, success, published, failed_checks, open_alerts"
        " from ops.builds order by finished_at desc limit ?",
        (limit,),
    )


def open_alerts(snapshot: Snapshot) -> pd.DataFrame:
    """Open alerts, worst first."""
    return _if_table(
        snapshot,
        "ops.alerts",
        ["severity", "check_name", "key", "summary", "where_to_look", "opened_at", "occurrences"],
        """
        select severity, check_name, key, summary, where_to_look, opened_at, occurrences
        from ops.alerts
        where status = 'open'
        order by case severity when 'blocking' then 0 when 'error' then 1 else 2 end,
                 opened_at, check_name, key
        """,
    )


def check_results(snapshot: Snapshot) -> pd.DataFrame:
    """Per check that ever alerted: open alerts now, alerts resolved, when it last failed."""
    return _if_table(
        snapshot,
        "ops.alerts",
        ["check_name", "severity", "open", "resolved", "last_failed_at"],
        """
        select
            check_name,
            arg_min(severity, case severity when 'blocking' then 0 when 'error' then 1 else 2
                end) as severity,
            count(*) filter (where status = 'open') as open,
            count(*) filter (where status = 'resolved') as resolved,
            max(last_seen_at) as last_failed_at
        from ops.alerts
        group by check_name
        order by open desc, last_failed_at desc, check_name
        """,
    )


def reconciliation_summary(snapshot: Snapshot) -> pd.DataFrame:
    """Per reconciliation check: rows compared and how many are ok, within tolerance, breaks."""
    return _if_table(
        snapshot,
        "marts.rpt_reconciliation",
        ["check_name", "compared", "ok", "warn", "break"],
        """
        select
            check_name,
            count(*) as compared,
            count(*) filter (where status = 'ok') as ok,
            count(*) filter (where status = 'warn') as warn,
            count(*) filter (where status = 'break') as "break"
        from marts.rpt_reconciliation
        group by check_name
        order by "break" desc, check_name
        """,
    )


def reconciliation_breaks(snapshot: Snapshot) -> pd.DataFrame:
    """The breaks, newest period first, with where to look."""
    return _if_table(
        snapshot,
        "marts.rpt_reconciliation_exceptions",
        ["check_name", "period", "key", "left_amount", "right_amount", "difference", "unit",
         "severity", "where_to_look"],
        """
        select check_name, period, key, left_amount, right_amount, difference, unit,
               severity, where_to_look
        from marts.rpt_reconciliation_exceptions
        order by period desc, check_name, key
        """,
    )  # fmt: skip


def source_freshness(snapshot: Snapshot) -> pd.DataFrame:
    return _if_table(
        snapshot,
        "marts.rpt_source_freshness",
        ["source_name", "latest_day", "lag_days", "max_lag_days", "status"],
        "select source_name, latest_day, lag_days, max_lag_days, status"
        " from marts.rpt_source_freshness order by source_name",
    )
