-- Every version of every transfer (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = ['$.currency', '$.amount', '$.created'] -%}
{%- set nodes = ['$.destination', '$.source_transaction'] %}
with

versions as (
    {{ gateway_object_versions('transfers', 'transfer') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as transfer_id,
        {{ picked_ref_id('n', nodes, '$.destination') }} as destination_account_id,
        {{ picked_ref_id('n', nodes, '$.source_transaction') }} as source_charge_id,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_int('v', values, '$.amount') }} as amount_minor,
        {{ to_major(picked_int('v', values, '$.amount'), picked('v', values, '$.currency')) }} as amount,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
