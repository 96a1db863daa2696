-- Every version of every application fee (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = ['$.currency', '$.amount', '$.amount_refunded', '$.created'] -%}
{%- set nodes = ['$.account', '$.charge', '$.balance_transaction', '$.refunds.data'] %}
with

versions as (
    {{ gateway_object_versions('application_fees', 'application_fee') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as application_fee_id,
        {{ picked_ref_id('n', nodes, '$.account') }} as account_id,
        {{ picked_ref_id('n', nodes, '$.charge') }} as charge_id,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_int('v', values, '$.amount') }} as amount_minor,
        {{ picked_int('v', values, '$.amount_refunded') }} as amount_refunded_minor,
        {{ to_major(picked_int('v', values, '$.amount'), picked('v', values, '$.currency')) }} as amount,
        {{ to_major(picked_int('v', values, '$.amount_refunded'), picked('v', values, '$.currency')) }}
            as amount_refunded,
        {{ picked_ref_id('n', nodes, '$.balance_transaction') }} as balance_transaction_id,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        -- the latest fee refund's time (Stripe lists them under `refunds`), else the version's
        coalesce(
            {{ epoch_to_ts(
                "list_max(cast(json_extract(" ~ picked('n', nodes, '$.refunds.data')
                ~ ", '$[*].created') as bigint[]))"
            ) }},
            _version_at
        ) as refunded_at,
        _version_at as version_at
    from parsed
)

select * from renamed
