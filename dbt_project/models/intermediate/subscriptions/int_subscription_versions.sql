-- Every version of every subscription, with the interval it was in force: every event payload
-- and export row is a version (`valid_from_at` = the version time, `valid_to_at` = the next
-- version's). An export row counts from its load time or the day after the data's last day,
-- whichever is earlier; so a subscription seen only in exports has a version from then on, and
-- the stretch before its first version is rebuilt from its invoice lines
-- (int_subscription_invoiced_mrr_intervals).
-- Day grain (contracts §5): the version in force on day d is the latest with
-- `version_at < d + 1 day`, so only the last version of each day is `is_day_effective`, and
-- [`valid_from_date`, `valid_to_date`) is the run of days it governs.
with

versions as (
    select * from {{ ref('stg_gateway__subscription_versions') }}
),

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

observed as (
    select
        versions.subscription_version_id,
        versions.subscription_id,
        versions.customer_id,
        versions.status,
        versions.currency,
        versions.version_origin,
        versions.start_at,
        versions.created_at,
        versions.ended_at,
        versions.items_json,
        versions.discounts_json,
        versions._batch_id,
        versions._line,
        -- An export row has no time of its own: its version time is the load time. When the
        -- data is older than the load (a backfill, a replay), that would date the export's
        -- state after the last day any source reported and re-evaluate discounts on a day the
        -- data knows nothing of. The export's state is taken as of the day after the data's
        -- last day instead, whichever comes first.
        case
            when versions.version_origin = 'export'
                then least(versions.version_at, cast(bounds.last_date + interval 1 day as timestamp))
            else versions.version_at
        end as version_at,
        coalesce(versions.event_id, versions.subscription_id) as source_id,
        versions.is_cancel_at_period_end or versions.cancel_at is not null as is_cancel_requested
    from versions
    left join bounds on true
),

ordered as (
    select
        *,
        cast(version_at as date) as version_date,
        row_number() over (
            partition by subscription_id order by version_at, _batch_id, _line
        ) as version_seq
    from observed
),

day_flags as (
    select
        *,
        version_seq = max(version_seq) over (partition by subscription_id, version_date) as is_day_effective
    from ordered
),

effective_days as (
    select
        subscription_version_id,
        version_date as valid_from_date,
        lead(version_date) over (partition by subscription_id order by version_seq) as valid_to_date
    from day_flags
    where is_day_effective
),

final as (
    select
        day_flags.subscription_version_id,
        day_flags.subscription_id,
        day_flags.customer_id,
        day_flags.status,
        day_flags.currency,
        day_flags.version_seq,
        day_flags.version_origin,
        day_flags.source_id,
        day_flags.is_cancel_requested,
        day_flags.ended_at,
        day_flags.version_at as valid_from_at,
        day_flags.is_day_effective,
        effective_days.valid_from_date,
        effective_days.valid_to_date,
        day_flags.items_json,
        day_flags.discounts_json,
        coalesce(day_flags.start_at, day_flags.created_at) as started_at,
        lead(day_flags.version_at) over (
            partition by day_flags.subscription_id order by day_flags.version_seq
        ) as valid_to_at
    from day_flags
    left join effective_days
        on day_flags.subscription_version_id = effective_days.subscription_version_id
)

select * from final
