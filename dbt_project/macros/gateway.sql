{#- Every version of one kind of gateway object: the export rows of `raw_gateway.<entity>`
    unioned with the `data.object` of every event about an object of that type.
    Columns: object_id, obj (the object JSON), _version_at, version_origin ('export'|'event'),
    event_id, event_type, api_version, _batch_id, _line, _loaded_at.
    A re-delivered row (same object, same version time, same event) is kept once. -#}
{% macro gateway_object_versions(entity, object_type) -%}
    select
        object_id,
        obj,
        _version_at,
        version_origin,
        event_id,
        event_type,
        api_version,
        _batch_id,
        _line,
        _loaded_at
    from (
        select
            id as object_id,
            data as obj,
            coalesce(_version_at, _loaded_at) as _version_at,
            'export' as version_origin,
            cast(null as varchar) as event_id,
            cast(null as varchar) as event_type,
            cast(null as varchar) as api_version,
            _batch_id,
            _line,
            _loaded_at
        from {{ source('raw_gateway', entity) }}
        where id is not null
        union all
        select
            object_id,
            data -> '$.data.object' as obj,
            coalesce(_version_at, created, _loaded_at) as _version_at,
            'event' as version_origin,
            id as event_id,
            type as event_type,
            api_version,
            _batch_id,
            _line,
            _loaded_at
        from {{ source('raw_gateway', 'events') }}
        where object_type = '{{ object_type }}' and object_id is not null
    ) as versions
    qualify row_number() over (
        partition by object_id, _version_at, coalesce(event_id, '')
        order by _batch_id desc, _line desc
    ) = 1
{%- endmacro %}

{#- Keep only the latest version of each object: by `_version_at`, then load order. -#}
{% macro latest_version(partition_by='object_id') -%}
    qualify row_number() over (
        partition by {{ partition_by }}
        order by _version_at desc, _batch_id desc, _line desc
    ) = 1
{%- endmacro %}
