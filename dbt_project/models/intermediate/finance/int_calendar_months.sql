-- The business calendar by month: one row per calendar month from the month of the data's
-- first day through the month of its last day (int_data_bounds). Every model with a monthly
-- spine reads it; a report that starts later (the first invoice's month) filters it.
with

bounds as (
    select
        first_date,
        last_date
    from {{ ref('int_data_bounds') }}
),

months as (
    select cast(spine.month_start as date) as month
    from bounds
    cross join unnest(generate_series(
        cast(date_trunc('month', bounds.first_date) as timestamp),
        cast(date_trunc('month', bounds.last_date) as timestamp),
        interval 1 month
    )) as spine (month_start)
),

final as (
    select
        month,
        cast(last_day(month) as date) as month_end,
        cast(month + interval 1 month as date) as next_month
    from months
)

select * from final
