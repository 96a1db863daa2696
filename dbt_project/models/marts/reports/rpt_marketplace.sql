-- Marketplace (Connect) per calendar month, in the reporting currency at the rate of each
-- object's own day. Connected-account charges: succeeded charges with a
-- `transfer_data.destination` or `on_behalf_of` account.
--   gross_volume_rc      = Σ amount of those charges (what buyers paid: the gross revenue the
--                          platform processes, not its own);
--   application_fees_rc  = Σ application fees created in the month;
--   application_fees_refunded_rc = Σ amount_refunded of fees, in the month and at the rate of
--                          the latest fee refund (stg refunded_at, as the ledger posts it);
--   platform_fee_revenue_rc = fees − refunded fees (the platform's net revenue);
--   take_rate            = platform_fee_revenue_rc ÷ gross_volume_rc (div_exact, 6 decimals);
--   transfers_rc         = Σ transfers to connected accounts created in the month.
-- One row per month from the first through the last month of the data.
with

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

connected_charges as (
    select
        cast(date_trunc('month', charges.created_at) as date) as month,
        coalesce(charges.transfer_destination_account_id, charges.on_behalf_of_account_id) as account_id,
        {{ to_rc('charges.amount', 'rates.rate_to_rc') }} as amount_rc
    from {{ ref('stg_gateway__charges') }} as charges
    left join rates
        on charges.currency = rates.currency
            and cast(charges.created_at as date) = rates.rate_date
    where charges.status = 'succeeded'
        and coalesce(charges.transfer_destination_account_id, charges.on_behalf_of_account_id) is not null
),

application_fees as (
    select
        cast(date_trunc('month', fees.created_at) as date) as month,
        {{ to_rc('fees.amount', 'rates.rate_to_rc') }} as amount_rc,
        cast(0 as decimal(38, 6)) as amount_refunded_rc
    from {{ ref('stg_gateway__application_fees') }} as fees
    left join rates
        on fees.currency = rates.currency
            and cast(fees.created_at as date) = rates.rate_date
    union all
    select
        cast(date_trunc('month', fees.refunded_at) as date) as month,
        cast(0 as decimal(38, 6)) as amount_rc,
        {{ to_rc('fees.amount_refunded', 'rates.rate_to_rc') }} as amount_refunded_rc
    from {{ ref('stg_gateway__application_fees') }} as fees
    left join rates
        on fees.currency = rates.currency
            and cast(fees.refunded_at as date) = rates.rate_date
    where fees.amount_refunded > 0
),

transfers as (
    select
        cast(date_trunc('month', transfers.created_at) as date) as month,
        transfers.destination_account_id,
        {{ to_rc('transfers.amount', 'rates.rate_to_rc') }} as amount_rc
    from {{ ref('stg_gateway__transfers') }} as transfers
    left join rates
        on transfers.currency = rates.currency
            and cast(transfers.created_at as date) = rates.rate_date
),

charges_by_month as (
    select
        month,
        count(*) as connected_charges,
        count(distinct account_id) as connected_accounts,
        sum(amount_rc) as gross_volume_rc
    from connected_charges
    group by month
),

fees_by_month as (
    select
        month,
        sum(amount_rc) as application_fees_rc,
        sum(amount_refunded_rc) as application_fees_refunded_rc
    from application_fees
    group by month
),

transfers_by_month as (
    select
        month,
        count(*) as transfers,
        sum(amount_rc) as transfers_rc
    from transfers
    group by month
),

final as (
    select
        months.month,
        {{ reporting_currency_literal() }} as reporting_currency,
        coalesce(charges_by_month.connected_charges, 0) as connected_charges,
        coalesce(charges_by_month.connected_accounts, 0) as connected_accounts,
        coalesce(charges_by_month.gross_volume_rc, 0) as gross_volume_rc,
        coalesce(fees_by_month.application_fees_rc, 0) as application_fees_rc,
        coalesce(fees_by_month.application_fees_refunded_rc, 0) as application_fees_refunded_rc,
        coalesce(fees_by_month.application_fees_rc, 0) - coalesce(fees_by_month.application_fees_refunded_rc, 0)
            as platform_fee_revenue_rc,
        {{ div_exact(
            'coalesce(fees_by_month.application_fees_rc, 0) - coalesce(fees_by_month.application_fees_refunded_rc, 0)',
            'charges_by_month.gross_volume_rc'
        ) }} as take_rate,
        coalesce(transfers_by_month.transfers, 0) as transfers,
        coalesce(transfers_by_month.transfers_rc, 0) as transfers_rc
    from months
    left join charges_by_month
        on months.month = charges_by_month.month
    left join fees_by_month
        on months.month = fees_by_month.month
    left join transfers_by_month
        on months.month = transfers_by_month.month
)

select * from final
