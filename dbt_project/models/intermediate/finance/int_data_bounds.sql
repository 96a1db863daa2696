-- First and last business day seen in any source (event and object times, never load times):
-- the calendar that FX and the monthly metrics span.
with

business_dates as (
    select cast(created_at as date) as business_date from {{ ref('stg_gateway__subscription_versions') }}
    union all
    select cast(version_at as date) from {{ ref('stg_gateway__subscription_versions') }}
    where version_origin = 'event'
    union all
    select cast(ended_at as date) from {{ ref('stg_gateway__subscription_versions') }}
    union all
    select cast(created_at as date) from {{ ref('stg_gateway__invoices') }}
    union all
    select cast(created_at as date) from {{ ref('stg_gateway__charges') }}
    union all
    select occurred_date from {{ ref('stg_usage__events') }}
),

bounds as (
    select
        min(business_date) as first_date,
        max(business_date) as last_date
    from business_dates
    having count(business_date) > 0  -- no row at all while every source is empty
)

select * from bounds
