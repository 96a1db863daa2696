-- Subscription MRR over time under every metric policy set, as day intervals
-- [valid_from, valid_to) (contracts §5; README "Policies"):
--   contract_mrr = Σ item MRR while the version carries MRR, else 0. A version carries MRR when
--                  its status is one of var mrr_statuses (active, past_due), and
--                    churn_timing = cancel_requested: no cancellation is scheduled on it;
--                    past_due_churn_after_days = N: it is not N or more days into past_due;
--   mrr          = contract_mrr × Π (1 − percent_off/100) − Σ amount_off per month over the
--                  discounts active on the day (start_date ≤ d and (end_date null or
--                  d < end_date)) that the policy counts (mrr_discounts: all, forever_only or
--                  none), floored at 0, truncated at 6 decimals (exact integer micro units).
-- A version's interval is split where a counted discount starts or ends and where past_due
-- reaches its limit. The stretch before a subscription's first version comes from its invoice
-- lines (int_subscription_invoiced_mrr_intervals) and is appended here.
{%- set statuses = var('mrr_statuses') %}

with

policy_sets as (
    select * from ({{ metric_policy_sets_sql() }}) as policy_set_rows
),

versions as (
    select
        subscription_version_id,
        subscription_id,
        customer_id,
        currency,
        status,
        is_cancel_requested,
        source_id,
        valid_from_date,
        valid_to_date
    from {{ ref('int_subscription_versions') }}
    where is_day_effective
),

-- the first day of each uninterrupted run of past_due versions
status_runs as (
    select
        *,
        sum(case when status = 'past_due' then 0 else 1 end) over (
            partition by subscription_id order by valid_from_date rows unbounded preceding
        ) as status_run
    from versions
),

versions_with_past_due as (
    select
        * exclude (status_run),
        case
            when status = 'past_due'
                then min(case when status = 'past_due' then valid_from_date end) over (
                        partition by subscription_id, status_run
                    )
        end as past_due_since
    from status_runs
),

policy_versions as (
    select
        versions_with_past_due.*,
        policy_sets.policy_set,
        policy_sets.mrr_discounts,
        policy_sets.churn_timing,
        cast(
            versions_with_past_due.past_due_since + to_days(policy_sets.past_due_churn_after_days) as date
        ) as past_due_churn_date
    from versions_with_past_due
    cross join policy_sets
),

contract as (
    select
        subscription_version_id,
        sum(item_mrr_micro) as contract_mrr_micro
    from {{ ref('int_subscription_items_mrr') }}
    group by subscription_version_id
),

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

-- the discounts each policy set counts
policy_discounts as (
    select
        discounts.*,
        policy_sets.policy_set
    from {{ ref('int_subscription_discounts') }} as discounts
    inner join policy_sets
        on
            policy_sets.mrr_discounts = 'all'
            or (policy_sets.mrr_discounts = 'forever_only' and discounts.duration = 'forever')
),

-- A discount that starts or ends after the last day any source has reported is a scheduled
-- change that has not happened yet as far as the data knows: it does not split the interval
-- (otherwise a discount expiring next month would show as an expansion dated in the future).
discount_edges as (
    select
        policy_discounts.policy_set,
        policy_discounts.subscription_version_id,
        edge.edge_date,
        policy_discounts.discount_id as source_id
    from policy_discounts
    cross join bounds,
        unnest([policy_discounts.start_date, policy_discounts.end_date]) as edge (edge_date)
    where edge.edge_date <= bounds.last_date
),

breakpoints as (
    -- the version's first day
    select
        policy_set,
        subscription_version_id,
        valid_from_date as piece_from,
        source_id,
        0 as priority
    from policy_versions
    union all
    -- a counted discount starts or ends inside the version
    select
        discount_edges.policy_set,
        discount_edges.subscription_version_id,
        discount_edges.edge_date as piece_from,
        discount_edges.source_id,
        1 as priority
    from discount_edges
    inner join policy_versions
        on
            discount_edges.policy_set = policy_versions.policy_set
            and discount_edges.subscription_version_id = policy_versions.subscription_version_id
    where
        discount_edges.edge_date > policy_versions.valid_from_date
        and (policy_versions.valid_to_date is null or discount_edges.edge_date < policy_versions.valid_to_date)
    union all
    -- past_due reaches the policy's limit inside the version
    select
        policy_versions.policy_set,
        policy_versions.subscription_version_id,
        policy_versions.past_due_churn_date as piece_from,
        policy_versions.source_id,
        2 as priority
    from policy_versions
    cross join bounds
    where
        policy_versions.past_due_churn_date > policy_versions.valid_from_date
        and (
            policy_versions.valid_to_date is null or policy_versions.past_due_churn_date < policy_versions.valid_to_date
        )
        and policy_versions.past_due_churn_date <= bounds.last_date
),

