-- The MRR metrics of every calendar month under every metric policy set (metrics_monthly keeps
-- `configured`; rpt_metric_policy_diff compares the sets). From the first month with any data
-- through the month of the latest data, in the policy set's reporting currency:
--   balances   as of the month's last day at that day's rate; customers = MRR > 0 then;
--   movements  at their own day's rate; contraction and churned as positive magnitudes;
--   fx_impact  the residual that makes
--              start + new + expansion + reactivation − contraction − churned + fx_impact = end
--              hold exactly (tested: assert_mrr_bridge_identity_holds_monthly);
--   rates      ChartMogul's (README "Metrics"): customer churn = churned customers ÷ customers
--              at the start, where churned customers (churn_rate_formula) are
--                chartmogul_b2b: customers paying at the start and not at the end of the month
--                                (so a customer who joined and churned in the month, or churned
--                                and came back in it, is not counted),
--                all_churned:    every customer with a churn movement in the month;
--              gross MRR churn = (churned + contraction) ÷ start MRR; net MRR churn also
--              subtracts expansion and reactivation; NRR = (start + expansion + reactivation −
--              contraction − churned) ÷ start; GRR = (start − contraction − churned) ÷ start;
--              ARPA = MRR ÷ customers; LTV = ARPA ÷ the mean customer churn rate over the
--              trailing var ltv_churn_window_months months. Rates are exact decimals at 8 places
--              (NULL when the denominator is 0).
{%- set window = var('ltv_churn_window_months') | int(6) %}

with

policy_sets as (
    select
        policy_set,
        reporting_currency,
        churn_rate_formula
    from ({{ metric_policy_sets_sql() }}) as policy_set_rows
),

months as (
    select
        month,
        month_end
    from {{ ref('int_calendar_months') }}
),

policy_months as (
    select
        policy_sets.*,
        months.month,
        months.month_end
    from policy_sets
    cross join months
),

-- each customer's MRR at each month end, in the policy set's reporting currency
month_end_mrr as (
    select
        policy_set,
        month,
        customer_id,
        mrr_rc,
        is_paying
    from {{ ref('int_customer_mrr_month_end') }}
),

balances as (
    select
        policy_set,
        month,
        sum(mrr_rc) as mrr,
        count(*) filter (where is_paying) as customers
    from month_end_mrr
    group by policy_set, month
),

-- chartmogul_b2b: paying at the end of the previous month, not at the end of this one
lost_customers as (
    select
        policy_months.policy_set,
        policy_months.month,
        count(*) as lost_customers
    from policy_months
    inner join month_end_mrr as previous_end
        on
            policy_months.policy_set = previous_end.policy_set
            and previous_end.month = cast(policy_months.month - interval 1 month as date)
            and previous_end.is_paying
    left join month_end_mrr as this_end
        on
            policy_months.policy_set = this_end.policy_set
            and policy_months.month = this_end.month
            and previous_end.customer_id = this_end.customer_id
    where not coalesce(this_end.is_paying, false)
    group by policy_months.policy_set, policy_months.month
),

movements as (
    select
        policy_set,
        cast(date_trunc('month', movement_date) as date) as month,
        sum(mrr_delta_rc) filter (where movement_type = 'new') as new_mrr,
        sum(mrr_delta_rc) filter (where movement_type = 'expansion') as expansion_mrr,
        -sum(mrr_delta_rc) filter (where movement_type = 'contraction') as contraction_mrr,
        -sum(mrr_delta_rc) filter (where movement_type = 'churn') as churned_mrr,
        sum(mrr_delta_rc) filter (where movement_type = 'reactivation') as reactivation_mrr,
        count(distinct customer_id) filter (where movement_type = 'churn') as customers_with_churn
    from {{ ref('int_mrr_movements') }}
    group by all
),

joined as (
    select
        policy_months.policy_set,
        policy_months.reporting_currency,
        policy_months.churn_rate_formula,
        policy_months.month,
        coalesce(balances.mrr, 0) as end_mrr,
        coalesce(balances.customers, 0) as customers,
        coalesce(movements.new_mrr, 0) as new_mrr,
        coalesce(movements.expansion_mrr, 0) as expansion_mrr,
        coalesce(movements.contraction_mrr, 0) as contraction_mrr,
        coalesce(movements.churned_mrr, 0) as churned_mrr,
        coalesce(movements.reactivation_mrr, 0) as reactivation_mrr,
        case policy_months.churn_rate_formula
            when 'chartmogul_b2b' then coalesce(lost_customers.lost_customers, 0)
            when 'all_churned' then coalesce(movements.customers_with_churn, 0)
        end as churned_customers
    from policy_months
    left join balances
        on policy_months.policy_set = balances.policy_set and policy_months.month = balances.month
    left join lost_customers
        on policy_months.policy_set = lost_customers.policy_set and policy_months.month = lost_customers.month
    left join movements
        on policy_months.policy_set = movements.policy_set and policy_months.month = movements.month
),

with_start as (
    select
        *,
        coalesce(lag(end_mrr) over by_month, 0) as start_mrr,
        coalesce(lag(customers) over by_month, 0) as start_customers,
        new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr as net_new_mrr
    from joined
    window by_month as (partition by policy_set order by month)
),

with_rates as (
    select
        *,
        end_mrr - start_mrr - net_new_mrr as fx_impact_mrr,
        {{ div_exact('cast(churned_customers as decimal(38, 6))', 'cast(start_customers as decimal(38, 6))', 8) }}
            as customer_churn_rate,
        {{ div_exact('churned_mrr + contraction_mrr', 'start_mrr', 8) }} as gross_mrr_churn_rate,
        {{ div_exact('churned_mrr + contraction_mrr - expansion_mrr - reactivation_mrr', 'start_mrr', 8) }}
            as net_mrr_churn_rate,
        {{ div_exact('start_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr', 'start_mrr', 8) }}
            as nrr,
        {{ div_exact('start_mrr - contraction_mrr - churned_mrr', 'start_mrr', 8) }} as grr,
        {{ div_exact('end_mrr', 'cast(customers as decimal(38, 6))', 6) }} as arpa
    from with_start
),

with_trailing as (
    select
        *,
        sum(customer_churn_rate) over trailing_months as trailing_churn_sum,
        count(customer_churn_rate) over trailing_months as trailing_churn_months
    from with_rates
    window trailing_months as (
        partition by policy_set order by month rows between {{ window - 1 }} preceding and current row
    )
),

final as (
    select
        policy_set,
        month,
        end_mrr as mrr,
        cast(end_mrr * 12 as decimal(38, 6)) as arr,
        customers,
        new_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        reactivation_mrr,
        fx_impact_mrr,
        net_new_mrr,
        customer_churn_rate,
        gross_mrr_churn_rate,
        net_mrr_churn_rate,
        nrr,
        grr,
        arpa,
        {{ div_exact('arpa', div_exact('trailing_churn_sum', 'cast(trailing_churn_months as decimal(38, 6))', 8), 6) }}
            as ltv,
        start_mrr,
        start_customers,
        churned_customers,
        reporting_currency,
        churn_rate_formula
    from with_trailing
)

select * from final
