-- MRR per subscription as an interval table under the configured metric policies: the
-- subscriptions under each customer's fct_mrr row, [valid_from, valid_to) exclusive, NULL while
-- current; cut where the subscription's version, a discount or a policy limit changes it.
-- `mrr_origin` says where it came from (a subscription version, or its invoice lines before its
-- first version). `items` lists the subscription items of the version in force with their
-- contract MRR (discounts apply to the subscription as a whole, so only `mrr` is after them);
-- NULL on rows rebuilt from invoice lines. *_rc at the rate of valid_from.
-- Published as fct_subscription_mrr.
with

intervals as (
    select * from {{ ref('int_subscription_mrr_intervals') }}
    where policy_set = 'configured'
),

items as (
    select
        subscription_version_id,
        list(
            {
                'subscription_item_id': subscription_item_id,
                'price_id': price_id,
                'quantity': quantity,
                'contract_mrr': item_mrr
            }
            order by item_position
        ) as items
    from {{ ref('int_subscription_items_mrr') }}
    where is_mrr_item
    group by subscription_version_id
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
),

final as (
    select
        intervals.subscription_mrr_interval_id,
        intervals.subscription_id,
        intervals.customer_id,
        intervals.valid_from,
        intervals.valid_to,
        intervals.currency,
        intervals.status,
        intervals.mrr_origin,
        intervals.contract_mrr,
        intervals.mrr,
        rates.rate_to_rc as fx_rate,
        {{ reporting_currency_literal() }} as reporting_currency,
        {{ to_rc('intervals.contract_mrr', 'rates.rate_to_rc') }} as contract_mrr_rc,
        {{ to_rc('intervals.mrr', 'rates.rate_to_rc') }} as mrr_rc,
        items.items,
        intervals.source_id,
        intervals.valid_to is null as is_current
    from intervals
    left join items
        on intervals.subscription_version_id = items.subscription_version_id
    left join rates
        on
            intervals.currency = rates.currency
            and intervals.valid_from = rates.rate_date
)

select * from final
