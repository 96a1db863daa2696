-- The same months under two metric policy sets side by side: `configured` (the vars, what every
-- other mart shows) and `compared` (configured with the overrides of var policy_diff_against),
-- one row per month × metric × cause:
--   cause = a policy   that policy alone changed (policy set `only:<policy>`): the difference
--                      it causes on its own;
--   cause = all        every override together (policy set `compared`);
--   cause = interaction  all − configured − Σ the single-policy differences, what the policies
--                      cause only in combination (0 when they do not interact; only present
--                      when two or more policies change).
-- Values in each policy set's reporting currency (a change of reporting_currency compares
-- amounts in two currencies: the difference is then only indicative).
{%- set metrics = [
    'mrr', 'arr', 'customers', 'new_mrr', 'expansion_mrr', 'contraction_mrr', 'churned_mrr',
    'reactivation_mrr', 'fx_impact_mrr', 'net_new_mrr', 'customer_churn_rate',
    'gross_mrr_churn_rate', 'net_mrr_churn_rate', 'nrr', 'grr', 'arpa', 'ltv'
] %}

with

monthly as (
    select * from {{ ref('int_metrics_monthly') }}
),

policy_sets as (
    select * from {{ ref('int_metric_policy_sets') }}
),

-- each policy set other than `configured`, with what it changes
causes as (
    select
        compared.policy_set,
        compared.changed_policy as cause,
        concat_ws(
            '; ',
            case
                when compared.mrr_discounts != configured.mrr_discounts
                    then 'mrr_discounts: ' || configured.mrr_discounts || ' → ' || compared.mrr_discounts
            end,
            case
                when compared.churn_timing != configured.churn_timing
                    then 'churn_timing: ' || configured.churn_timing || ' → ' || compared.churn_timing
            end,
            case
                when compared.past_due_churn_after_days is distinct from configured.past_due_churn_after_days
                    then 'past_due_churn_after_days: '
                        || coalesce(cast(configured.past_due_churn_after_days as varchar), 'keep') || ' → '
                        || coalesce(cast(compared.past_due_churn_after_days as varchar), 'keep')
            end,
            case
                when compared.reactivation_min_gap_days != configured.reactivation_min_gap_days
                    then 'reactivation_min_gap_days: ' || cast(configured.reactivation_min_gap_days as varchar)
                        || ' → ' || cast(compared.reactivation_min_gap_days as varchar)
            end,
            case
                when compared.churn_rate_formula != configured.churn_rate_formula
                    then 'churn_rate_formula: ' || configured.churn_rate_formula || ' → ' || compared.churn_rate_formula
            end,
            case
                when compared.reporting_currency != configured.reporting_currency
                    then 'reporting_currency: ' || configured.reporting_currency || ' → ' || compared.reporting_currency
            end
        ) as policy_change
    from policy_sets as compared
    inner join policy_sets as configured
        on configured.policy_set = 'configured'
    where compared.policy_set != 'configured'
),

metric_values as (
    {%- for metric in metrics %}
        select
            policy_set,
            month,
            '{{ metric }}' as metric,
            cast({{ metric }} as decimal(38, 8)) as metric_value
        from monthly
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

configured_values as (
    select
        month,
        metric,
        metric_value as configured_value
    from metric_values
    where policy_set = 'configured'
),

per_cause as (
    select
        metric_values.month,
        metric_values.metric,
        causes.cause,
        causes.policy_change,
        configured_values.configured_value,
        metric_values.metric_value as compared_value,
        metric_values.metric_value - configured_values.configured_value as difference
    from metric_values
    inner join causes
        on metric_values.policy_set = causes.policy_set
    inner join configured_values
        on metric_values.month = configured_values.month and metric_values.metric = configured_values.metric
),

interaction as (
    select
        month,
        metric,
        'interaction' as cause,
        'what the changes cause only together' as policy_change,
        any_value(configured_value) as configured_value,
        cast(null as decimal(38, 8)) as compared_value,
        coalesce(sum(difference) filter (where cause = 'all'), 0)
        - coalesce(sum(difference) filter (where cause != 'all'), 0) as difference
    from per_cause
    group by month, metric
    having count(*) filter (where cause != 'all') >= 2
),

final as (
    select * from per_cause
    union all
    select * from interaction
)

select
    month,
    metric,
    cause,
    policy_change,
    configured_value,
    compared_value,
    difference
from final
