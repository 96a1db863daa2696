-- Tax by jurisdiction (the tax rate's country and state), tax rate and month, in the reporting
-- currency, on the same amounts the ledger posts to tax_payable, so Σ net_tax_rc of a month is
-- exactly that month's movement of tax_payable (a blocking test):
--   collected   each finalised invoice's tax entries (int_invoice_taxes, both Stripe shapes) in
--               the month it was finalised, at its rate; an entry whose taxability_reason is
--               `reverse_charge` is reported as reverse_charge_amount_rc (its taxable amount:
--               the customer self-assesses), every other one as taxable_amount_rc and
--               tax_collected_rc
--   refunded    the tax part of refunds and credit notes (int_revenue_reversal_taxes: amount ×
--               tax ÷ total, spread over the invoice's entries) in the month of the refund, at
--               the invoice's rate (the rate the liability is carried at)
--   voided      an invoice finalised and then voided counts as collected in its month and
--               reversed in the void's month (tax_voided_rc, taxable amounts negated); draft
--               invoices never count
with

taxes as (
    select * from {{ ref('int_invoice_taxes') }}
),

tax_rates as (
    select * from {{ ref('stg_gateway__tax_rates') }}
),

invoiced as (
    select
        invoiced_month as month,
        tax_rate_id,
        invoice_id,
        case when is_reverse_charge then 0 else taxable_rc end as taxable_amount_rc,
        tax_rc as tax_collected_rc,
        cast(0 as decimal(38, 6)) as tax_refunded_rc,
        cast(0 as decimal(38, 6)) as tax_voided_rc,
        case when is_reverse_charge then taxable_rc else 0 end as reverse_charge_amount_rc
    from taxes
),

voided as (
    select
        voided_month as month,
        tax_rate_id,
        null as invoice_id,
        case when is_reverse_charge then 0 else -taxable_rc end as taxable_amount_rc,
        cast(0 as decimal(38, 6)) as tax_collected_rc,
        cast(0 as decimal(38, 6)) as tax_refunded_rc,
        tax_rc as tax_voided_rc,
        case when is_reverse_charge then -taxable_rc else 0 end as reverse_charge_amount_rc
    from taxes
    where voided_month is not null
),

refunded as (
    select
        reversal_month as month,
        tax_rate_id,
        null as invoice_id,
        cast(0 as decimal(38, 6)) as taxable_amount_rc,
        cast(0 as decimal(38, 6)) as tax_collected_rc,
        tax_rc as tax_refunded_rc,
        cast(0 as decimal(38, 6)) as tax_voided_rc,
        cast(0 as decimal(38, 6)) as reverse_charge_amount_rc
    from {{ ref('int_revenue_reversal_taxes') }}
),

combined as (
    select * from invoiced
    union all
    select * from voided
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
        sum(tax_voided_rc) as tax_voided_rc,
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
        aggregated.tax_voided_rc,
        aggregated.tax_collected_rc - aggregated.tax_refunded_rc - aggregated.tax_voided_rc as net_tax_rc,
        aggregated.reverse_charge_amount_rc
    from aggregated
    left join tax_rates
        on aggregated.tax_rate_id = tax_rates.tax_rate_id
)

select * from final
