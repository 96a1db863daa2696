-- What refunds and credit notes take out of deferred revenue (int_revenue_reversals, posted to
-- the ledger) is exactly what their invoices' lines stop recognising (fct_revenue_recognition's
-- reversed deferred at each line's last month), per invoice, in currency and in rc.
with

reversals as (
    select
        invoice_id,
        any_value(currency) as currency,
        sum(deferred_minor) as deferred_minor
    from {{ ref('int_revenue_reversals') }}
    where deferred_minor != 0
    group by invoice_id
),

posted_rc as (
    select
        reversals.invoice_id,
        sum(reversal_lines.deferred_rc) as deferred_rc
    from {{ ref('int_revenue_reversals') }} as reversals
    inner join {{ ref('int_revenue_reversal_lines') }} as reversal_lines
        on reversals.source_id = reversal_lines.source_id
    group by reversals.invoice_id
),

last_months as (
    select * from {{ ref('fct_revenue_recognition') }}
    where voided_month is null
    qualify row_number() over (partition by invoice_line_id order by month desc) = 1
),

recognition as (
    select
        invoice_id,
        sum(reversed_deferred) as reversed_deferred,
        sum(reversed_deferred_rc) as reversed_deferred_rc
    from last_months
    group by invoice_id
)

select
    coalesce(reversals.invoice_id, recognition.invoice_id) as invoice_id,
    {{ to_major('reversals.deferred_minor', 'reversals.currency') }} as reversals_deferred,
    recognition.reversed_deferred,
    posted_rc.deferred_rc,
    recognition.reversed_deferred_rc
from reversals
full outer join recognition
    on reversals.invoice_id = recognition.invoice_id
left join posted_rc
    on reversals.invoice_id = posted_rc.invoice_id
where
    coalesce({{ to_major('reversals.deferred_minor', 'reversals.currency') }}, 0)
    != coalesce(recognition.reversed_deferred, 0)
    or coalesce(posted_rc.deferred_rc, 0) != coalesce(recognition.reversed_deferred_rc, 0)
