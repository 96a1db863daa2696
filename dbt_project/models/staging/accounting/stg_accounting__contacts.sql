-- `account_number` carries the gateway customer id when the bookkeeper's sync set it.
with

source as (
    select
        *,
        {{ optional_column(source('raw_accounting', 'contact'), 'account_number') }} as _account_number
    from {{ source('raw_accounting', 'contact') }}
),

deduplicated as (
    select * from source
    qualify row_number() over (partition by contact_id order by _loaded_at desc, _batch_id desc, _line desc) = 1
),

renamed as (
    select
        contact_id,
        name as contact_name,
        nullif(trim(_account_number), '') as account_number,
        coalesce({{ parse_bool('_fivetran_deleted') }}, false) as is_deleted
    from deduplicated
)

select * from renamed
where not is_deleted
