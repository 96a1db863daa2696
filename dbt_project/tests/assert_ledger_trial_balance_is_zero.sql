-- The trial balance of the whole revenue ledger is exactly zero: per currency, the balances of
-- all accounts add up to 0 in that currency, and all lines add up to 0 in the reporting currency.
{{ config(severity='error', tags=['blocking'], meta={'dagster': {'ref': {'name': 'fct_revenue_ledger'}}}) }}

with

per_currency as (
    select
        currency,
        sum(debit) - sum(credit) as balance
    from {{ ref('fct_revenue_ledger') }}
    group by currency
),

reporting as (
    select
        'reporting currency' as currency,
        sum(amount_rc) as balance
    from {{ ref('fct_revenue_ledger') }}
)

select * from per_currency
where balance != 0
union all
select * from reporting
where balance != 0
