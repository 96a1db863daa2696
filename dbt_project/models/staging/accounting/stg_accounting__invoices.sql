with

source as (
    select * from {{ source('raw_accounting', 'invoice') }}
),

deduplicated as (
    select * from source
    qualify row_number() over (
            partition by invoice_id
            order by {{ parse_ts('updated_date_utc') }} desc nulls last, _loaded_at desc, _batch_id desc, _line desc
        ) = 1
),

renamed as (
    select
        invoice_id,
        contact_id,
        invoice_number,
        nullif(reference, '') as reference,
        status,
        type as invoice_type,
        upper(currency_code) as currency,
        {{ parse_decimal('sub_total') }} as subtotal,
        {{ parse_decimal('total_tax') }} as tax,
        {{ parse_decimal('total') }} as total,
        {{ parse_decimal('amount_paid') }} as amount_paid,
        {{ parse_decimal('amount_due') }} as amount_due,
        {{ parse_decimal('amount_credited') }} as amount_credited,
        cast({{ parse_ts('date') }} as date) as invoice_date,
        cast({{ parse_ts('due_date') }} as date) as due_date,
        cast({{ parse_ts('fully_paid_on_date') }} as date) as fully_paid_on_date,
        {{ parse_ts('updated_date_utc') }} as updated_at
    from deduplicated
)

select * from renamed
