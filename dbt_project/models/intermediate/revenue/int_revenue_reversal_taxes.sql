-- The tax part of each refund and credit note (int_revenue_reversals: amount × invoice tax ÷
-- invoice total) spread over its invoice's tax entries (int_invoice_taxes) in proportion to
-- their tax, cumulatively rounded in entry order so the entries sum to the part exactly; in rc
-- at the invoice's rate, the rate the ledger carries tax_payable at. One row per reversal × tax
-- entry with tax.
with

reversals as (
    select * from {{ ref('int_revenue_reversals') }}
    where tax_minor != 0
),

taxes as (
    select * from {{ ref('int_invoice_taxes') }}
    where tax_minor != 0 and voided_month is null
),

running as (
    select
        reversals.source_id,
        reversals.occurred_at,
        reversals.reversal_month,
        reversals.tax_minor as reversal_tax_minor,
        taxes.invoice_id,
        taxes.entry_no,
        taxes.tax_rate_id,
        taxes.currency,
        taxes.fx_rate,
        taxes.tax_minor as entry_tax_minor,
        sum(taxes.tax_minor) over reversal_entries as tax_through_minor,
        sum(taxes.tax_minor) over (partition by reversals.source_id) as invoice_tax_minor
    from reversals
    inner join taxes
        on reversals.invoice_id = taxes.invoice_id
    window reversal_entries as (
        partition by reversals.source_id order by taxes.entry_no rows between unbounded preceding and current row
    )
),

allocated as (
    select
        *,
        {{ round_ratio('reversal_tax_minor * tax_through_minor', 'invoice_tax_minor') }}
        - {{ round_ratio('reversal_tax_minor * (tax_through_minor - entry_tax_minor)', 'invoice_tax_minor') }}
            as tax_minor
    from running
    where invoice_tax_minor != 0
)

select
    source_id,
    invoice_id,
    entry_no,
    tax_rate_id,
    occurred_at,
    reversal_month,
    currency,
    tax_minor,
    {{ to_rc(to_major('tax_minor', 'currency'), 'fx_rate') }} as tax_rc
from allocated
