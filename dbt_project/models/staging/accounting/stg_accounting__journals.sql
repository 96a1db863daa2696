with

source as (
    select * from {{ source('raw_accounting', 'journal') }}
),

deduplicated as (
    select * from source
    qualify row_number() over (partition by journal_id order by _loaded_at desc, _batch_id desc, _line desc) = 1
),

renamed as (
    select
        journal_id,
        try_cast(journal_number as integer) as journal_number,
        cast({{ parse_ts('journal_date') }} as date) as journal_date,
        {{ parse_ts('created_date_utc') }} as created_at,
        nullif(reference, '') as reference,
        source_id,
        source_type
    from deduplicated
)

select * from renamed
