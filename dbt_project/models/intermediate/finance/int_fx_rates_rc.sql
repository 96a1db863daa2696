-- The configured reporting currency's daily rates (var reporting_currency): the rows of
-- int_fx_rates_daily that convert to it, one per currency per day. Every model that reports in
-- the configured currency reads these; the per-policy-set models (int_mrr_movements,
-- int_metrics_monthly) read int_fx_rates_daily, which holds every policy set's currency.
with

rates as (
    select
        currency,
        rate_date,
        rate_to_rc,
        reporting_currency
    from {{ ref('int_fx_rates_daily') }}
    where reporting_currency = {{ reporting_currency_literal() }}
)

select * from rates
