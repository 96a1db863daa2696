-- MRR movements per unified customer (contracts §5): for each day its MRR changed, previous
-- MRR p (0 before the first interval) and current MRR c, classified by one CASE, one line per
-- rule. A change of contract MRR alone (c = p) is not a movement. The delta is converted at
-- the rate of the movement's own day; churn and contraction are negative.
with

mrr as (
    select
        customer_id,
        currency,
        valid_from,
        mrr,
        source_id
    from {{ ref('fct_mrr') }}
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_daily') }}
),

sequenced as (
    select
        customer_id,
        currency,
        valid_from as movement_date,
        source_id,
        mrr as current_mrr,
        coalesce(lag(mrr) over by_day, 0) as previous_mrr,
        coalesce(
            max(mrr) over (by_day rows between unbounded preceding and 1 preceding), 0
        ) > 0 as had_mrr_before
    from mrr
    window by_day as (partition by customer_id order by valid_from)
),

classified as (
    select
        *,
        case
            when previous_mrr = 0 and current_mrr > 0 and not had_mrr_before then 'new'
            when previous_mrr = 0 and current_mrr > 0 and had_mrr_before then 'reactivation'
            when previous_mrr > 0 and current_mrr > previous_mrr then 'expansion'
            when current_mrr > 0 and current_mrr < previous_mrr then 'contraction'
            when previous_mrr > 0 and current_mrr = 0 then 'churn'
        end as movement_type
    from sequenced
),

final as (
    select
        classified.customer_id || ':' || cast(classified.movement_date as varchar) as movement_id,
        classified.customer_id,
        classified.movement_date,
        classified.movement_type,
        classified.currency,
        classified.previous_mrr,
        classified.current_mrr,
        classified.current_mrr - classified.previous_mrr as mrr_delta,
        rates.rate_to_rc as fx_rate,
        {{ to_rc('classified.current_mrr - classified.previous_mrr', 'rates.rate_to_rc') }} as mrr_delta_rc,
        classified.source_id
    from classified
    left join rates
        on classified.currency = rates.currency
            and classified.movement_date = rates.rate_date
    where classified.movement_type is not null
)

select * from final
