-- Event headers (the objects they carry are read by each entity's staging model). The first
-- delivery of an event id wins; `_file` and `_line` say where it was delivered (the order of
-- delivery that rpt_late_events reads). Incremental: a build reads only the events loaded since the
-- last one and appends those whose id it has not kept yet.
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='append',
    on_schema_change='fail',
) }}
{%- set since = load_watermark() %}

with

source as (
    select * from {{ source('raw_gateway', 'events') }}
    {% if since %}where _loaded_at > {{ since }}{% endif %}
),

deduplicated as (
    select * from source
    qualify row_number() over (partition by id order by _batch_id, _line) = 1
),

new_events as (
    select * from deduplicated
    {% if is_incremental() %}
        where not exists (
                select 1 from {{ this }} as kept
                where kept.event_id = deduplicated.id
            )
    {% endif %}
),

renamed as (
    select
        id as event_id,
        type as event_type,
        api_version,
        object_type,
        object_id,
        created as created_at,
        _version_at as version_at,
        _batch_id,
        _file,
        _line,
        _loaded_at
    from new_events
)

select * from renamed
