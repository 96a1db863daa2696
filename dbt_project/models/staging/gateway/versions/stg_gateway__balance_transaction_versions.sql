-- Every version of every balance transaction (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = [
    '$.currency', '$.amount', '$.fee', '$.net', '$.type', '$.reporting_category', '$.status',
    '$.exchange_rate', '$.available_on', '$.created',
] -%}
{%- set nodes = ['$.source'] %}
with

versions as (
    {{ gateway_object_versions('balance_transactions', 'balance_transaction') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as balance_transaction_id,
        {{ picked_ref_id('n', nodes, '$.source') }} as source_id,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_int('v', values, '$.amount') }} as amount_minor,
        {{ picked_int('v', values, '$.fee') }} as fee_minor,
        {{ picked_int('v', values, '$.net') }} as net_minor,
        {{ to_major(picked_int('v', values, '$.amount'), picked('v', values, '$.currency')) }} as amount,
        {{ to_major(picked_int('v', values, '$.fee'), picked('v', values, '$.currency')) }} as fee,
        {{ to_major(picked_int('v', values, '$.net'), picked('v', values, '$.currency')) }} as net,
        {{ picked('v', values, '$.type') }} as balance_transaction_type,
        {{ picked('v', values, '$.reporting_category') }} as reporting_category,
        {{ picked('v', values, '$.status') }} as status,
        try_cast({{ picked('v', values, '$.exchange_rate') }} as decimal(38, 10)) as exchange_rate,
        cast({{ picked_ts('v', values, '$.available_on') }} as date) as available_on_date,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
