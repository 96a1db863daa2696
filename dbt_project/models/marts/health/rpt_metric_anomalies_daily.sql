-- Anomalies of the key daily metrics (int_metric_values_daily), per metric and business day,
-- zeros included, from the metric's first day to the day before the data's last day. Each
-- metric has its rules (the rules CTE); only the last anomaly_window_days days are judged.
--   floor     from the first day: no row behind the metric when the same weekday a week
--             before had at least anomaly_metric_floor_min_rows (cash stops: drop_to_zero)
--   baseline  once the median rows of the 4 earlier same weekdays reach
--             anomaly_min_baseline_rows: value below their median value × anomaly_drop_ratio
--             is a drop, above × anomaly_spike_ratio a spike
--   share     distribution of charge outcomes: on a day with at least
--             anomaly_share_min_attempts attempts, a failed share of at least
--             anomaly_share_floor; or, with 28 days of history, failures at least
--             anomaly_share_z binomial standard deviations above the 28-day pooled share and
--             at least anomaly_share_min_ratio times it (share_high)
--   scale     distribution of usage quantities: once the day's rows and the 4 earlier same
--             weekdays' median rows reach anomaly_min_baseline_rows (a day of few events is
--             the volume rules' to judge), a day's median quantity more than
--             anomaly_scale_ratio times above or below their median (scale_shift: a meter
--             that changed its unit, bytes for kilobytes)
with

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

daily as (
    select * from {{ ref('int_metric_values_daily') }}
    where business_day is not null
),

-- Money metrics are heavy-tailed (one annual renewal outweighs a day of monthly ones), so only
-- the floor judges them; their counts are judged by the baseline rules. Billing-cycle metrics
-- follow the subscriptions' anniversaries, which a month's last day gathers for the days the
-- month lacks (28 February bills the anchors 28 to 31): the baseline rules divide their value by
-- the number of anchor days the day bills.
rules (metric_name, judge_floor, judge_drop, judge_spike, judge_share, judge_scale, billing_cycle) as (
    values
    ('cash_collected', true, false, false, false, false, true),
    ('charges_succeeded', true, true, true, false, false, true),
    ('charges_failed', false, false, true, false, false, true),
    ('failed_charge_share', false, false, false, true, false, false),
    ('refunds', false, false, true, false, false, false),
    ('new_mrr', true, false, false, false, false, false),
    ('invoices_finalized', true, true, true, false, false, true),
    ('usage_median_quantity', false, false, false, false, true, false)
),

days as (
    {{ judged_days('daily', 'bounds', 'metric_name') }}
),

series as (
    select
        days.metric_name,
        days.business_day,
        days.last_date,
        rules.judge_floor,
        rules.judge_drop,
        rules.judge_spike,
        rules.judge_share,
        rules.judge_scale,
        coalesce(daily.metric_value, 0) as metric_value,
        coalesce(daily.support_rows, 0) as support_rows,
        case
            when rules.billing_cycle and days.business_day = last_day(days.business_day)
                then 32 - day(days.business_day)
            else 1
        end as anchor_days
    from days
    inner join rules on days.metric_name = rules.metric_name
    left join daily
        on days.metric_name = daily.metric_name and days.business_day = daily.business_day
),

history as (
    select
        *,
        lag(support_rows, 7) over metric_days as reference_rows,
        [
            lag(metric_value / anchor_days, 7) over metric_days,
            lag(metric_value / anchor_days, 14) over metric_days,
            lag(metric_value / anchor_days, 21) over metric_days,
            lag(metric_value / anchor_days, 28) over metric_days
        ] as same_weekday_values,
        [
            lag(support_rows, 7) over metric_days,
            lag(support_rows, 14) over metric_days,
            lag(support_rows, 21) over metric_days,
            lag(support_rows, 28) over metric_days
        ] as same_weekday_rows,
        sum(metric_value) over last_28_days as history_value,
        sum(support_rows) over last_28_days as history_rows,
        count(*) over last_28_days as history_days
    from series
    window
        metric_days as (partition by metric_name order by business_day),
        last_28_days as (
            partition by metric_name order by business_day
            rows between 28 preceding and 1 preceding
        )
),

baselined as (
    select
        *,
        case when list_count(same_weekday_values) = 4 then list_median(same_weekday_values) end as baseline_value,
        case when list_count(same_weekday_rows) = 4 then list_median(same_weekday_rows) end as baseline_rows,
        case when support_rows > 0 then metric_value / support_rows end as failed_share,
        case
            when history_days = 28 and history_rows > 0 then history_value / history_rows
        end as baseline_share,
        business_day >= last_date - {{ var('anomaly_window_days') }} as in_window
    from history
),

scored as (
    select
        *,
        case
            when judge_share and baseline_share is not null
                then (metric_value - support_rows * greatest(baseline_share, 0.01))
                    / sqrt(support_rows * greatest(baseline_share, 0.01) * (1 - least(baseline_share, 0.99)))
        end as share_z
    from baselined
),

final as (
    select
        metric_name,
        business_day,
        metric_value,
        support_rows,
        anchor_days,
        baseline_value,
        baseline_rows,
        reference_rows,
        in_window,
        isodow(business_day) as iso_weekday,
        case when judge_share then failed_share end as failed_share,
        case when judge_share then baseline_share end as baseline_share,
        round(share_z, 2) as share_z,
        case
            when not in_window then 'ok'
            when judge_floor and support_rows = 0 and reference_rows >= {{ var('anomaly_metric_floor_min_rows') }}
                then 'drop_to_zero'
            when judge_drop and baseline_rows >= {{ var('anomaly_min_baseline_rows') }}
                and metric_value / anchor_days < baseline_value * {{ var('anomaly_drop_ratio') }}
                then 'drop'
            when judge_spike and baseline_rows >= {{ var('anomaly_min_baseline_rows') }}
                and metric_value / anchor_days > baseline_value * {{ var('anomaly_spike_ratio') }}
                then 'spike'
            when judge_share and support_rows >= {{ var('anomaly_share_min_attempts') }}
                and (
                    failed_share >= {{ var('anomaly_share_floor') }}
                    or (
                        share_z >= {{ var('anomaly_share_z') }}
                        and failed_share >= baseline_share * {{ var('anomaly_share_min_ratio') }}
                    )
                )
                then 'share_high'
            when judge_scale and baseline_rows >= {{ var('anomaly_min_baseline_rows') }}
                and support_rows >= {{ var('anomaly_min_baseline_rows') }}
                and baseline_value > 0
                and (
                    metric_value > baseline_value * {{ var('anomaly_scale_ratio') }}
                    or metric_value < baseline_value / {{ var('anomaly_scale_ratio') }}
                )
                then 'scale_shift'
            else 'ok'
        end as status
    from scored
)

select * from final
