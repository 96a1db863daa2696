-- MRR movements per unified customer under every metric policy set (contracts §5; the mart
-- fct_mrr_movements keeps `configured`). For each day its MRR changed: previous MRR p (0 before
-- the first interval) and current MRR c, classified by one decision table, one line per rule:
--
--   p = 0 and c > 0, never had MRR before  → new
--   p = 0 and c > 0, had MRR before        → reactivation (whatever the gap; see
--                                             reactivation_min_gap_days, applied upstream)
--   p > 0 and c > p                        → expansion (a second subscription, an expiring
--                                             discount included)
--   c > 0 and c < p                        → contraction
--   p > 0 and c = 0                        → churn
--
-- A change of contract MRR alone (c = p) is not a movement. The delta is converted to the
-- policy set's reporting currency at the rate of the movement's own day; churn and
-- contraction are negative.
with

mrr as (
    select
        policy_set,
        customer_id,
        currency,
        valid_from,
        mrr,
        source_id
    from {{ ref('int_customer_mrr_intervals') }}
),

policy_sets as (
    select
        policy_set,
        reporting_currency
    from ({{ metric_policy_sets_sql() }}) as policy_set_rows
),

rates as (
    select
        reporting_currency,
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_daily') }}
),

sequenced as (
    select
        policy_set,
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
    window by_day as (partition by policy_set, customer_id order by valid_from)
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
        classified.policy_set,
        classified.customer_id || ':' || cast(classified.movement_date as varchar) as movement_id,
        classified.customer_id,
        classified.movement_date,
        classified.movement_type,
        classified.currency,
        classified.previous_mrr,
        classified.current_mrr,
        classified.current_mrr - classified.previous_mrr as mrr_delta,
        policy_sets.reporting_currency,
        rates.rate_to_rc as fx_rate,
        {{ to_rc('classified.current_mrr - classified.previous_mrr', 'rates.rate_to_rc') }} as mrr_delta_rc,
        classified.source_id
    from classified
    inner join policy_sets
        on classified.policy_set = policy_sets.policy_set
    left join rates
        on
            policy_sets.reporting_currency = rates.reporting_currency
            and classified.currency = rates.currency
            and classified.movement_date = rates.rate_date
    where classified.movement_type is not null
)

select * from final
