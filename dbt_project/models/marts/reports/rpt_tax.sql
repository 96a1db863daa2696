-- Tax by jurisdiction (the tax rate's country and state), tax rate and month, in the reporting
-- currency. Read from each finalised invoice's tax breakdown in either Stripe shape (dahlia
-- `total_taxes[]` with `tax_rate_details.tax_rate` and `taxability_reason`; older
-- `total_tax_amounts[]` with `tax_rate`), void and draft invoices excluded, dated and converted
-- at the invoice's finalisation day (fct_invoices' rate). An entry whose taxability_reason is
-- `reverse_charge` is reported as reverse_charge_amount_rc (its taxable amount: the customer
-- self-assesses, no tax is collected), every other entry as taxable_amount_rc and
-- tax_collected_rc. Refunds of tax: each succeeded refund of a charge that paid an invoice
-- returns that invoice's tax pro rata, per tax rate round_half_up(refund × tax ÷ invoice total)
-- in minor units, dated and converted at the refund's day. Credit notes are not counted apart:
-- a post-payment credit note is settled by the refund it names, so counting both would count
-- the tax twice.
with

invoices as (
    select
        fct.invoice_id,
        fct.currency,
        fct.total_minor,
        fct.fx_rate,
        cast(date_trunc('month', fct.finalized_at) as date) as month,
        stg.taxes_json
    from {{ ref('fct_invoices') }} as fct
    inner join {{ ref('stg_gateway__invoices') }} as stg
        on fct.invoice_id = stg.invoice_id
    where fct.finalized_at is not null and fct.status in ('open', 'paid', 'uncollectible')
),

tax_rates as (
    select * from {{ ref('stg_gateway__tax_rates') }}
),

refunds as (
    select
        invoice_id,
        currency,
        amount_minor,
        occurred_date
    from {{ ref('fct_payments') }}
    where kind = 'refund' and status = 'succeeded' and invoice_id is not null
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_daily') }}
    where reporting_currency = {{ reporting_currency_literal() }}
),

-- one row per tax entry of an invoice, both shapes
tax_entries as (
    select
        invoices.invoice_id,
        invoices.month,
        invoices.currency,
        invoices.total_minor,
        invoices.fx_rate,
        coalesce(
            {{ json_ref_id('entry.tax_json', '$.tax_rate_details.tax_rate') }},
            {{ json_ref_id('entry.tax_json', '$.tax_rate') }}
        ) as tax_rate_id,
        coalesce({{ json_int('entry.tax_json', '$.amount') }}, 0) as tax_minor,
        coalesce({{ json_int('entry.tax_json', '$.taxable_amount') }}, 0) as taxable_minor,
        coalesce({{ json_str('entry.tax_json', '$.taxability_reason') }}, 'standard_rated') = 'reverse_charge'
            as is_reverse_charge
    from invoices,
        unnest(json_extract(invoices.taxes_json, '$[*]')) as entry (tax_json)
),

invoiced as (
    select
        month,
        tax_rate_id,
        invoice_id,
        case when is_reverse_charge then 0 else {{ to_rc(to_major('taxable_minor', 'currency'), 'fx_rate') }} end
            as taxable_amount_rc,
        {{ to_rc(to_major('tax_minor', 'currency'), 'fx_rate') }} as tax_collected_rc,
        cast(0 as decimal(38, 6)) as tax_refunded_rc,
        case when is_reverse_charge then {{ to_rc(to_major('taxable_minor', 'currency'), 'fx_rate') }} else 0 end
            as reverse_charge_amount_rc
    from tax_entries
),

refunded_minor as (
    select
        cast(date_trunc('month', refunds.occurred_date) as date) as month,
        refunds.occurred_date,
        tax_entries.tax_rate_id,
        tax_entries.invoice_id,
        refunds.currency,
        (2 * cast(refunds.amount_minor as hugeint) * tax_entries.tax_minor + tax_entries.total_minor)
        // (2 * cast(tax_entries.total_minor as hugeint)) as tax_refunded_minor
    from refunds
    inner join tax_entries
        on refunds.invoice_id = tax_entries.invoice_id
    where tax_entries.total_minor > 0 and tax_entries.tax_minor != 0
),

refunded as (
    select
        refunded_minor.month,
        refunded_minor.tax_rate_id,
        null as invoice_id,
        cast(0 as decimal(38, 6)) as taxable_amount_rc,
        cast(0 as decimal(38, 6)) as tax_collected_rc,
        {{ to_rc(to_major('refunded_minor.tax_refunded_minor', 'refunded_minor.currency'), 'rates.rate_to_rc') }}
            as tax_refunded_rc,
        cast(0 as decimal(38, 6)) as reverse_charge_amount_rc
    from refunded_minor
    left join rates
        on refunded_minor.currency = rates.currency
            and refunded_minor.occurred_date = rates.rate_date
),

combined as (
    select * from invoiced
    union all
    select * from refunded
),

aggregated as (
    select
        month,
        tax_rate_id,
        count(distinct invoice_id) as invoices,
        sum(taxable_amount_rc) as taxable_amount_rc,
        sum(tax_collected_rc) as tax_collected_rc,
        sum(tax_refunded_rc) as tax_refunded_rc,
        sum(reverse_charge_amount_rc) as reverse_charge_amount_rc
    from combined
    group by month, tax_rate_id
),

final as (
    select
        aggregated.month,
        tax_rates.country,
        tax_rates.state,
        tax_rates.jurisdiction,
        aggregated.tax_rate_id,
        tax_rates.display_name as tax_rate_name,
        tax_rates.tax_type,
        tax_rates.percentage,
        {{ reporting_currency_literal() }} as reporting_currency,
        aggregated.invoices,
        aggregated.taxable_amount_rc,
        aggregated.tax_collected_rc,
        aggregated.tax_refunded_rc,
        aggregated.tax_collected_rc - aggregated.tax_refunded_rc as net_tax_rc,
        aggregated.reverse_charge_amount_rc
    from aggregated
    left join tax_rates
        on aggregated.tax_rate_id = tax_rates.tax_rate_id
)

select * from final
