-- ECB reference rates: units of `currency` per 1 EUR, one row per day and currency.
with

source as (
    select * from {{ source('raw_fx', 'rates') }}
),

deduplicated as (
    select * from source
    where rate is not null and rate > 0
    qualify row_number() over (
            partition by rate_date, upper(currency) order by _loaded_at desc, _batch_id desc, _line desc
        ) = 1
),

renamed as (
    select
        rate_date,
        cast(rate as decimal(18, 6)) as units_per_eur,
        upper(currency) as currency
    from deduplicated
)

select * from renamed
