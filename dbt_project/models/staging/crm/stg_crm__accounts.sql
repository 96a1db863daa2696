-- Latest version of each account (system_modstamp / last_modified_date when the layout has
-- them, else the connector's sync time, then load order); deleted accounts dropped.
with

source as (
    select
        *,
        {{ optional_column(source('raw_crm', 'account'), 'system_modstamp') }} as _system_modstamp,
        {{ optional_column(source('raw_crm', 'account'), 'last_modified_date') }} as _last_modified_date,
        {{ optional_column(source('raw_crm', 'account'), 'stripe_customer_id_c') }} as _stripe_customer_id
    from {{ source('raw_crm', 'account') }}
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
        id as account_id,
        name as account_name,
        account_number,
        industry,
        type as account_type,
        owner_id,
        parent_id,
        nullif(trim(_stripe_customer_id), '') as stripe_customer_id,
        upper(coalesce(billing_country_code, billing_country)) as billing_country,
        {{ parse_decimal('annual_revenue') }} as annual_revenue,
        try_cast(number_of_employees as integer) as number_of_employees,
        coalesce({{ parse_bool('is_deleted') }}, false) as is_deleted,
        {{ parse_ts('coalesce(_system_modstamp, _last_modified_date, _fivetran_synced)') }} as modified_at
    from latest
)

select * from renamed
where not is_deleted
