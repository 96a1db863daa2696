-- Volume anomalies per source and business day (DESIGN §6). Every day from the source's first
-- day to the day before the data's last day (the last day may still be arriving), zeros
-- included. Two rules, weekday-aware (B2B sources are quieter at weekends):
--   floor     works from the first day: 0 rows when the same weekday a week before (the day
--             before, in the first week) had at least anomaly_floor_min_rows is a drop to zero
--   baseline  once 4 earlier same weekdays exist and their median is at least
--             anomaly_min_baseline_rows: rows below median × anomaly_drop_ratio is a drop,
--             above median × anomaly_spike_ratio a spike
-- Only the last anomaly_window_days days are judged (in_window); older days keep status
-- 'ok' so history does not alert on every build.
with

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

daily as (
    select * from {{ ref('int_source_rows_daily') }}
    where business_day is not null
),

days as (
    {{ judged_days('daily', 'bounds', 'source_name') }}
),

series as (
    select
        days.source_name,
        days.business_day,
        days.last_date,
        coalesce(daily.row_count, 0) as row_count
    from days
    left join daily
        on days.source_name = daily.source_name and days.business_day = daily.business_day
),

history as (
    select
        *,
        isodow(business_day) as iso_weekday,
        lag(row_count, 7) over source_days as same_weekday_last_week,
        lag(row_count, 1) over source_days as day_before,
        [
            lag(row_count, 7) over source_days,
            lag(row_count, 14) over source_days,
            lag(row_count, 21) over source_days,
            lag(row_count, 28) over source_days
        ] as same_weekdays
    from series
    window source_days as (partition by source_name order by business_day)
),

judged as (
    select
        *,
        case when list_count(same_weekdays) = 4 then list_median(same_weekdays) end as baseline_rows,
        business_day >= last_date - {{ var('anomaly_window_days') }} as in_window
    from history
),

final as (
    select
        source_name,
        business_day,
        iso_weekday,
        row_count,
        baseline_rows,
        coalesce(same_weekday_last_week, day_before) as reference_rows,
        in_window,
        case
            when not in_window then 'ok'
            when row_count = 0 and coalesce(same_weekday_last_week, day_before) >= {{ var('anomaly_floor_min_rows') }}
                then 'drop_to_zero'
            when baseline_rows >= {{ var('anomaly_min_baseline_rows') }}
                and row_count < baseline_rows * {{ var('anomaly_drop_ratio') }}
                then 'drop'
            when baseline_rows >= {{ var('anomaly_min_baseline_rows') }}
                and row_count > baseline_rows * {{ var('anomaly_spike_ratio') }}
                then 'spike'
            else 'ok'
        end as status
    from judged
)

select * from final
