-- Every version of every balance transaction (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('balance_transactions', 'balance_transaction') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as balance_transaction_id,
        {{ json_ref_id('obj', '$.source') }} as source_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.amount') }} as amount_minor,
        {{ json_int('obj', '$.fee') }} as fee_minor,
        {{ json_int('obj', '$.net') }} as net_minor,
        {{ to_major(json_int('obj', '$.amount'), json_str('obj', '$.currency')) }} as amount,
        {{ to_major(json_int('obj', '$.fee'), json_str('obj', '$.currency')) }} as fee,
        {{ to_major(json_int('obj', '$.net'), json_str('obj', '$.currency')) }} as net,
        {{ json_str('obj', '$.type') }} as balance_transaction_type,
        {{ json_str('obj', '$.reporting_category') }} as reporting_category,
        {{ json_str('obj', '$.status') }} as status,
        try_cast({{ json_str('obj', '$.exchange_rate') }} as decimal(38, 10)) as exchange_rate,
        cast({{ json_ts('obj', '$.available_on') }} as date) as available_on_date,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
