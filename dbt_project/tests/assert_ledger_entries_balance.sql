-- BLOCKING: every journal entry of the revenue ledger balances per currency: its debits equal its
-- credits in each currency, and its lines sum to zero in the reporting currency (DESIGN §5).
-- Severity error, so `dbt build` stops everything downstream of a ledger that does not balance
-- (the serving snapshot is not published).
{{ config(severity='error', tags=['blocking'], meta={'dagster': {'ref': {'name': 'fct_revenue_ledger'}}}) }}

with

entries as (
    select
        entry_id,
        currency,
        sum(debit) as debits,
        sum(credit) as credits
    from {{ ref('fct_revenue_ledger') }}
    group by entry_id, currency
),

entries_rc as (
    select
        entry_id,
        sum(amount_rc) as amount_rc
    from {{ ref('fct_revenue_ledger') }}
    group by entry_id
)

select
    entries.entry_id,
    entries.currency,
    entries.debits,
    entries.credits,
    entries_rc.amount_rc
from entries
inner join entries_rc
    on entries.entry_id = entries_rc.entry_id
where entries.debits != entries.credits
    or entries_rc.amount_rc != 0
    or entries_rc.amount_rc is null
