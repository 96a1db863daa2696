-- Every line of a finalised invoice (open, paid, uncollectible, or voided later) is scheduled, and exactly:
-- its months plus the deferred revenue refunds and credit notes gave back sum to its net amount
-- in minor units and in rc, the last month leaves nothing deferred, each month's deferred
-- balance is the net amount less what was recognised and given back so far, and what the lines
-- gave back is what the reversals took out of deferred revenue (int_revenue_reversals).
with

expected_lines as (
    select
        invoice_lines.invoice_line_id,
        cast(invoice_lines.amount_minor as hugeint)
        - cast(coalesce(invoice_lines.discount_minor, 0) as hugeint) as net_minor
    from {{ ref('fct_invoice_lines') }} as invoice_lines
    inner join {{ ref('fct_invoices') }} as invoices
        on invoice_lines.invoice_id = invoices.invoice_id
    where
        invoice_lines.invoice_status in ('open', 'paid', 'uncollectible', 'void')
        and invoices.finalized_at is not null
),

running as (
    select
        invoice_line_id,
        month,
        currency,
        net_amount_minor,
        net_amount_rc,
        deferred_end_rc,
        reversed_deferred,
        reversed_deferred_rc,
        recognized_minor,
        recognized_rc,
        sum(recognized_rc) over (partition by invoice_line_id order by month) as recognized_to_date_rc,
        row_number() over (partition by invoice_line_id order by month desc) as months_from_last
    from {{ ref('fct_revenue_recognition') }}
),

per_line as (
    select
        invoice_line_id,
        any_value(currency) as currency,
        any_value(net_amount_minor) as net_amount_minor,
        any_value(net_amount_rc) as net_amount_rc,
        sum(recognized_minor) as recognized_minor,
        sum(recognized_rc) as recognized_rc,
        max(case when months_from_last = 1 then deferred_end_rc end) as last_deferred_end_rc,
        max(case when months_from_last = 1 then reversed_deferred end) as reversed_deferred,
        max(case when months_from_last = 1 then reversed_deferred_rc end) as reversed_deferred_rc,
        count(
            case when recognized_to_date_rc + deferred_end_rc + reversed_deferred_rc != net_amount_rc then 1 end
        ) as broken_months
    from running
    group by invoice_line_id
)

select
    expected_lines.invoice_line_id,
    expected_lines.net_minor,
    per_line.recognized_minor,
    per_line.recognized_rc,
    per_line.net_amount_rc,
    per_line.last_deferred_end_rc,
    per_line.broken_months,
    per_line.reversed_deferred
from expected_lines
full outer join per_line
    on expected_lines.invoice_line_id = per_line.invoice_line_id
where
    per_line.invoice_line_id is null
    or expected_lines.invoice_line_id is null
    or per_line.net_amount_minor != expected_lines.net_minor
    or {{ to_major('per_line.recognized_minor', 'per_line.currency') }} + per_line.reversed_deferred
    != {{ to_major('expected_lines.net_minor', 'per_line.currency') }}
    or per_line.recognized_rc + per_line.reversed_deferred_rc != per_line.net_amount_rc
    or per_line.last_deferred_end_rc != 0
    or per_line.broken_months > 0
