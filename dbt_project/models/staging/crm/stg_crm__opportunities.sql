with

source as (
    select
        *,
        {{ optional_column(source('raw_crm', 'opportunity'), 'system_modstamp') }} as _system_modstamp,
        {{ optional_column(source('raw_crm', 'opportunity'), 'last_modified_date') }} as _last_modified_date,
        {{ optional_column(source('raw_crm', 'opportunity'), 'currency_iso_code') }} as _currency_iso_code
    from {{ source('raw_crm', 'opportunity') }}
),

latest as (
    select * from source
    qualify row_number() over (
            partition by id
            order by
                {{ parse_ts('coalesce(_system_modstamp, _last_modified_date, _fivetran_synced)') }} desc nulls last,
                _loaded_at desc, _batch_id desc, _line desc
        ) = 1
),

renamed as (
    select
        id as opportunity_id,
        account_id,
        owner_id,
        name as opportunity_name,
        stage_name,
        type as opportunity_type,
        {{ parse_decimal('amount') }} as amount,
        upper(nullif(trim(_currency_iso_code), '')) as currency,
        try_cast(probability as decimal(9, 4)) as probability,
        coalesce({{ parse_bool('is_closed') }}, false) as is_closed,
        coalesce({{ parse_bool('is_won') }}, false) as is_won,
        coalesce({{ parse_bool('is_deleted') }}, false) as is_deleted,
        cast({{ parse_ts('close_date') }} as date) as close_date,
        {{ parse_ts('created_date') }} as created_at,
        {{ parse_ts('coalesce(_system_modstamp, _last_modified_date, _fivetran_synced)') }} as modified_at
    from latest
)

select * from renamed
where not is_deleted
