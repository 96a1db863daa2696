-- Every version of every payout (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = ['$.currency', '$.amount', '$.status', '$.automatic', '$.arrival_date', '$.created'] -%}
{%- set nodes = ['$.balance_transaction'] %}
with

versions as (
    {{ gateway_object_versions('payouts', 'payout') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as payout_id,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_int('v', values, '$.amount') }} as amount_minor,
        {{ to_major(picked_int('v', values, '$.amount'), picked('v', values, '$.currency')) }} as amount,
        {{ picked('v', values, '$.status') }} as status,
        coalesce({{ picked_bool('v', values, '$.automatic') }}, false) as is_automatic,
        {{ picked_ref_id('n', nodes, '$.balance_transaction') }} as balance_transaction_id,
        cast({{ picked_ts('v', values, '$.arrival_date') }} as date) as arrival_date,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
