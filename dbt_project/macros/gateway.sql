{#- Every version of one kind of gateway object: the export rows of `raw_gateway.<entity>`
    unioned with the `data.object` of every event about an object of that type.
    Columns: object_id, obj (the object JSON), _version_at, version_origin ('export'|'event'),
    event_id, event_type, api_version, _version_key, _batch_id, _file, _line, _loaded_at.
    A re-delivered row (same object, same version time, same event: one `_version_key`) is kept
    once, from the latest load.

    Parse once: in an incremental run of the model that calls it (the typed
    `stg_gateway__<object>_versions` tables), only the raw rows loaded after the newest
    `_loaded_at` the model already holds are read (`load_watermark`): each raw row is parsed
    when its batch is first built, never again. -#}
{% macro gateway_object_versions(entity, object_type) -%}
    {%- set since = load_watermark() %}
    select
        object_id,
        obj,
        _version_at,
        version_origin,
        event_id,
        event_type,
        api_version,
        object_id || '|' || cast(_version_at as varchar) || '|' || coalesce(event_id, '') as _version_key,
        _batch_id,
        _file,
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
            _file,
            _line,
            _loaded_at
        from {{ source('raw_gateway', entity) }}
        where id is not null{% if since %} and _loaded_at > {{ since }}{% endif %}
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
            _file,
            _line,
            _loaded_at
        from {{ source('raw_gateway', 'events') }}
        where object_type = '{{ object_type }}' and object_id is not null{% if since %}
            and _loaded_at > {{ since }}{% endif %}
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

{#- In an incremental run, the newest `_loaded_at` the model already holds, as a timestamp
    literal (DuckDB prunes the raw scan by it: rows are appended in load order), else none.
    Loads and builds take turns on the warehouse writer lock, so every raw row loaded after a
    build has a later `_loaded_at` than any row that build read. -#}
{% macro load_watermark(column='_loaded_at') -%}
    {%- if not execute or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {%- set value = run_query('select max(' ~ column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {%- if value is none -%}{{ return(none) }}{%- endif -%}
    {{ return("timestamp '" ~ value ~ "'") }}
{%- endmacro %}

{#- The latest version of each object of a typed versions table: by `_version_at`, then load
    order; the version bookkeeping columns dropped. -#}
{% macro latest_of_versions(versions, key) -%}
    select * exclude (_version_key, _version_at, _batch_id, _line, _loaded_at)
    from {{ versions }}
    qualify row_number() over (
        partition by {{ key }}
        order by _version_at desc, _batch_id desc, _line desc
    ) = 1
{%- endmacro %}

{#- The bookkeeping columns every typed versions table keeps (key, version time, load batch,
    line and time: the incremental watermark and the latest-version order). -#}
{% macro version_bookkeeping() -%}
    _version_key,
    _version_at,
    _batch_id,
    _line,
    _loaded_at
{%- endmacro %}
