with

source as (
    select * from {{ source('raw_accounting', 'account') }}
),

deduplicated as (
    select * from source
    qualify row_number() over (
            partition by account_id
            order by {{ parse_ts('_fivetran_synced') }} desc nulls last, _loaded_at desc, _batch_id desc, _line desc
        ) = 1
),

renamed as (
    select
        account_id,
        name as account_name,
        code as account_code,
        type as account_type,
        class as account_class
    from deduplicated
)

select * from renamed
