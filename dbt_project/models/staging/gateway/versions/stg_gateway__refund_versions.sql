-- Every version of every refund (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('refunds', 'refund') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as refund_id,
        {{ json_ref_id('obj', '$.charge') }} as charge_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.amount') }} as amount_minor,
        {{ to_major(json_int('obj', '$.amount'), json_str('obj', '$.currency')) }} as amount,
        {{ json_str('obj', '$.status') }} as status,
        {{ json_str('obj', '$.reason') }} as reason,
        {{ json_ref_id('obj', '$.balance_transaction') }} as balance_transaction_id,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
