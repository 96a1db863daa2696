-- One rate per currency per day: reporting-currency units per 1 unit of `currency`, from the
-- ECB euro reference rates (cross rates through EUR), taking for each currency the latest
-- published rate on or before the day, rounded at 10 decimals with exact integer arithmetic:
-- rate = round(RC_per_EUR / CCY_per_EUR, 10) (contracts §5). EUR per EUR = 1; RC → RC = 1.
-- One set of rows per reporting currency in use by a metric policy set (the configured
-- var reporting_currency first); consumers filter on `reporting_currency` (int_fx_rates_rc keeps
-- the configured one's).
{%- set rcs = policy_reporting_currencies() %}

with

ecb as (
    select
        rate_date,
        currency,
        units_per_eur
    from {{ ref('stg_fx__rates') }}
),

bounds as (
    select
        least(
            (select first_date from {{ ref('int_data_bounds') }}),
            (select min(rate_date) from ecb)
        ) as first_date,
        -- through the end of the month of the day after the data's last day (the day export
        -- versions take), so every month-end balance and every movement has a rate
        last_day(greatest(
            cast((select last_date from {{ ref('int_data_bounds') }}) + interval 1 day as date),
            (select max(rate_date) from ecb)
        )) as last_date
),

days as (
    select cast(unnest(generate_series(first_date, last_date, interval 1 day)) as date) as rate_date
    from bounds
    where first_date is not null
),

currencies as (
    select distinct currency from ecb
    union
    select 'EUR' as currency
    {%- for rc in rcs %}
        union
        select '{{ rc }}' as currency
    {%- endfor %}
),

reporting_currencies as (
    {%- for rc in rcs %}
        select '{{ rc }}' as reporting_currency
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

grid as (
    select
        days.rate_date,
        currencies.currency
    from days
    cross join currencies
),

ccy_per_eur as (
    select
        grid.rate_date,
        grid.currency,
        ecb.rate_date as ecb_rate_date,
        case when grid.currency = 'EUR' then 1.000000 else ecb.units_per_eur end as ccy_per_eur
    from grid
    asof left join ecb
        on grid.currency = ecb.currency
            and grid.rate_date >= ecb.rate_date
),

with_rc as (
    select
        ccy.rate_date,
        ccy.currency,
        ccy.ecb_rate_date,
        ccy.ccy_per_eur,
        reporting_currencies.reporting_currency,
        rc.ccy_per_eur as rc_per_eur
    from ccy_per_eur as ccy
    cross join reporting_currencies
    left join ccy_per_eur as rc
        on ccy.rate_date = rc.rate_date
            and reporting_currencies.reporting_currency = rc.currency
),

final as (
    select
        currency,
        rate_date,
        reporting_currency,
        ecb_rate_date,
        cast(ccy_per_eur as decimal(18, 6)) as currency_per_eur,
        cast(rc_per_eur as decimal(18, 6)) as reporting_currency_per_eur,
        case
            when currency = reporting_currency then cast(1 as decimal(38, 10))
            when ccy_per_eur is null or rc_per_eur is null or ccy_per_eur = 0 then null
            else cast(
                    cast(
                        (2 * {{ decimal_to_micro('rc_per_eur') }} * 10000000000 + {{ decimal_to_micro('ccy_per_eur') }})
                        // (2 * {{ decimal_to_micro('ccy_per_eur') }})
                        as decimal(38, 0)
                    ) * 0.0000000001 as decimal(38, 10)
                )
        end as rate_to_rc
    from with_rc
)

select * from final
