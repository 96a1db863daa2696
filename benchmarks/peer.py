"""A naive peer for revstack's MRR models: the month-spine method of dbt's "mrr-playbook".

    .venv/bin/python -m benchmarks.peer --warehouse W --scratch DIR [--repeat 3] [--json OUT]

The widely copied playbook (dbt-labs/mrr-playbook: ``customer_revenue_by_month``,
``customer_churn_month``, ``mrr``) takes subscription periods (customer, start, end, monthly
amount), builds every customer × every month from its first month to its last, takes each
month's MRR from the periods in force, adds a churn row for the month after the last active
one, and classifies each month against the one before with ``lag``: new, churn, reactivation,
upgrade, downgrade. Here it is written again in DuckDB SQL, for the harness only (it is no
model of the product), with what revstack's definitions need and nothing else:

- **input**: ``intermediate.int_subscription_mrr_intervals`` under the configured policies
  (subscription × stretch of constant MRR in the subscription's currency, discounts, trials,
  past_due and cancellations already applied): the playbook's ``subscription_periods``, and
  the very input of revstack's customer-level chain (``int_customer_mrr_intervals`` →
  month-end balances, movements, monthly metrics), so both start from the same rows;
- **month ends**: a month's MRR is that of its last day (revstack's balances), where the
  playbook reads the month's first day; the months run to the month of the data's last day
  (``int_data_bounds``; the playbook runs to ``current_date``);
- **several subscriptions**: a customer's MRR is the sum over its periods in force (the
  playbook joins one period per month and would repeat the month);
- **money**: DECIMAL throughout (the playbook casts to float); the reporting currency at the
  month end's rate (``int_fx_rates_daily``, rounded as revstack's ``to_rc``).

Only the SQL that builds the peer's tables is timed (median of ``--repeat`` runs, each from
scratch into its own DuckDB file with the warehouse attached read-only). Then both results
are compared at month ends, exactly: customer × month MRR in the customer's currency against
``marts.metrics_customer_monthly.mrr`` (no FX in that comparison at all), and the monthly
MRR (reporting currency) and paying customers against ``marts.metrics_monthly``. Movements
are reported beside revstack's, not held equal: the playbook classifies month-end against
month-end (a customer new and expanded in one month is one "new"), revstack every day's change
at that day's rate, with FX apart. Prints JSON. Not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from benchmarks import emit

PEER_SQL = {
    "subscription_periods": """
        create or replace view subscription_periods as
        select
            subscription_id,
            customer_id,
            currency,
            valid_from as start_date,
            valid_to as end_date,
            mrr as monthly_amount
        from wh.intermediate.int_subscription_mrr_intervals
        where policy_set = 'configured'
    """,
    "util_months": """
        create or replace table util_months as
        select
            cast(m as date) as date_month,
            cast(last_day(m) as date) as month_end
        from range(
            (select cast(date_trunc('month', min(start_date)) as timestamp)
             from subscription_periods),
            (select cast(date_trunc('month', last_date) as timestamp) + interval 1 month
             from wh.intermediate.int_data_bounds),
            interval 1 month
        ) as spine (m)
    """,
    "customer_revenue_by_month": """
        create or replace table customer_revenue_by_month as
        with customers as (
            select
                customer_id,
                date_trunc('month', min(start_date)) as date_month_start,
                -- the month of the last end (exclusive); an open period runs to the spine's end
                case
                    when count(*) filter (where end_date is null) = 0
                        then date_trunc('month', max(end_date))
                end as date_month_end
            from subscription_periods
            group by customer_id
        ),
        customer_months as (
            select customers.customer_id, months.date_month, months.month_end
            from customers
            inner join util_months as months
                on months.date_month >= customers.date_month_start
                and (customers.date_month_end is null
                     or months.date_month < customers.date_month_end)
        ),
        joined as (
            select
                customer_months.date_month,
                customer_months.month_end,
                customer_months.customer_id,
                coalesce(sum(periods.monthly_amount), 0) as mrr
            from customer_months
            left join subscription_periods as periods
                on customer_months.customer_id = periods.customer_id
                and customer_months.month_end >= periods.start_date
                and (customer_months.month_end < periods.end_date or periods.end_date is null)
            group by all
        ),
        final as (
            select
                *,
                mrr > 0 as is_active,
                min(case when mrr > 0 then date_month end) over (partition by customer_id)
                    as first_active_month,
                max(case when mrr > 0 then date_month end) over (partition by customer_id)
                    as last_active_month
            from joined
        )
        select
            *,
            first_active_month = date_month as is_first_month,
            last_active_month = date_month as is_last_month
        from final
    """,
    "customer_churn_month": """
        create or replace table customer_churn_month as
        select
            cast(date_month + interval 1 month as date) as date_month,
            cast(last_day(date_month + interval 1 month) as date) as month_end,
            customer_id,
            cast(0 as decimal(38, 6)) as mrr,
            false as is_active,
            first_active_month,
            last_active_month,
            false as is_first_month,
            false as is_last_month
        from customer_revenue_by_month as last_month
        where is_last_month
            -- only where the spine stops there (a later zero month is already a row)
            and date_month = (
                select max(date_month) from customer_revenue_by_month as c
                where c.customer_id = last_month.customer_id
            )
            and date_month < (select max(date_month) from util_months)
    """,
    "mrr": """
        create or replace table mrr as
        with unioned as (
            select * from customer_revenue_by_month
            union all by name
            select * from customer_churn_month
        ),
        mrr_with_changes as (
            select
                *,
                coalesce(lag(is_active) over by_month, false) as previous_month_is_active,
                coalesce(lag(mrr) over by_month, 0) as previous_month_mrr,
                mrr - coalesce(lag(mrr) over by_month, 0) as mrr_change
            from unioned
            window by_month as (partition by customer_id order by date_month)
        )
        select
            customer_id || ':' || cast(date_month as varchar) as id,
            *,
            case
                when is_first_month then 'new'
                when not is_active and previous_month_is_active then 'churn'
                when is_active and not previous_month_is_active then 'reactivation'
                when mrr_change > 0 then 'upgrade'
                when mrr_change < 0 then 'downgrade'
            end as change_category,
            least(mrr, previous_month_mrr) as renewal_amount
        from mrr_with_changes
    """,
    "mrr_monthly": """
        create or replace table mrr_monthly as
        with currencies as (
            select customer_id, arg_min(currency, start_date) as currency
            from subscription_periods
            group by customer_id
        ),
        converted as (
            select
                mrr.*,
                cast(round(cast(mrr.mrr as decimal(38, 6)) * rates.rate_to_rc, 6)
                    as decimal(38, 6)) as mrr_rc,
                cast(round(cast(mrr.mrr_change as decimal(38, 6)) * rates.rate_to_rc, 6)
                    as decimal(38, 6)) as mrr_change_rc
            from mrr
            inner join currencies on mrr.customer_id = currencies.customer_id
            left join wh.intermediate.int_fx_rates_daily as rates
                on rates.reporting_currency = $reporting_currency
                and rates.currency = currencies.currency
                and rates.rate_date = mrr.month_end
        )
        select
            date_month as month,
            sum(mrr_rc) as mrr,
            count(*) filter (where is_active) as customers,
            coalesce(sum(mrr_change_rc) filter (where change_category = 'new'), 0) as new_mrr,
            coalesce(sum(mrr_change_rc) filter (where change_category = 'upgrade'), 0)
                as expansion_mrr,
            coalesce(-sum(mrr_change_rc) filter (where change_category = 'downgrade'), 0)
                as contraction_mrr,
            coalesce(-sum(mrr_change_rc) filter (where change_category = 'churn'), 0)
                as churned_mrr,
            coalesce(sum(mrr_change_rc) filter (where change_category = 'reactivation'), 0)
                as reactivation_mrr
        from converted
        group by date_month
    """,
}

MOVEMENTS = {
    "new": "new",
    "expansion": "upgrade",
    "contraction": "downgrade",
    "churn": "churn",
    "reactivation": "reactivation",
}


def connect(warehouse: Path, path: Path):
    import duckdb

    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    return con


def run_peer(con, reporting_currency: str) -> dict[str, float]:
    """Build the peer's tables; seconds per statement."""
    seconds = {}
    for name, sql in PEER_SQL.items():
        started = time.perf_counter()
        if "$reporting_currency" in sql:
            con.execute(sql, {"reporting_currency": reporting_currency})
        else:
            con.execute(sql)
        seconds[name] = time.perf_counter() - started
    return seconds


