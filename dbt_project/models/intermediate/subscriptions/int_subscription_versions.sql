-- Every version of every subscription, with the interval it was in force.
--   * Subscriptions seen in events: every event payload and export row is a version
--     (`valid_from_at` = the version time, `valid_to_at` = the next version's); an export row
--     counts from its load time or the day after the data's last day, whichever is earlier.
--   * Export-only subscriptions (no event): the timeline is rebuilt from the latest export's
--     own dates — trialing from start to `trial_end`, then the exported status (a canceled one
--     is active until `ended_at`, then canceled).
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

subscriptions_with_events as (
    select distinct subscription_id
    from versions
    where version_origin = 'event'
),

observed as (
    select
        versions.subscription_version_id,
        versions.subscription_id,
        versions.customer_id,
        versions.status,
        versions.currency,
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
        versions.version_origin,
        coalesce(versions.event_id, versions.subscription_id) as source_id,
        versions.items_json,
        versions.discounts_json,
        versions._batch_id,
        versions._line,
        0 as phase
    from versions
    inner join subscriptions_with_events as swe
        on versions.subscription_id = swe.subscription_id
    left join bounds on true
),

export_only as (
    select versions.*
    from versions
    anti join subscriptions_with_events as swe
        on versions.subscription_id = swe.subscription_id
    qualify row_number() over (
            partition by versions.subscription_id
            order by versions.version_at desc, versions._batch_id desc, versions._line desc
        ) = 1
),

export_only_dates as (
    select
        *,
        coalesce(start_at, created_at) as phase_start_at,
        case when trial_end_at > coalesce(start_at, created_at) then trial_end_at end as phase_trial_end_at,
        case when status = 'canceled' then coalesce(ended_at, canceled_at) end as phase_end_at
    from export_only
),

rebuilt_phases as (
    -- 1: the trial
    select
        *,
        1 as phase,
        'trialing' as phase_status,
        phase_start_at as phase_at
    from export_only_dates
    where phase_trial_end_at is not null
    union all
    -- 2: the exported status (a canceled subscription was active until it ended)
    select
        *,
        2 as phase,
        case when status = 'canceled' then 'active' else status end as phase_status,
        coalesce(phase_trial_end_at, phase_start_at) as phase_at
    from export_only_dates
    where
        status != 'trialing'
        and (phase_end_at is null or coalesce(phase_trial_end_at, phase_start_at) < phase_end_at)
    union all
    -- 3: the end
    select
        *,
        3 as phase,
        'canceled' as phase_status,
        phase_end_at as phase_at
    from export_only_dates
    where phase_end_at is not null
    union all
    -- a subscription still trialing: one trial version from its start
    select
        *,
        1 as phase,
        status as phase_status,
        phase_start_at as phase_at
    from export_only_dates
    where status = 'trialing' and phase_trial_end_at is null
),

rebuilt as (
    select
        subscription_id || ':rebuilt:' || cast(phase as varchar) as subscription_version_id,
        subscription_id,
        customer_id,
        phase_status as status,
        currency,
        phase_at as version_at,
        'rebuilt' as version_origin,
        subscription_id as source_id,
        items_json,
        discounts_json,
        _batch_id,
        _line,
        phase
    from rebuilt_phases
    where phase_at is not null
),

all_versions as (
    select * from observed
    union all
    select * from rebuilt
),

ordered as (
    select
        *,
        cast(version_at as date) as version_date,
        row_number() over (
            partition by subscription_id order by version_at, phase, _batch_id, _line
        ) as version_seq
    from all_versions
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
        day_flags.version_at as valid_from_at,
        day_flags.is_day_effective,
        effective_days.valid_from_date,
        effective_days.valid_to_date,
        day_flags.items_json,
        day_flags.discounts_json,
        lead(day_flags.version_at) over (
            partition by day_flags.subscription_id order by day_flags.version_seq
        ) as valid_to_at
    from day_flags
    left join effective_days
        on day_flags.subscription_version_id = effective_days.subscription_version_id
)

select * from final
