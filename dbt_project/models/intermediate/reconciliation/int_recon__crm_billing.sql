-- CRM (Salesforce) vs billing (gateway), from int_recon__bookings. N = var
-- recon_won_not_billing_days; "in the window" of a date d = within N days of d, either side
-- (a deal may be closed before or after the subscription is set up).
--   crm_won_not_billing     key = won opportunity id, period = its close month. 'ok' when its
--                           account's customer has a billing booking in the window of the close
--                           date (right = the deal's ARR); otherwise right = 0 and 'break' once
--                           N days have passed since the close (before: 'warn', billing may
--                           still start). A deal whose account matches no gateway customer
--                           cannot bill: the same rule.
--   billing_without_crm_deal key = subscription id, period = month it first had contract MRR.
--                           right = its first ARR (contract MRR × 12); left = the same when a
--                           won deal of the customer's CRM account closed in the window of that
--                           day, else 0: 'break' once N days have passed ('warn' before).
--   crm_arr_vs_billed_mrr   key = CRM account id (or `customer:<id>` for a billing customer
--                           with no CRM account), period = the data's last month. left = the
--                           ARR the CRM booked (Σ won deals), right = the ARR billing booked
--                           (12 × Σ contract MRR rises of the account's customer), both up to
--                           the data's last day and at its rate, in the reporting currency.
--                           Neither counts churn or contraction (the CRM records neither), so
--                           this compares what was sold with what was set up to bill. 'ok'
--                           within var recon_arr_tolerance_pct of the booked ARR (rounding of
--                           deal amounts); beyond it 'break', or 'warn' when either side booked
--                           within the last N days (the other may not have caught up).
with

bounds as (
    select
        last_date,
        cast(date_trunc('month', last_date) as date) as last_month
    from {{ ref('int_data_bounds') }}
),

bookings as (
    select * from {{ ref('int_recon__bookings') }}
),

deals as (
    select * from bookings
    where booking_system = 'crm'
),

billing as (
    select * from bookings
    where booking_system = 'billing'
),

deal_billing as (
    select
        deals.booking_id as opportunity_id,
        deals.crm_account_id,
        deals.customer_id,
        deals.booked_date as close_date,
        deals.currency,
        deals.arr,
        deals.description,
        count(billing.booking_id) as billing_count,
        to_json(list({
            'subscription_id': billing.subscription_id, 'date': billing.booked_date, 'arr': billing.arr,
            'currency': billing.currency, 'what': billing.description
        } order by billing.booked_date) filter (where billing.booking_id is not null)) as billing_json
    from deals
    left join billing
        on deals.customer_id = billing.customer_id
            and billing.booked_date between deals.booked_date - {{ var('recon_won_not_billing_days') }}
            and deals.booked_date + {{ var('recon_won_not_billing_days') }}
    group by all
),

won_not_billing as (
    select
        'crm_won_not_billing' as check_name,
        cast(date_trunc('month', close_date) as date) as period,
        opportunity_id as key,
        currency as unit,
        arr as left_amount,
        case when billing_count > 0 then arr else 0 end as right_amount,
        case
            when billing_count > 0 then 'ok'
            when
                close_date + {{ var('recon_won_not_billing_days') }} > (select bounds.last_date from bounds)
                then 'warn'
            else 'break'
        end as status,
        'stg_crm__opportunities (won)' as left_source,
        'fct_subscription_mrr (contract MRR rises)' as right_source,
        cast(billing_count as integer) as evidence_count,
        cast(to_json({
            'opportunity_id': opportunity_id, 'name': description, 'crm_account_id': crm_account_id,
            'customer_id': customer_id, 'close_date': close_date, 'arr': arr, 'currency': currency
        }) as varchar) as left_evidence,
        cast(coalesce(billing_json, to_json([])) as varchar) as right_evidence,
        'Salesforce opportunity ' || opportunity_id || ' and the subscriptions of '
        || coalesce(customer_id, '(no gateway customer matched to account ' || coalesce(crm_account_id, '?') || ')')
            as where_to_look
    from deal_billing
),

subscription_starts as (
    select * from billing
    qualify row_number() over (partition by subscription_id order by booked_date) = 1
),

subscription_deals as (
    select
        firsts.subscription_id,
        firsts.customer_id,
        firsts.crm_account_id,
        firsts.booked_date as started_date,
        firsts.currency,
        firsts.arr,
        count(deals.booking_id) as deal_count,
        to_json(list({
            'opportunity_id': deals.booking_id, 'name': deals.description, 'close_date': deals.booked_date,
            'arr': deals.arr
        } order by deals.booked_date) filter (where deals.booking_id is not null)) as deals_json
    from subscription_starts as firsts
    left join deals
        on firsts.crm_account_id = deals.crm_account_id
            and deals.booked_date between firsts.booked_date - {{ var('recon_won_not_billing_days') }}
            and firsts.booked_date + {{ var('recon_won_not_billing_days') }}
    group by all
),

billing_without_deal as (
    select
        'billing_without_crm_deal' as check_name,
        cast(date_trunc('month', started_date) as date) as period,
        subscription_id as key,
        currency as unit,
        case when deal_count > 0 then arr else 0 end as left_amount,
        arr as right_amount,
        case
            when deal_count > 0 then 'ok'
            when
                started_date + {{ var('recon_won_not_billing_days') }} > (select bounds.last_date from bounds)
                then 'warn'
            else 'break'
        end as status,
        'stg_crm__opportunities (won)' as left_source,
        'fct_subscription_mrr (contract MRR rises)' as right_source,
        cast(deal_count as integer) as evidence_count,
        cast(coalesce(deals_json, to_json([])) as varchar) as left_evidence,
        cast(to_json({
            'subscription_id': subscription_id, 'customer_id': customer_id, 'crm_account_id': crm_account_id,
            'started': started_date, 'arr': arr, 'currency': currency
        }) as varchar) as right_evidence,
        'subscription ' || subscription_id || ' in Stripe and the opportunities of '
        || coalesce('Salesforce account ' || crm_account_id, 'no Salesforce account (customer ' || customer_id || ')')
            as where_to_look
    from subscription_deals
),

account_arr as (
    select
        crm_account_id,
        coalesce(crm_account_id, 'customer:' || customer_id) as account_key,
        min(customer_id) as customer_id,
        coalesce(sum(arr_rc) filter (where booking_system = 'crm'), 0) as booked_arr_rc,
        coalesce(sum(arr_rc) filter (where booking_system = 'billing'), 0) as billed_arr_rc,
        count(*) filter (where booking_system = 'crm') as deal_count,
        count(*) filter (where booking_system = 'billing') as billing_count,
        max(booked_date) as last_booked_date,
        to_json(list(
            { 'opportunity_id': booking_id, 'close_date': booked_date, 'arr': arr, 'currency': currency }
            order by booked_date
        ) filter (where booking_system = 'crm'
        )) as deals_json,
        to_json(list({
            'subscription_id': subscription_id, 'date': booked_date, 'arr': arr, 'currency': currency,
            'what': description
        } order by booked_date) filter (where booking_system = 'billing')) as billing_json
    from bookings
    where booked_date <= (select bounds.last_date from bounds)
        and (crm_account_id is not null or customer_id is not null)
    group by all
),

arr_vs_mrr as (
    select
        'crm_arr_vs_billed_mrr' as check_name,
        (select bounds.last_month from bounds) as period,
        account_key as key,
        {{ reporting_currency_literal() }} as unit,
        booked_arr_rc as left_amount,
        billed_arr_rc as right_amount,
        case
            when booked_arr_rc = billed_arr_rc then 'ok'
            when abs(booked_arr_rc - billed_arr_rc)
                <= abs(booked_arr_rc) * {{ recon_decimal_var('recon_arr_tolerance_pct') }} then 'warn'
            when last_booked_date + {{ var('recon_won_not_billing_days') }} > (select bounds.last_date from bounds)
                then 'warn'
            else 'break'
        end as status,
        'stg_crm__opportunities (won)' as left_source,
        'fct_subscription_mrr (contract MRR rises)' as right_source,
        cast(deal_count + billing_count as integer) as evidence_count,
        cast(coalesce(deals_json, to_json([])) as varchar) as left_evidence,
        cast(coalesce(billing_json, to_json([])) as varchar) as right_evidence,
        coalesce('Salesforce account ' || crm_account_id, 'no Salesforce account')
        || coalesce(' and the subscriptions of ' || customer_id, ' (no gateway customer)') as where_to_look
    from account_arr
),

unioned as (
    select * from won_not_billing
    union all
    select * from billing_without_deal
    union all
    select * from arr_vs_mrr
),

final as (
    select
        check_name,
        period,
        key,
        unit,
        cast(left_amount as decimal(38, 6)) as left_amount,
        cast(right_amount as decimal(38, 6)) as right_amount,
        cast(left_amount - right_amount as decimal(38, 6)) as difference,
        case
            when check_name = 'crm_arr_vs_billed_mrr'
                then cast(abs(left_amount) * {{ recon_decimal_var('recon_arr_tolerance_pct') }} as decimal(38, 6))
            else cast(0 as decimal(38, 6))
        end as tolerance,
        status,
        left_source,
        right_source,
        evidence_count,
        left_evidence,
        right_evidence,
        where_to_look
    from unioned
)

select * from final
