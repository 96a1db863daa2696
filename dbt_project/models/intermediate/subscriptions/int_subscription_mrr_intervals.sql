-- Subscription MRR over time, as day intervals [valid_from, valid_to) (contracts §5):
--   contract_mrr = Σ item MRR when the version's status carries MRR (var mrr_statuses:
--                  active, past_due), else 0 (trialing, incomplete*, unpaid, canceled, paused);
--   mrr          = contract_mrr × Π (1 − percent_off/100) − Σ amount_off per month, over the
--                  discounts active on the day (start_date ≤ d and (end_date null or d < end_date)),
--                  floored at 0, truncated at 6 decimals (exact integer micro units).
-- A version's interval is split where one of its discounts starts or ends.
{%- set statuses = var('mrr_statuses') %}

with

versions as (
    select
        subscription_version_id,
        subscription_id,
        customer_id,
        currency,
        status,
        source_id,
        valid_from_date,
        valid_to_date
    from {{ ref('int_subscription_versions') }}
    where is_day_effective
),

contract as (
    select
        subscription_version_id,
        sum(item_mrr_micro) as contract_mrr_micro
    from {{ ref('int_subscription_items_mrr') }}
    group by subscription_version_id
),

discounts as (
    select * from {{ ref('int_subscription_discounts') }}
),

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

-- A discount that starts or ends after the last day any source has reported is a scheduled
-- change that has not happened yet as far as the data knows: it does not split the interval
-- (otherwise a discount expiring next month would show as an expansion dated in the future).
discount_edges as (
    select
        discounts.subscription_version_id,
        edge.edge_date,
        discounts.discount_id as source_id
    from discounts
    cross join bounds,
        unnest([discounts.start_date, discounts.end_date]) as edge (edge_date)
    where edge.edge_date <= bounds.last_date
),

breakpoints as (
    select
        subscription_version_id,
        valid_from_date as piece_from,
        source_id,
        0 as priority
    from versions
    union all
    select
        discount_edges.subscription_version_id,
        discount_edges.edge_date as piece_from,
        discount_edges.source_id,
        1 as priority
    from discount_edges
    inner join versions
        on discount_edges.subscription_version_id = versions.subscription_version_id
    where
        discount_edges.edge_date > versions.valid_from_date
        and (versions.valid_to_date is null or discount_edges.edge_date < versions.valid_to_date)
),

distinct_breakpoints as (
    select
        subscription_version_id,
        piece_from,
        arg_min(source_id, priority) as source_id
    from breakpoints
    group by subscription_version_id, piece_from
),

pieces as (
    select
        versions.*,
        distinct_breakpoints.piece_from,
        distinct_breakpoints.source_id as piece_source_id,
        coalesce(
            lead(distinct_breakpoints.piece_from) over (
                partition by distinct_breakpoints.subscription_version_id
                order by distinct_breakpoints.piece_from
            ),
            versions.valid_to_date
        ) as piece_to,
        coalesce(contract.contract_mrr_micro, 0) as items_mrr_micro
    from distinct_breakpoints
    inner join versions
        on distinct_breakpoints.subscription_version_id = versions.subscription_version_id
    left join contract
        on distinct_breakpoints.subscription_version_id = contract.subscription_version_id
),

active_discounts as (
    select
        pieces.subscription_version_id,
        pieces.piece_from,
        list(discounts.percent_off_e4 order by discounts.discount_position)
        filter (where discounts.percent_off_e4 is not null) as percents_off_e4,
        coalesce(sum(discounts.amount_off_monthly_micro), 0) as amount_off_micro
    from pieces
    inner join discounts
        on
            pieces.subscription_version_id = discounts.subscription_version_id
            and (discounts.start_date is null or pieces.piece_from >= discounts.start_date)
            and (discounts.end_date is null or pieces.piece_from < discounts.end_date)
    group by pieces.subscription_version_id, pieces.piece_from
),

priced as (
    select
        pieces.*,
        active_discounts.percents_off_e4,
        case
            when
                pieces.status in (
                    '{{ statuses | join("', '") }}'
                )
                then pieces.items_mrr_micro else
                0
        end as contract_mrr_micro,
        coalesce(active_discounts.amount_off_micro, 0) as amount_off_micro
    from pieces
    left join active_discounts
        on
            pieces.subscription_version_id = active_discounts.subscription_version_id
            and pieces.piece_from = active_discounts.piece_from
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

final as (
    select
        subscription_version_id || ':' || cast(piece_from as varchar) as subscription_mrr_interval_id,
        subscription_version_id,
        subscription_id,
        customer_id,
        currency,
        status,
        piece_from as valid_from,
        piece_to as valid_to,
        contract_mrr_micro,
        mrr_micro,
        {{ micro_to_decimal('contract_mrr_micro') }} as contract_mrr,
        {{ micro_to_decimal('mrr_micro') }} as mrr,
        piece_source_id as source_id
    from discounted
)

select * from final
