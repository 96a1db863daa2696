-- Every version of every credit note (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = [
    '$.currency', '$.amount', '$.pre_payment_amount', '$.post_payment_amount',
    '$.out_of_band_amount', '$.reason', '$.status', '$.type', '$.created',
] -%}
{%- set nodes = ['$.invoice', '$.customer', '$.refunds', '$.customer_balance_transaction'] %}
with

versions as (
    {{ gateway_object_versions('credit_notes', 'credit_note') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as credit_note_id,
        {{ picked_ref_id('n', nodes, '$.invoice') }} as invoice_id,
        {{ picked_ref_id('n', nodes, '$.customer') }} as customer_id,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_int('v', values, '$.amount') }} as amount_minor,
        {{ to_major(picked_int('v', values, '$.amount'), picked('v', values, '$.currency')) }} as amount,
        -- how the credit is settled: against the open invoice, by refunds, to the customer
        -- balance, or outside Stripe (NULL when the export does not say)
        {{ picked_int('v', values, '$.pre_payment_amount') }} as pre_payment_amount_minor,
        {{ picked_int('v', values, '$.post_payment_amount') }} as post_payment_amount_minor,
        {{ picked_int('v', values, '$.out_of_band_amount') }} as out_of_band_amount_minor,
        {{ picked_sum_amounts('n', nodes, '$.refunds', 'amount_refunded') }} as refunded_amount_minor,
        {{ picked_ref_id('n', nodes, '$.customer_balance_transaction') }} as customer_balance_transaction_id,
        {{ picked('v', values, '$.reason') }} as reason,
        {{ picked('v', values, '$.status') }} as status,
        {{ picked('v', values, '$.type') }} as credit_note_type,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
