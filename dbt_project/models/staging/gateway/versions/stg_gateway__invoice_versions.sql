-- Every version of every invoice (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Both shapes: subscription at `parent.subscription_details.subscription` (dahlia) or
-- `subscription` (older); tax from `total_taxes[]` (dahlia) or `tax` / `total_tax_amounts[]`.
with

versions as (
    {{ gateway_object_versions('invoices', 'invoice') }}
),

amounts as (
    select
        *,
        {{ json_str('obj', '$.currency') }} as ccy,
        {{ json_int('obj', '$.subtotal') }} as subtotal_minor,
        {{ json_sum_amounts('obj', '$.total_discount_amounts') }} as discount_minor,
        case
            when json_type(obj, '$.total_taxes') = 'ARRAY'
                then {{ json_sum_amounts('obj', '$.total_taxes') }}
            when {{ json_int('obj', '$.tax') }} is not null then {{ json_int('obj', '$.tax') }}
            else {{ json_sum_amounts('obj', '$.total_tax_amounts') }}
        end as tax_minor,
        {{ json_int('obj', '$.total') }} as total_minor,
        {{ json_int('obj', '$.amount_paid') }} as amount_paid_minor,
        {{ json_int('obj', '$.amount_due') }} as amount_due_minor,
        {{ json_int('obj', '$.amount_remaining') }} as amount_remaining_minor,
        -- customer balance before / after finalisation (Stripe sign: positive = the customer owes)
        {{ json_int('obj', '$.starting_balance') }} as starting_balance_minor,
        {{ json_int('obj', '$.ending_balance') }} as ending_balance_minor
    from versions
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as invoice_id,
        {{ json_ref_id('obj', '$.customer') }} as customer_id,
        coalesce(
            {{ json_ref_id('obj', '$.parent.subscription_details.subscription') }},
            {{ json_ref_id('obj', '$.subscription') }}
        ) as subscription_id,
        {{ json_str('obj', '$.number') }} as invoice_number,
        {{ json_str('obj', '$.status') }} as status,
        {{ json_str('obj', '$.billing_reason') }} as billing_reason,
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
        {{ json_ts('obj', '$.period_start') }} as period_start_at,
        {{ json_ts('obj', '$.period_end') }} as period_end_at,
        {{ json_ts('obj', '$.created') }} as created_at,
        {{ json_ts('obj', '$.status_transitions.finalized_at') }} as finalized_at,
        {{ json_ts('obj', '$.status_transitions.paid_at') }} as paid_at,
        {{ json_ts('obj', '$.status_transitions.voided_at') }} as voided_at,
        {{ json_ts('obj', '$.status_transitions.marked_uncollectible_at') }} as marked_uncollectible_at,
        cast({{ json_ts('obj', '$.due_date') }} as date) as due_date,
        -- the older shape names the charge on the invoice; dahlia lists invoice_payments
        {{ json_ref_id('obj', '$.charge') }} as charge_id,
        -- paid outside Stripe (a bank transfer marked paid by hand): no charge settles it
        coalesce({{ json_bool('obj', '$.paid_out_of_band') }}, false) as is_paid_out_of_band,
        coalesce(obj -> '$.payments.data', cast('[]' as json)) as payments_json,
        coalesce(obj -> '$.lines.data', cast('[]' as json)) as lines_json,
        -- the invoice's tax breakdown in either shape: dahlia `total_taxes[]` (tax rate at
        -- `tax_rate_details.tax_rate`) or older `total_tax_amounts[]` (at `tax_rate`)
        case
            when json_type(obj, '$.total_taxes') = 'ARRAY' then obj -> '$.total_taxes'
            else coalesce(obj -> '$.total_tax_amounts', cast('[]' as json))
        end as taxes_json,
        _version_at as version_at,
        api_version
    from amounts
)

select * from renamed
