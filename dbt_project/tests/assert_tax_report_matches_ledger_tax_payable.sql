-- rpt_tax reconciles to the ledger: per month, Σ net_tax_rc (collected − refunded − voided) is
-- exactly the month's movement of tax_payable in fct_revenue_ledger (credits − debits, rc).
with

report as (
    select
        month,
        sum(net_tax_rc) as net_tax_rc
    from {{ ref('rpt_tax') }}
    group by month
),

ledger as (
    select
        cast(date_trunc('month', occurred_at) as date) as month,
        -sum(amount_rc) as tax_payable_movement_rc
    from {{ ref('fct_revenue_ledger') }}
    where account = 'tax_payable'
    group by all
)

select
    report.net_tax_rc,
    ledger.tax_payable_movement_rc,
    coalesce(report.month, ledger.month) as month
from report
full outer join ledger
    on report.month = ledger.month
where coalesce(report.net_tax_rc, 0) != coalesce(ledger.tax_payable_movement_rc, 0)