distinct_breakpoints as (
    select
        policy_set,
        subscription_version_id,
        piece_from,
        arg_min(source_id, priority) as source_id
    from breakpoints
    group by policy_set, subscription_version_id, piece_from
),

pieces as (
    select
        policy_versions.*,
        distinct_breakpoints.piece_from,
        distinct_breakpoints.source_id as piece_source_id,
        coalesce(
            lead(distinct_breakpoints.piece_from) over (
                partition by distinct_breakpoints.policy_set, distinct_breakpoints.subscription_version_id
                order by distinct_breakpoints.piece_from
            ),
            policy_versions.valid_to_date
        ) as piece_to,
        coalesce(contract.contract_mrr_micro, 0) as items_mrr_micro,
        -- the day discounts and policy limits are evaluated on: the piece's first day, but never
        -- after the data's last day (an export version dated the day after must not apply a
        -- discount expiry or a past_due limit the data has not reached)
        least(distinct_breakpoints.piece_from, bounds.last_date) as evaluated_on
    from distinct_breakpoints
    inner join policy_versions
        on
            distinct_breakpoints.policy_set = policy_versions.policy_set
            and distinct_breakpoints.subscription_version_id = policy_versions.subscription_version_id
    left join contract
        on distinct_breakpoints.subscription_version_id = contract.subscription_version_id
    cross join bounds
),

active_discounts as (
    select
        pieces.policy_set,
        pieces.subscription_version_id,
        pieces.piece_from,
        list(policy_discounts.percent_off_e4 order by policy_discounts.discount_position)
        filter (where policy_discounts.percent_off_e4 is not null) as percents_off_e4,
        coalesce(sum(policy_discounts.amount_off_monthly_micro), 0) as amount_off_micro
    from pieces
    inner join policy_discounts
        on
            pieces.policy_set = policy_discounts.policy_set
            and pieces.subscription_version_id = policy_discounts.subscription_version_id
            and (policy_discounts.start_date is null or pieces.evaluated_on >= policy_discounts.start_date)
            and (policy_discounts.end_date is null or pieces.evaluated_on < policy_discounts.end_date)
    group by pieces.policy_set, pieces.subscription_version_id, pieces.piece_from
),

carrying as (
    -- one line per rule: does this piece of the version carry MRR under its policy set?
    select
        *,
        case
            when
                status not in (
                    '{{ statuses | join("', '") }}'
                )
                then false
            when churn_timing = 'cancel_requested' and is_cancel_requested then false
            when past_due_churn_date is not null and evaluated_on >= past_due_churn_date then false
            else true
        end as carries_mrr
    from pieces
),

priced as (
    select
        carrying.*,
        active_discounts.percents_off_e4,
        case when carrying.carries_mrr then carrying.items_mrr_micro else 0 end as contract_mrr_micro,
        coalesce(active_discounts.amount_off_micro, 0) as amount_off_micro
    from carrying
    left join active_discounts
        on
            carrying.policy_set = active_discounts.policy_set
            and carrying.subscription_version_id = active_discounts.subscription_version_id
            and carrying.piece_from = active_discounts.piece_from
),

discounted as (
    -- percent coupons applied in order, each × (10^6 − p·10^4) / 10^6 truncated (exact up to
    -- three stacked percent coupons), then amount_off subtracted, floored at 0
    select
        *,
        greatest(
            cast(contract_mrr_micro as hugeint)
            * (1000000 - coalesce(percents_off_e4[1], 0)) // 1000000
            * (1000000 - coalesce(percents_off_e4[2], 0)) // 1000000
            * (1000000 - coalesce(percents_off_e4[3], 0)) // 1000000
            - amount_off_micro,
            0
        ) as mrr_micro
    from priced
),

from_versions as (
    select
        policy_set,
        subscription_version_id || ':' || cast(piece_from as varchar) as subscription_mrr_interval_id,
        subscription_version_id,
        subscription_id,
        customer_id,
        currency,
        status,
        'version' as mrr_origin,
        piece_from as valid_from,
        piece_to as valid_to,
        contract_mrr_micro,
        mrr_micro,
        piece_source_id as source_id
    from discounted
),

from_invoices as (
    select
        policy_set,
        subscription_mrr_interval_id,
        cast(null as varchar) as subscription_version_id,
        subscription_id,
        customer_id,
        currency,
        cast(null as varchar) as status,
        'invoice_lines' as mrr_origin,
        valid_from,
        valid_to,
        contract_mrr_micro,
        mrr_micro,
        source_id
    from {{ ref('int_subscription_invoiced_mrr_intervals') }}
),

unioned as (
    select * from from_versions
    union all
    select * from from_invoices
),

final as (
    select
        *,
        {{ micro_to_decimal('contract_mrr_micro') }} as contract_mrr,
        {{ micro_to_decimal('mrr_micro') }} as mrr
    from unioned
)

select * from final
