{#
    The days a daily series is judged on (rpt_source_volume_daily, rpt_metric_anomalies_daily):
    per value of `key`, every day from the series' first day to the day before the data's last
    day (the last day may still be arriving), with that last day. `daily` and `bounds` are CTE
    names: the series (key, business_day, ...) and int_data_bounds.
#}
{% macro judged_days(daily, bounds, key) %}
    select
        first_days.{{ key }},
        first_days.last_date,
        cast(unnest(generate_series(first_days.first_day, first_days.last_date - 1, interval 1 day)) as date)
            as business_day
    from (
        select
            {{ daily }}.{{ key }},
            min({{ daily }}.business_day) as first_day,
            any_value({{ bounds }}.last_date) as last_date
        from {{ daily }}
        cross join {{ bounds }}
        group by {{ daily }}.{{ key }}
    ) as first_days
    where first_days.first_day < first_days.last_date
{% endmacro %}
