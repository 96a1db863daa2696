-- The latest version of each subscription.
with

versions as (
    select * from {{ ref('stg_gateway__subscription_versions') }}
),

latest as (
    select * from versions
    qualify row_number() over (
            partition by subscription_id order by version_at desc, _batch_id desc, _line desc
        ) = 1
),

renamed as (
    select
        subscription_id,
        customer_id,
        status,
        currency,
        created_at,
        start_at,
        trial_start_at,
        trial_end_at,
        cancel_at,
        is_cancel_at_period_end,
        canceled_at,
        ended_at,
        current_period_start_at,
        current_period_end_at,
        version_at,
        api_version,
        json_array_length(items_json) as item_count
    from latest
)

select * from renamed
