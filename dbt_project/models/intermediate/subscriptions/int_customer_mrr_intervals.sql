-- Customer MRR over time (contracts §5: customer MRR = Σ over its subscriptions), as day
-- intervals [valid_from, valid_to) cut at every change of any of its subscriptions, with
-- consecutive intervals of equal (mrr, contract_mrr) merged. Zero intervals are kept (trials,
-- after churn) so that movements can be read from consecutive rows. valid_to NULL = open.
with

subscription_intervals as (
    select * from {{ ref('int_subscription_mrr_intervals') }}
),

customer_currency as (
    select
        customer_id,
        arg_min(currency, valid_from) as currency
    from subscription_intervals
    group by customer_id
),

edges as (
    select
        customer_id,
        valid_from as edge_date
    from subscription_intervals
    union
    select
        customer_id,
        valid_to as edge_date
    from subscription_intervals
    where valid_to is not null
),

segments as (
    select
        customer_id,
        edge_date as valid_from,
        lead(edge_date) over (partition by customer_id order by edge_date) as valid_to
    from edges
),

segment_amounts as (
    select
        segments.customer_id,
        segments.valid_from,
        segments.valid_to,
        coalesce(sum(si.mrr_micro), 0) as mrr_micro,
        coalesce(sum(si.contract_mrr_micro), 0) as contract_mrr_micro,
        min(si.source_id) filter (where si.valid_from = segments.valid_from) as started_source_id
    from segments
    left join subscription_intervals as si
        on segments.customer_id = si.customer_id
            and segments.valid_from >= si.valid_from
            and (si.valid_to is null or segments.valid_from < si.valid_to)
    group by segments.customer_id, segments.valid_from, segments.valid_to
),

ended_sources as (
    select
        customer_id,
        valid_to as edge_date,
        min(source_id) as ended_source_id
    from subscription_intervals
    where valid_to is not null
    group by customer_id, valid_to
),

changes as (
    select
        segment_amounts.*,
        coalesce(segment_amounts.started_source_id, ended_sources.ended_source_id) as source_id,
        case
            when lag(segment_amounts.mrr_micro) over w = segment_amounts.mrr_micro
                and lag(segment_amounts.contract_mrr_micro) over w = segment_amounts.contract_mrr_micro
                then 0
            else 1
        end as is_change
    from segment_amounts
    left join ended_sources
        on segment_amounts.customer_id = ended_sources.customer_id
            and segment_amounts.valid_from = ended_sources.edge_date
    window w as (partition by segment_amounts.customer_id order by segment_amounts.valid_from)
),

islands as (
    select
        *,
        sum(is_change) over (
            partition by customer_id order by valid_from rows unbounded preceding
        ) as island
    from changes
),

merged as (
    select
        customer_id,
        min(valid_from) as valid_from,
        case when count(valid_to) < count(*) then null else max(valid_to) end as valid_to,
        any_value(mrr_micro) as mrr_micro,
        any_value(contract_mrr_micro) as contract_mrr_micro,
        arg_min(source_id, valid_from) as source_id
    from islands
    group by customer_id, island
),

final as (
    select
        merged.customer_id || ':' || cast(merged.valid_from as varchar) as customer_mrr_interval_id,
        merged.customer_id,
        customer_currency.currency,
        merged.valid_from,
        merged.valid_to,
        {{ micro_to_decimal('merged.mrr_micro') }} as mrr,
        {{ micro_to_decimal('merged.contract_mrr_micro') }} as contract_mrr,
        merged.source_id
    from merged
    inner join customer_currency
        on merged.customer_id = customer_currency.customer_id
)

select * from final
