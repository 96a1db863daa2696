with

versions as (
    {{ gateway_object_versions('transfers', 'transfer') }}
),

latest as (
    select * from versions
    {{ latest_version() }}
),

renamed as (
    select
        object_id as transfer_id,
        {{ json_ref_id('obj', '$.destination') }} as destination_account_id,
        {{ json_ref_id('obj', '$.source_transaction') }} as source_charge_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.amount') }} as amount_minor,
        {{ to_major(json_int('obj', '$.amount'), json_str('obj', '$.currency')) }} as amount,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from latest
)

select * from renamed
