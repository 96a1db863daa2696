-- One row per usage event: `(source, id)` delivered twice counts once.
with

source as (
    select * from {{ source('raw_usage', 'events') }}
),

deduplicated as (
    select * from source
    qualify row_number() over (partition by source, id order by _batch_id, _line) = 1
),

renamed as (
    select
        id as cloudevent_id,
        source as event_source,
        type as meter,
        subject as customer_id,
        time as occurred_at,
        cast(time as date) as occurred_date,
        data,
        specversion,
        datacontenttype,
        source || '/' || id as usage_event_id,
        try_cast(
            coalesce(data ->> '$.value', data ->> '$.quantity', data ->> '$.count') as decimal(38, 6)
        ) as quantity
    from deduplicated
)

select * from renamed
