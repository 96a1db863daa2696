-- Every version of every application fee (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('application_fees', 'application_fee') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as application_fee_id,
        {{ json_ref_id('obj', '$.account') }} as account_id,
        {{ json_ref_id('obj', '$.charge') }} as charge_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.amount') }} as amount_minor,
        {{ json_int('obj', '$.amount_refunded') }} as amount_refunded_minor,
        {{ to_major(json_int('obj', '$.amount'), json_str('obj', '$.currency')) }} as amount,
        {{ to_major(json_int('obj', '$.amount_refunded'), json_str('obj', '$.currency')) }} as amount_refunded,
        {{ json_ref_id('obj', '$.balance_transaction') }} as balance_transaction_id,
        {{ json_ts('obj', '$.created') }} as created_at,
        -- the latest fee refund's time (Stripe lists them under `refunds`), else the version's
        coalesce(
            {{ epoch_to_ts("list_max(cast(json_extract(obj, '$.refunds.data[*].created') as bigint[]))") }},
            _version_at
        ) as refunded_at,
        _version_at as version_at
    from versions
)

select * from renamed
