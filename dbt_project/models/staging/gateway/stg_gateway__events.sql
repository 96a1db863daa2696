-- Event headers (the objects they carry are read by each entity's staging model).
with

source as (
    select * from {{ source('raw_gateway', 'events') }}
),

deduplicated as (
    select * from source
    qualify row_number() over (partition by id order by _batch_id, _line) = 1
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
        _loaded_at
    from deduplicated
)

select * from renamed
