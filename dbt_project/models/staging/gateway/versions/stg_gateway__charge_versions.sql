-- Every version of every charge (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
-- Every path is read in one parse per version (json_strings / json_nodes, macros/json.sql).
{%- set values = [
    '$.currency', '$.amount', '$.amount_captured', '$.amount_refunded',
    '$.application_fee_amount', '$.status', '$.paid', '$.captured', '$.refunded', '$.disputed',
    '$.failure_code', '$.outcome.network_decline_code', '$.outcome.reason', '$.created',
] -%}
{%- set nodes = [
    '$.customer', '$.invoice', '$.balance_transaction', '$.on_behalf_of',
    '$.transfer_data.destination',
] %}
with

versions as (
    {{ gateway_object_versions('charges', 'charge') }}
),

parsed as (
    {{ parsed_versions('versions', values, nodes) }}
),

renamed as (
    select
        {{ version_bookkeeping() }},
        object_id as charge_id,
        {{ picked_ref_id('n', nodes, '$.customer') }} as customer_id,
        -- older API versions name the invoice on the charge
        {{ picked_ref_id('n', nodes, '$.invoice') }} as invoice_id,
        upper({{ picked('v', values, '$.currency') }}) as currency,
        {{ picked_int('v', values, '$.amount') }} as amount_minor,
        {{ picked_int('v', values, '$.amount_captured') }} as amount_captured_minor,
        {{ picked_int('v', values, '$.amount_refunded') }} as amount_refunded_minor,
        {{ picked_int('v', values, '$.application_fee_amount') }} as application_fee_amount_minor,
        {{ to_major(picked_int('v', values, '$.amount'), picked('v', values, '$.currency')) }} as amount,
        {{ to_major(picked_int('v', values, '$.amount_refunded'), picked('v', values, '$.currency')) }}
            as amount_refunded,
        {{ picked('v', values, '$.status') }} as status,
        coalesce({{ picked_bool('v', values, '$.paid') }}, false) as is_paid,
        coalesce({{ picked_bool('v', values, '$.captured') }}, false) as is_captured,
        coalesce({{ picked_bool('v', values, '$.refunded') }}, false) as is_refunded,
        coalesce({{ picked_bool('v', values, '$.disputed') }}, false) as is_disputed,
        {{ picked('v', values, '$.failure_code') }} as failure_code,
        {{ picked('v', values, '$.outcome.network_decline_code') }} as network_decline_code,
        -- the issuer's decline reason (insufficient_funds, do_not_honor, …) of a failed charge
        {{ picked('v', values, '$.outcome.reason') }} as outcome_reason,
        {{ picked_ref_id('n', nodes, '$.balance_transaction') }} as balance_transaction_id,
        {{ picked_ref_id('n', nodes, '$.on_behalf_of') }} as on_behalf_of_account_id,
        {{ picked_ref_id('n', nodes, '$.transfer_data.destination') }} as transfer_destination_account_id,
        {{ picked_ts('v', values, '$.created') }} as created_at,
        _version_at as version_at
    from parsed
)

select * from renamed
