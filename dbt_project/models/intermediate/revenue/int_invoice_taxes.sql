-- The tax breakdown of every finalised invoice (open, paid, uncollectible, or voided later): one
-- row per tax entry, in either Stripe shape (dahlia `total_taxes[]` with
-- `tax_rate_details.tax_rate` and `taxability_reason`; older `total_tax_amounts[]` with
-- `tax_rate`). Converted at the invoice's rate entry by entry: the ledger carries tax_payable
-- at these amounts and rpt_tax reports them, so the two agree exactly.
with

invoices as (
    select
        fct.invoice_id,
        fct.customer_id,
        fct.currency,
        fct.total_minor,
        fct.fx_rate,
        stg.taxes_json,
        cast(date_trunc('month', fct.finalized_at) as date) as invoiced_month,
        case
            when fct.status = 'void'
                then cast(date_trunc('month', coalesce(fct.voided_at, fct.finalized_at)) as date)
        end as voided_month
    from {{ ref('int_invoices') }} as fct
    inner join {{ ref('stg_gateway__invoices') }} as stg
        on fct.invoice_id = stg.invoice_id
    where fct.finalized_at is not null and fct.status in ('open', 'paid', 'uncollectible', 'void')
),

entries as (
    select
        invoice_id,
        customer_id,
        currency,
        total_minor,
        fx_rate,
        invoiced_month,
        voided_month,
        -- two lists of one length unnest side by side: each entry with its position
        unnest(json_extract(taxes_json, '$[*]')) as tax_json,
        unnest(range(1, cast(json_array_length(taxes_json) as bigint) + 1)) as entry_no
    from invoices
),

final as (
    select
        invoice_id,
        cast(entry_no as integer) as entry_no,
        customer_id,
        currency,
        fx_rate,
        cast(total_minor as hugeint) as invoice_total_minor,
        invoiced_month,
        voided_month,
        coalesce(
            {{ json_ref_id('tax_json', '$.tax_rate_details.tax_rate') }},
            {{ json_ref_id('tax_json', '$.tax_rate') }}
        ) as tax_rate_id,
        coalesce({{ json_str('tax_json', '$.taxability_reason') }}, 'standard_rated') = 'reverse_charge'
            as is_reverse_charge,
        cast(coalesce({{ json_int('tax_json', '$.amount') }}, 0) as hugeint) as tax_minor,
        cast(coalesce({{ json_int('tax_json', '$.taxable_amount') }}, 0) as hugeint) as taxable_minor
    from entries
)

select
    *,
    {{ to_rc(to_major('tax_minor', 'currency'), 'fx_rate') }} as tax_rc,
    {{ to_rc(to_major('taxable_minor', 'currency'), 'fx_rate') }} as taxable_rc
from final
