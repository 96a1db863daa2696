with

source as (
    select * from {{ source('raw_accounting', 'journal_line') }}
),

deduplicated as (
    select * from source
    qualify row_number() over (
            partition by journal_line_id order by _loaded_at desc, _batch_id desc, _line desc
        ) = 1
),

renamed as (
    select
        journal_line_id,
        journal_id,
        account_id,
        account_code,
        account_name,
        account_type,
        description,
        {{ parse_decimal('gross_amount') }} as gross_amount,
        {{ parse_decimal('net_amount') }} as net_amount,
        {{ parse_decimal('tax_amount') }} as tax_amount,
        tax_name,
        tax_type
    from deduplicated
)

select * from renamed
