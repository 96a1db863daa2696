-- Every line of the revenue ledger has a non-negative debit and credit, at most one of them
-- non-zero; only the FX difference line has neither (it carries amount_rc alone).
{{ config(meta={'dagster': {'ref': {'name': 'fct_revenue_ledger'}}}) }}

select * from {{ ref('fct_revenue_ledger') }}
where debit < 0
    or credit < 0
    or (debit != 0 and credit != 0)
    or (debit = 0 and credit = 0 and account != 'fx_gain_loss')
