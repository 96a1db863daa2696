-- Bookings as each system sees them, one row per booking, for the CRM-vs-billing checks.
--   crm:     every won, not deleted opportunity: its amount is the ARR it booked, in the
--            opportunity's currency (else its customer's), dated its close date; the customer is
--            the gateway customer identity resolution attached to its account.
--   billing: every rise of a subscription's contract MRR (before discounts, whatever its status,
--            trials included: the sum of its items' contract MRR in int_subscription_mrr) - its
--            first value (a new subscription) and each later increase (an upgrade) -, × 12 and
--            rounded to cents as ARR, in the subscription's currency, dated the day it took
--            effect. Falls (downgrades, cancellations) are not bookings: the CRM records none.
-- arr_rc: the ARR at the rate of the data's last day (a constant rate, so that FX moves never
-- look like a booking difference).
with

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

rates as (
    select
        currency,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
    where rate_date = (select bounds.last_date from bounds)
),

resolved as (
    select
        customer_id,
        crm_account_id
    from {{ ref('int_customers_resolved') }}
),

customers as (
    select
        customer_id,
        currency
    from {{ ref('stg_gateway__customers') }}
),

deals as (
    select
        'crm' as booking_system,
        opportunities.opportunity_id as booking_id,
        opportunities.account_id as crm_account_id,
        resolved.customer_id,
        cast(null as varchar) as subscription_id,
        opportunities.close_date as booked_date,
        coalesce(opportunities.currency, customers.currency) as currency,
        cast(opportunities.amount as decimal(38, 6)) as arr,
        opportunities.opportunity_name as description
    from {{ ref('stg_crm__opportunities') }} as opportunities
    left join resolved
        on opportunities.account_id = resolved.crm_account_id
    left join customers
        on resolved.customer_id = customers.customer_id
    where opportunities.is_won and not opportunities.is_deleted
),

subscription_contract as (
    select
        subscription_mrr.subscription_id,
        subscription_mrr.customer_id,
        subscription_mrr.currency,
        subscription_mrr.valid_from,
        coalesce(list_sum([item.contract_mrr for item in subscription_mrr.items]), 0) as items_contract_mrr
    from {{ ref('int_subscription_mrr') }} as subscription_mrr
),

subscription_steps as (
    select
        *,
        items_contract_mrr
        - coalesce(lag(items_contract_mrr) over (partition by subscription_id order by valid_from), 0)
            as contract_mrr_rise,
        row_number() over (partition by subscription_id order by valid_from) = 1 as is_first
    from subscription_contract
),

billing as (
    select
        'billing' as booking_system,
        steps.subscription_id || ':' || strftime(steps.valid_from, '%Y-%m-%d') as booking_id,
        resolved.crm_account_id,
        steps.customer_id,
        steps.subscription_id,
        steps.valid_from as booked_date,
        steps.currency,
        cast(round(steps.contract_mrr_rise * 12, 2) as decimal(38, 6)) as arr,
        case when steps.is_first then 'new subscription' else 'contract increase' end as description
    from subscription_steps as steps
    left join resolved
        on steps.customer_id = resolved.customer_id
    where steps.contract_mrr_rise > 0
),

final as (
    select
        bookings.*,
        {{ to_rc('bookings.arr', 'rates.rate_to_rc') }} as arr_rc
    from (
        select * from deals
        union all
        select * from billing
    ) as bookings
    left join rates
        on bookings.currency = rates.currency
)

select * from final
