-- Every version of every Salesforce account as it was delivered (one row per landed CSV row,
-- deleted ones included), not deduplicated to the latest: stg_crm__accounts picks the latest,
-- and the identity check (int_recon__identity) reads how an account's stripe_customer_id link
-- changed. modified_at: system_modstamp / last_modified_date when the layout has them, else
-- the connector's sync time.
with

source as (
    select
        *,
        {{ optional_column(source('raw_crm', 'account'), 'system_modstamp') }} as _system_modstamp,
        {{ optional_column(source('raw_crm', 'account'), 'last_modified_date') }} as _last_modified_date,
        {{ optional_column(source('raw_crm', 'account'), 'stripe_customer_id_c') }} as _stripe_customer_id
    from {{ source('raw_crm', 'account') }}
),

renamed as (
    select
        _file || ':' || cast(_line as varchar) || '@' || _batch_id as account_version_id,
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
        {{ parse_ts('coalesce(_system_modstamp, _last_modified_date, _fivetran_synced)') }} as modified_at,
        _loaded_at,
        _batch_id,
        _file,
        _line
    from source
)

select * from renamed
