-- One row per usage event: `(source, id)` delivered twice counts once (the first delivery).
-- Incremental: a build reads only the events loaded since the last one (the JSON `data` is
-- parsed once, here) and appends those it has not kept yet.
{{ config(
    materialized='incremental',
    unique_key='usage_event_id',
    incremental_strategy='append',
    on_schema_change='fail',
) }}
{%- set since = load_watermark() %}

with

source as (
    select * from {{ source('raw_usage', 'events') }}
    {% if since %}where _loaded_at > {{ since }}{% endif %}
),

deduplicated as (
    select * from source
    qualify row_number() over (partition by source, id order by _batch_id, _line) = 1
),

new_events as (
    select * from deduplicated
    {% if is_incremental() %}
        where not exists (
                select 1 from {{ this }} as kept
                where
                    kept.event_source = deduplicated.source
                    and kept.cloudevent_id = deduplicated.id
            )
    {% endif %}
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
        _loaded_at,
        source || '/' || id as usage_event_id,
        try_cast(
            coalesce(data ->> '$.value', data ->> '$.quantity', data ->> '$.count') as decimal(38, 6)
        ) as quantity
    from new_events
)

select * from renamed
