with

source as (
    select * from {{ source('raw_crm', 'opportunity_line_item') }}
),

latest as (
    select * from source
    qualify row_number() over (
            partition by id
            order by
                {{ parse_ts('coalesce(system_modstamp, last_modified_date, _fivetran_synced)') }} desc nulls last,
                _loaded_at desc, _batch_id desc, _line desc
        ) = 1
),

renamed as (
    select
        id as opportunity_line_item_id,
        opportunity_id,
        product_2_id as product_id,
        name as line_item_name,
        product_code,
        {{ parse_decimal('quantity') }} as quantity,
        {{ parse_decimal('unit_price') }} as unit_price,
        {{ parse_decimal('list_price') }} as list_price,
        {{ parse_decimal('total_price') }} as total_price,
        {{ parse_decimal('discount') }} as discount_percent,
        cast({{ parse_ts('service_date') }} as date) as service_date,
        coalesce({{ parse_bool('is_deleted') }}, false) as is_deleted,
        {{ parse_ts('created_date') }} as created_at,
        {{ parse_ts('coalesce(system_modstamp, last_modified_date, _fivetran_synced)') }} as modified_at
    from latest
)

select * from renamed
where not is_deleted