def _plain(value):
    """JSON-able, exact: DECIMAL and dates as strings."""
    return value if value is None or isinstance(value, int | bool | str) else str(value)


def _rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def _one(con, sql: str) -> dict:
    (row,) = _rows(con, sql)
    return row


def compare(con) -> dict:
    """The peer against revstack's marts at month ends (exact DECIMAL comparisons)."""
    customer_months = _one(
        con,
        """
        with peer as (select customer_id, date_month as month, mrr from mrr),
        ours as (select customer_id, month, mrr from wh.marts.metrics_customer_monthly)
        select
            count(*) as rows,
            count(*) filter (where peer.mrr is not null and ours.mrr is not null) as in_both,
            count(*) filter (where ours.mrr is null) as only_peer,
            count(*) filter (where peer.mrr is null) as only_ours,
            count(*) filter (where coalesce(peer.mrr, 0) <> coalesce(ours.mrr, 0)) as differ
        from peer full outer join ours using (customer_id, month)
        """,
    )
    customer_months["examples"] = _rows(
        con,
        """
        with peer as (select customer_id, date_month as month, mrr from mrr),
        ours as (select customer_id, month, mrr from wh.marts.metrics_customer_monthly)
        select customer_id, month, peer.mrr as peer_mrr, ours.mrr as revstack_mrr
        from peer full outer join ours using (customer_id, month)
        where coalesce(peer.mrr, 0) <> coalesce(ours.mrr, 0)
        order by month, customer_id
        limit 5
        """,
    )
    monthly = _one(
        con,
        """
        select
            count(*) as months,
            count(*) filter (where coalesce(peer.mrr, 0) <> coalesce(ours.mrr, 0)) as mrr_differ,
            count(*) filter (where coalesce(peer.customers, 0) <> coalesce(ours.customers, 0))
                as customers_differ,
            max(ours.month) as last_month
        from mrr_monthly as peer
        full outer join wh.marts.metrics_monthly as ours using (month)
        """,
    )
    monthly["examples"] = _rows(
        con,
        """
        select month, peer.mrr as peer_mrr, ours.mrr as revstack_mrr,
            peer.customers as peer_customers, ours.customers as revstack_customers
        from mrr_monthly as peer
        full outer join wh.marts.metrics_monthly as ours using (month)
        where coalesce(peer.mrr, 0) <> coalesce(ours.mrr, 0)
            or coalesce(peer.customers, 0) <> coalesce(ours.customers, 0)
        order by month
        limit 5
        """,
    )
    movements = []
    for ours_type, peer_type in MOVEMENTS.items():
        column = {"churn": "churned_mrr"}.get(ours_type, f"{ours_type}_mrr")
        row = _one(
            con,
            f"""
            with peer_cm as (
                select distinct customer_id, date_month as month from mrr
                where change_category = '{peer_type}'
            ),
            ours_cm as (
                select distinct
                    customer_id, cast(date_trunc('month', movement_date) as date) as month
                from wh.marts.fct_mrr_movements where movement_type = '{ours_type}'
            )
            select
                (select count(*) from peer_cm) as peer_customer_months,
                (select count(*) from ours_cm) as revstack_customer_months,
                (select count(*) from peer_cm inner join ours_cm using (customer_id, month))
                    as in_both,
                (select sum({column}) from mrr_monthly) as peer_total_rc,
                (select sum({column}) from wh.marts.metrics_monthly) as revstack_total_rc,
                (select count(*) from mrr_monthly as p
                 inner join wh.marts.metrics_monthly as o using (month)
                 where p.{column} = o.{column}) as months_equal
            """,
        )
        movements.append({"movement": ours_type, "peer_category": peer_type, **row})
    return {"customer_months": customer_months, "monthly": monthly, "movements": movements}


