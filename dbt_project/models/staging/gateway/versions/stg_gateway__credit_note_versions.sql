-- Every version of every credit note (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('credit_notes', 'credit_note') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as credit_note_id,
        {{ json_ref_id('obj', '$.invoice') }} as invoice_id,
        {{ json_ref_id('obj', '$.customer') }} as customer_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.amount') }} as amount_minor,
        {{ to_major(json_int('obj', '$.amount'), json_str('obj', '$.currency')) }} as amount,
        -- how the credit is settled: against the open invoice, by refunds, to the customer
        -- balance, or outside Stripe (NULL when the export does not say)
        {{ json_int('obj', '$.pre_payment_amount') }} as pre_payment_amount_minor,
        {{ json_int('obj', '$.post_payment_amount') }} as post_payment_amount_minor,
        {{ json_int('obj', '$.out_of_band_amount') }} as out_of_band_amount_minor,
        {{ json_sum_amounts('obj', '$.refunds', 'amount_refunded') }} as refunded_amount_minor,
        {{ json_ref_id('obj', '$.customer_balance_transaction') }} as customer_balance_transaction_id,
        {{ json_str('obj', '$.reason') }} as reason,
        {{ json_str('obj', '$.status') }} as status,
        {{ json_str('obj', '$.type') }} as credit_note_type,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
