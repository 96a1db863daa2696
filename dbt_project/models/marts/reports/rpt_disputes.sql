-- Disputes per calendar month, in the reporting currency at the rate of each object's own day.
-- Disputes are counted in the month they were opened, with their outcome as of the latest data
-- (won, lost, or still open: needs_response, under_review, warning_*):
--   dispute_rate = charges disputed in the month ÷ succeeded charges in the month (Stripe's
--                  dispute activity rate);
--   win_rate     = won ÷ (won + lost), disputes still open excluded; NULL before any closes;
--   amount_lost_rc  = Σ amount of the lost disputes;
--   dispute_fees_rc = Σ the fee on each dispute's withdrawal (its balance transaction), won or
--                     lost (the gateway keeps it).
-- Rates exact (div_exact, half away from zero at 6 decimals). One row per month from the
-- first through the last month of the data.
with

payments as (
    select * from {{ ref('int_payments') }}
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
),

months as (
    select month from {{ ref('int_calendar_months') }}
),

charges as (
    select
        cast(date_trunc('month', occurred_at) as date) as month,
        count(*) as charges,
        sum(amount_rc) as charge_volume_rc
    from payments
    where kind = 'charge' and status = 'succeeded'
    group by cast(date_trunc('month', occurred_at) as date)
),

disputes as (
    select
        cast(date_trunc('month', payments.occurred_at) as date) as month,
        payments.charge_id,
        payments.status,
        payments.amount_rc,
        {{ to_rc('coalesce(payments.fee, 0)', 'rates.rate_to_rc') }} as fee_rc
    from payments
    left join rates
        on payments.currency = rates.currency
            and payments.occurred_date = rates.rate_date
    where payments.kind = 'dispute'
),

disputes_by_month as (
    select
        month,
        count(*) as disputes_opened,
        count(distinct charge_id) as disputed_charges,
        sum(amount_rc) as disputed_amount_rc,
        count(*) filter (where status = 'won') as disputes_won,
        count(*) filter (where status = 'lost') as disputes_lost,
        count(*) filter (where status not in ('won', 'lost')) as disputes_open,
        coalesce(sum(amount_rc) filter (where status = 'lost'), 0) as amount_lost_rc,
        sum(fee_rc) as dispute_fees_rc
    from disputes
    group by month
),

final as (
    select
        months.month,
        {{ reporting_currency_literal() }} as reporting_currency,
        coalesce(charges.charges, 0) as charges,
        coalesce(charges.charge_volume_rc, 0) as charge_volume_rc,
        coalesce(disputes_by_month.disputes_opened, 0) as disputes_opened,
        coalesce(disputes_by_month.disputed_charges, 0) as disputed_charges,
        coalesce(disputes_by_month.disputed_amount_rc, 0) as disputed_amount_rc,
        {{ div_exact(
            'cast(coalesce(disputes_by_month.disputed_charges, 0) as decimal(38, 6))',
            'cast(charges.charges as decimal(38, 6))'
        ) }} as dispute_rate,
        coalesce(disputes_by_month.disputes_won, 0) as disputes_won,
        coalesce(disputes_by_month.disputes_lost, 0) as disputes_lost,
        coalesce(disputes_by_month.disputes_open, 0) as disputes_open,
        {{ div_exact(
            'cast(disputes_by_month.disputes_won as decimal(38, 6))',
            'cast(disputes_by_month.disputes_won + disputes_by_month.disputes_lost as decimal(38, 6))'
        ) }} as win_rate,
        coalesce(disputes_by_month.amount_lost_rc, 0) as amount_lost_rc,
        coalesce(disputes_by_month.dispute_fees_rc, 0) as dispute_fees_rc
    from months
    left join charges
        on months.month = charges.month
    left join disputes_by_month
        on months.month = disputes_by_month.month
)

select * from final