def run_revstack_sql(con, warehouse: Path, compiled: dict[str, str]) -> dict[str, float]:
    """revstack's models from the same input, as plain SQL (dbt's compiled selects, each run
    as ``create table`` in the same scratch file, reading its inputs from the warehouse):
    their time without dbt around them; seconds per model."""
    seconds = {}
    database = f'"{warehouse.stem}".'  # dbt-duckdb names the warehouse by its file's stem
    for model, sql in compiled.items():
        started = time.perf_counter()
        con.execute(f"create or replace table revstack_{model} as {sql.replace(database, 'wh.')}")
        seconds[model] = time.perf_counter() - started
    return seconds


def measure(warehouse: Path, scratch: Path, repeat: int, compiled: dict[str, str]) -> dict:
    scratch.mkdir(parents=True, exist_ok=True)
    runs, ours = [], []
    for i in range(repeat):
        con = connect(warehouse, scratch / f"peer{i}.duckdb")
        (reporting_currency,) = con.execute(
            "select any_value(reporting_currency) from wh.marts.metrics_monthly"
        ).fetchone()
        runs.append(run_peer(con, reporting_currency))
        if compiled:
            ours.append(run_revstack_sql(con, warehouse, compiled))
        if i < repeat - 1:
            con.close()
            (scratch / f"peer{i}.duckdb").unlink()
    totals = [sum(r.values()) for r in runs]
    rows = {
        name: con.execute(f"select count(*) from {name}").fetchone()[0]
        for name in ("subscription_periods", "util_months", "customer_revenue_by_month", "mrr")
    }
    (policy_sets,) = con.execute(
        "select count(distinct policy_set) from wh.intermediate.int_customer_mrr_intervals"
    ).fetchone()
    result = {
        "repeat": repeat,
        "seconds": statistics.median(totals),
        "seconds_runs": totals,
        "statements": {n: statistics.median(r[n] for r in runs) for n in PEER_SQL},
        "rows": rows,
        "reporting_currency": reporting_currency,
        "revstack_policy_sets": policy_sets,
        "comparison": compare(con),
    }
    if ours:
        per_model = {m: statistics.median(r[m] for r in ours) for m in compiled}
        result["revstack_sql"] = {"models_s": per_model, "seconds": sum(per_model.values())}
    con.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--revstack-sql",
        type=Path,
        help="JSON {model: compiled select} of revstack's models to time beside the peer",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    compiled = json.loads(args.revstack_sql.read_text()) if args.revstack_sql else {}
    emit(measure(args.warehouse.resolve(), args.scratch, args.repeat, compiled), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
