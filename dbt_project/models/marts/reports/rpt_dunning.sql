-- Dunning: failed payments by the month they failed and their decline code, and how many were
-- recovered. A failed payment is one failed charge (every retry that fails counts); it is
-- recovered when a later succeeded charge pays the same invoice (at any time up to the latest
-- data), and its days to recover run from the failed charge to the first such charge, exact to
-- the second (days at 6 decimals). A failed charge without an invoice cannot be recovered.
-- failure_code is the gateway's (card_declined, expired_card, …); decline_code the issuer's
-- reason (`outcome.reason`: insufficient_funds, do_not_honor, …), else the failure_code.
-- Rates, means and medians exact (div_exact, half away from zero at 6 decimals); the median of
-- the recovered payments' days is the middle one, or the mean of the two middle ones.
with

payments as (
    select
        payment_id as charge_id,
        invoice_id,
        status,
        occurred_at,
        amount_rc,
        failure_code
    from {{ ref('int_payments') }}
    where kind = 'charge'
),

charges as (
    select
        charge_id,
        outcome_reason
    from {{ ref('stg_gateway__charges') }}
),

failed as (
    select
        payments.charge_id,
        payments.invoice_id,
        payments.occurred_at,
        payments.amount_rc,
        coalesce(payments.failure_code, 'unknown') as failure_code,
        coalesce(charges.outcome_reason, payments.failure_code, 'unknown') as decline_code
    from payments
    left join charges
        on payments.charge_id = charges.charge_id
    where payments.status = 'failed'
),

recoveries as (
    select
        failed.charge_id,
        min(later.occurred_at) as recovered_at
    from failed
    inner join payments as later
        on failed.invoice_id = later.invoice_id
            and failed.occurred_at < later.occurred_at
            and later.status = 'succeeded'
    group by failed.charge_id
),

per_failure as (
    select
        cast(date_trunc('month', failed.occurred_at) as date) as month,
        failed.failure_code,
        failed.decline_code,
        failed.amount_rc,
        recoveries.recovered_at is not null as is_recovered,
        date_diff('second', failed.occurred_at, recoveries.recovered_at) as seconds_to_recover
    from failed
    left join recoveries
        on failed.charge_id = recoveries.charge_id
),

with_days as (
    select
        *,
        {{ div_exact('cast(seconds_to_recover as decimal(38, 6))', 'cast(86400 as decimal(38, 6))') }}
            as days_to_recover
    from per_failure
),

aggregated as (
    select
        month,
        failure_code,
        decline_code,
        count(*) as failed_payments,
        sum(amount_rc) as failed_amount_rc,
        count(*) filter (where is_recovered) as recovered_payments,
        coalesce(sum(amount_rc) filter (where is_recovered), 0) as recovered_amount_rc,
        sum(seconds_to_recover) as seconds_to_recover
    from with_days
    group by month, failure_code, decline_code
),

-- the median of the recovered failures' days: the middle one, or the two middle ones averaged
ranked as (
    select
        month,
        failure_code,
        decline_code,
        days_to_recover,
        row_number() over (partition by month, failure_code, decline_code order by days_to_recover) as rank_in_group,
        count(*) over (partition by month, failure_code, decline_code) as recovered_in_group
    from with_days
    where is_recovered
),

medians as (
    select
        month,
        failure_code,
        decline_code,
        {{ div_exact('sum(days_to_recover)', 'cast(count(*) as decimal(38, 6))') }} as median_days_to_recover
    from ranked
    where rank_in_group in ((recovered_in_group + 1) // 2, (recovered_in_group + 2) // 2)
    group by month, failure_code, decline_code
),

final as (
    select
        aggregated.month,
        aggregated.failure_code,
        aggregated.decline_code,
        {{ reporting_currency_literal() }} as reporting_currency,
        aggregated.failed_payments,
        aggregated.failed_amount_rc,
        aggregated.recovered_payments,
        aggregated.recovered_amount_rc,
        {{ div_exact(
            'cast(aggregated.recovered_payments as decimal(38, 6))',
            'cast(aggregated.failed_payments as decimal(38, 6))'
        ) }} as recovery_rate,
        {{ div_exact(
            'cast(aggregated.seconds_to_recover as decimal(38, 6))',
            'cast(aggregated.recovered_payments * 86400 as decimal(38, 6))'
        ) }} as mean_days_to_recover,
        medians.median_days_to_recover
    from aggregated
    left join medians
        on aggregated.month = medians.month
            and aggregated.failure_code = medians.failure_code
            and aggregated.decline_code = medians.decline_code
)

select * from final
