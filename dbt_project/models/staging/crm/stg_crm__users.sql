with

source as (
    select * from {{ source('raw_crm', 'user') }}
),

latest as (
    select * from source
    qualify row_number() over (
            partition by id
            order by {{ parse_ts('_fivetran_synced') }} desc nulls last, _loaded_at desc, _batch_id desc, _line desc
        ) = 1
),

renamed as (
    select
        id as user_id,
        name as user_name,
        first_name,
        last_name,
        email,
        title,
        username,
        coalesce({{ parse_bool('is_active') }}, false) as is_active,
        coalesce({{ parse_bool('_fivetran_deleted') }}, false) as is_deleted
    from latest
)

select * from renamed
where not is_deleted
