-- The ledger and the recognition schedule tell one story: the deferred_revenue account's
-- balance at every month end (reporting currency) equals metrics_monthly.deferred_revenue_end,
-- exactly (invoices credit it, recognition and reversals debit it, all at the invoice's rate).
with

ledger as (
    select
        cast(date_trunc('month', occurred_at) as date) as month,
        sum(amount_rc) as amount_rc
    from {{ ref('fct_revenue_ledger') }}
    where account = 'deferred_revenue'
    group by all
),

balances as (
    select
        metrics.month,
        metrics.deferred_revenue_end,
        -coalesce(sum(ledger.amount_rc), 0) as ledger_deferred_end
    from {{ ref('metrics_monthly') }} as metrics
    left join ledger
        on metrics.month >= ledger.month
    group by all
)

select * from balances
where deferred_revenue_end != ledger_deferred_end
