-- Freshness per source (DESIGN §6): how many days the source's latest row (its business time)
-- lags the data's last day, against freshness_max_lag_days. A source with no rows at all while
-- others have some is 'stale' too.
with

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

latest as (
    select
        source_name,
        max(business_day) as latest_day
    from {{ ref('int_source_rows_daily') }}
    group by source_name
),

expected as (
    select unnest(['gateway', 'usage', 'accounting', 'crm']) as source_name
),

final as (
    select
        expected.source_name,
        latest.latest_day,
        bounds.last_date,
        date_diff('day', latest.latest_day, bounds.last_date) as lag_days,
        case expected.source_name
            when '' then null
            {%- set lags = var('freshness_max_lag_days') %}
            {%- if lags is mapping %}
                {%- for source, days in lags.items() %}
                    when '{{ source }}' then {{ days }}
                {%- endfor %}
            {%- endif %}
        end as max_lag_days
    from expected
    cross join bounds
    left join latest
        on expected.source_name = latest.source_name
)

select
    *,
    case
        when latest_day is null or lag_days > max_lag_days then 'stale'
        else 'ok'
    end as status
from final
