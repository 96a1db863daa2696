-- Every version of every charge (exports and event payloads), typed: parsed once,
-- when its raw batch is first built (incremental on the load time; macros/gateway.sql).
with

versions as (
    {{ gateway_object_versions('charges', 'charge') }}
),

renamed as (
    select
        _version_key,
        _version_at,
        _batch_id,
        _line,
        _loaded_at,
        object_id as charge_id,
        {{ json_ref_id('obj', '$.customer') }} as customer_id,
        -- older API versions name the invoice on the charge
        {{ json_ref_id('obj', '$.invoice') }} as invoice_id,
        upper({{ json_str('obj', '$.currency') }}) as currency,
        {{ json_int('obj', '$.amount') }} as amount_minor,
        {{ json_int('obj', '$.amount_captured') }} as amount_captured_minor,
        {{ json_int('obj', '$.amount_refunded') }} as amount_refunded_minor,
        {{ json_int('obj', '$.application_fee_amount') }} as application_fee_amount_minor,
        {{ to_major(json_int('obj', '$.amount'), json_str('obj', '$.currency')) }} as amount,
        {{ to_major(json_int('obj', '$.amount_refunded'), json_str('obj', '$.currency')) }} as amount_refunded,
        {{ json_str('obj', '$.status') }} as status,
        coalesce({{ json_bool('obj', '$.paid') }}, false) as is_paid,
        coalesce({{ json_bool('obj', '$.captured') }}, false) as is_captured,
        coalesce({{ json_bool('obj', '$.refunded') }}, false) as is_refunded,
        coalesce({{ json_bool('obj', '$.disputed') }}, false) as is_disputed,
        {{ json_str('obj', '$.failure_code') }} as failure_code,
        {{ json_str('obj', '$.outcome.network_decline_code') }} as network_decline_code,
        -- the issuer's decline reason (insufficient_funds, do_not_honor, …) of a failed charge
        {{ json_str('obj', '$.outcome.reason') }} as outcome_reason,
        {{ json_ref_id('obj', '$.balance_transaction') }} as balance_transaction_id,
        {{ json_ref_id('obj', '$.on_behalf_of') }} as on_behalf_of_account_id,
        {{ json_ref_id('obj', '$.transfer_data.destination') }} as transfer_destination_account_id,
        {{ json_ts('obj', '$.created') }} as created_at,
        _version_at as version_at
    from versions
)

select * from renamed
