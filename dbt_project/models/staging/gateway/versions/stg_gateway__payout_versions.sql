-- Every version of every payout (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('payouts', 'payout') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as payout_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.amount') }} as amount_minor,
        {{ to_major(json_int('obj', '$.amount'), json_str('obj', '$.currency')) }} as amount,
        {{ json_str('obj', '$.status') }} as status,
        coalesce({{ json_bool('obj', '$.automatic') }}, false) as is_automatic,
        {{ json_ref_id('obj', '$.balance_transaction') }} as balance_transaction_id,
        cast({{ json_ts('obj', '$.arrival_date') }} as date) as arrival_date,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
