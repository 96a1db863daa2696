-- Every version of every invoice (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Both shapes: subscription at `parent.subscription_details.subscription` (dahlia) or
-- `subscription` (older); tax from `total_taxes[]` (dahlia) or `tax` / `total_tax_amounts[]`.
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql):
-- an invoice is a large document, and a parse per path cost 40 s at 10,000 customers.
{%- set values = [
    '$.currency', '$.subtotal', '$.tax', '$.total', '$.amount_paid', '$.amount_due',
    '$.amount_remaining', '$.starting_balance', '$.ending_balance', '$.number', '$.status',
    '$.billing_reason', '$.period_start', '$.period_end', '$.created',
    '$.status_transitions.finalized_at', '$.status_transitions.paid_at',
    '$.status_transitions.voided_at', '$.status_transitions.marked_uncollectible_at',
    '$.due_date', '$.paid_out_of_band',
] -%}
{%- set nodes = [
    '$.customer', '$.parent.subscription_details.subscription', '$.subscription', '$.charge',
    '$.total_discount_amounts', '$.total_taxes', '$.total_tax_amounts', '$.payments.data',
    '$.lines.data',
] %}
with

versions as (
    {{ gateway_object_versions('invoices', 'invoice') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

amounts as (
    select
        *,
        {{ picked('v', values, '$.currency') }} as ccy,
        {{ picked_int('v', values, '$.subtotal') }} as subtotal_minor,
        {{ picked_sum_amounts('n', nodes, '$.total_discount_amounts') }} as discount_minor,
        case
            when json_type({{ picked('n', nodes, '$.total_taxes') }}) = 'ARRAY'
                then {{ picked_sum_amounts('n', nodes, '$.total_taxes') }}
            when {{ picked_int('v', values, '$.tax') }} is not null then {{ picked_int('v', values, '$.tax') }}
            else {{ picked_sum_amounts('n', nodes, '$.total_tax_amounts') }}
        end as tax_minor,
        {{ picked_int('v', values, '$.total') }} as total_minor,
        {{ picked_int('v', values, '$.amount_paid') }} as amount_paid_minor,
        {{ picked_int('v', values, '$.amount_due') }} as amount_due_minor,
        {{ picked_int('v', values, '$.amount_remaining') }} as amount_remaining_minor,
        -- customer balance before / after finalisation (Stripe sign: positive = the customer owes)
        {{ picked_int('v', values, '$.starting_balance') }} as starting_balance_minor,
        {{ picked_int('v', values, '$.ending_balance') }} as ending_balance_minor
    from parsed
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as invoice_id,
        {{ picked_ref_id('n', nodes, '$.customer') }} as customer_id,
        coalesce(
            {{ picked_ref_id('n', nodes, '$.parent.subscription_details.subscription') }},
            {{ picked_ref_id('n', nodes, '$.subscription') }}
        ) as subscription_id,
        {{ picked('v', values, '$.number') }} as invoice_number,
        {{ picked('v', values, '$.status') }} as status,
        {{ picked('v', values, '$.billing_reason') }} as billing_reason,
        upper(ccy) as currency,
        subtotal_minor,
        discount_minor,
        tax_minor,
        total_minor,
        amount_paid_minor,
        amount_due_minor,
        amount_remaining_minor,
        starting_balance_minor,
        ending_balance_minor,
        {{ to_major('subtotal_minor', 'ccy') }} as subtotal,
        {{ to_major('discount_minor', 'ccy') }} as discount,
        {{ to_major('tax_minor', 'ccy') }} as tax,
        {{ to_major('total_minor', 'ccy') }} as total,
        {{ to_major('amount_paid_minor', 'ccy') }} as amount_paid,
        {{ to_major('amount_due_minor', 'ccy') }} as amount_due,
        {{ to_major('amount_remaining_minor', 'ccy') }} as amount_remaining,
        {{ picked_ts('v', values, '$.period_start') }} as period_start_at,
        {{ picked_ts('v', values, '$.period_end') }} as period_end_at,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        {{ picked_ts('v', values, '$.status_transitions.finalized_at') }} as finalized_at,
        {{ picked_ts('v', values, '$.status_transitions.paid_at') }} as paid_at,
        {{ picked_ts('v', values, '$.status_transitions.voided_at') }} as voided_at,
        {{ picked_ts('v', values, '$.status_transitions.marked_uncollectible_at') }} as marked_uncollectible_at,
        cast({{ picked_ts('v', values, '$.due_date') }} as date) as due_date,
        -- the older shape names the charge on the invoice; dahlia lists invoice_payments
        {{ picked_ref_id('n', nodes, '$.charge') }} as charge_id,
        -- paid outside Stripe (a bank transfer marked paid by hand): no charge settles it
        coalesce({{ picked_bool('v', values, '$.paid_out_of_band') }}, false) as is_paid_out_of_band,
        coalesce({{ picked('n', nodes, '$.payments.data') }}, cast('[]' as json)) as payments_json,
        coalesce({{ picked('n', nodes, '$.lines.data') }}, cast('[]' as json)) as lines_json,
        -- the invoice's tax breakdown in either shape: dahlia `total_taxes[]` (tax rate at
        -- `tax_rate_details.tax_rate`) or older `total_tax_amounts[]` (at `tax_rate`)
        case
            when json_type({{ picked('n', nodes, '$.total_taxes') }}) = 'ARRAY'
                then {{ picked('n', nodes, '$.total_taxes') }}
            else coalesce({{ picked('n', nodes, '$.total_tax_amounts') }}, cast('[]' as json))
        end as taxes_json,
        _version_at as version_at,
        api_version
    from amounts
)

select * from renamed
