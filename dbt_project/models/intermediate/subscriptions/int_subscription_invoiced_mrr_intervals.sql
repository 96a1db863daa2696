-- MRR rebuilt from invoice lines where no subscription version covers a stretch (DESIGN §5):
-- the days before a subscription's first version (events start later than the subscription,
-- as when Stripe's 30 days of events are all a backfill gets, or the subscription is known
-- only from an export). Per policy set (only mrr_discounts applies: invoices say nothing of
-- cancellation requests or past_due).
--   lines       subscription lines (never proration, usage or one-time) of open or paid
--               invoices (never draft, void or uncollectible), with a licensed recurring price
--               and a service period;
--   line MRR    contract: floor(amount × num × 10^6 / (den × 10^exp)) micro units, the price's
--               interval normalised to a month as for subscription items (contracts §5);
--               mrr: the same on amount − the line's discount amounts the policy counts;
--   stretch     [service start day, service end day), cut at the subscription's first version
--               and at the day it ended; lines covering the same days are summed.
-- So MRR ends where the last paid period ends: churn at the end of the paid period.
with

policy_sets as (
    select
        policy_set,
        mrr_discounts
    from ({{ metric_policy_sets_sql() }}) as policy_set_rows
),

coverage as (
    select
        subscription_id,
        cast(max(ended_at) as date) as ended_date,
        min(valid_from_date) filter (where is_day_effective) as covered_from
    from {{ ref('int_subscription_versions') }}
    group by subscription_id
),

lines as (
    select
        invoice_lines.invoice_line_id,
        invoice_lines.invoice_id,
        invoice_lines.customer_id,
        invoice_lines.subscription_id,
        invoice_lines.currency,
        invoice_lines.amount_minor,
        invoice_lines.discount_amounts_json,
        cast(invoice_lines.service_start_at as date) as service_start_date,
        least(
            cast(invoice_lines.service_end_at as date), coverage.covered_from, coverage.ended_date
        ) as service_end_date,
        {{ month_numerator('invoice_lines.recurring_interval') }} as month_numerator,
        {{ month_denominator('invoice_lines.recurring_interval', 'invoice_lines.recurring_interval_count') }}
            as month_denominator
    from {{ ref('int_invoice_lines') }} as invoice_lines
    left join coverage
        on invoice_lines.subscription_id = coverage.subscription_id
    where
        invoice_lines.line_type = 'subscription'
        and invoice_lines.invoice_status in ('open', 'paid')
        and invoice_lines.price_type = 'recurring'
        and coalesce(invoice_lines.usage_type, 'licensed') = 'licensed'
        and invoice_lines.subscription_id is not null
        and invoice_lines.service_start_at is not null
        and invoice_lines.service_end_at is not null
        and invoice_lines.amount_minor is not null
),

uncovered_lines as (
    select * from lines
    where month_denominator is not null and service_start_date < service_end_date
),

discount_coupons as (
    select
        stg_discounts.discount_id,
        coalesce(
            {{ json_str('stg_discounts.coupon_json', '$.duration') }}, coupons.duration
        ) as duration
    from {{ ref('stg_gateway__discounts') }} as stg_discounts
    left join {{ ref('stg_gateway__coupons') }} as coupons
        on stg_discounts.coupon_id = coupons.coupon_id
),

line_discounts as (
    select
        uncovered_lines.invoice_line_id,
        {{ json_int('discount_elements.discount_json', '$.amount') }} as discount_minor,
        coalesce(
            {{ json_str('discount_elements.discount_json', '$.discount.source.coupon.duration') }},
            {{ json_str('discount_elements.discount_json', '$.discount.coupon.duration') }},
            discount_coupons.duration
        ) as duration
    from uncovered_lines,
        unnest(json_extract(uncovered_lines.discount_amounts_json, '$[*]')) as discount_elements (discount_json)
    left join discount_coupons
        on {{ json_ref_id('discount_elements.discount_json', '$.discount') }} = discount_coupons.discount_id
),

counted_discounts as (
    select
        policy_sets.policy_set,
        line_discounts.invoice_line_id,
        sum(line_discounts.discount_minor) as discount_minor
    from line_discounts
    inner join policy_sets
        on
            policy_sets.mrr_discounts = 'all'
            or (policy_sets.mrr_discounts = 'forever_only' and line_discounts.duration = 'forever')
    group by policy_sets.policy_set, line_discounts.invoice_line_id
),

line_mrr as (
    select
        uncovered_lines.*,
        policy_sets.policy_set,
        (cast(uncovered_lines.amount_minor as hugeint) * uncovered_lines.month_numerator * 1000000)
        // (uncovered_lines.month_denominator * {{ minor_per_major('uncovered_lines.currency') }})
            as contract_mrr_micro,
        (
            greatest(cast(uncovered_lines.amount_minor as hugeint) - coalesce(counted_discounts.discount_minor, 0), 0)
            * uncovered_lines.month_numerator * 1000000
        )
        // (uncovered_lines.month_denominator * {{ minor_per_major('uncovered_lines.currency') }})
            as mrr_micro
    from uncovered_lines
    cross join policy_sets
    left join counted_discounts
        on
            policy_sets.policy_set = counted_discounts.policy_set
            and uncovered_lines.invoice_line_id = counted_discounts.invoice_line_id
),

edges as (
    select
        policy_set,
        subscription_id,
        service_start_date as edge_date
    from line_mrr
    union
    select
        policy_set,
        subscription_id,
        service_end_date as edge_date
    from line_mrr
),

segments as (
    select
        policy_set,
        subscription_id,
        edge_date as valid_from,
        lead(edge_date) over (partition by policy_set, subscription_id order by edge_date) as valid_to
    from edges
),

segment_amounts as (
    select
        segments.policy_set,
        segments.subscription_id,
        segments.valid_from,
        segments.valid_to,
        any_value(line_mrr.customer_id) as customer_id,
        any_value(line_mrr.currency) as currency,
        coalesce(sum(line_mrr.contract_mrr_micro), 0) as contract_mrr_micro,
        coalesce(sum(line_mrr.mrr_micro), 0) as mrr_micro,
        min(line_mrr.invoice_line_id) as source_id
    from segments
    inner join line_mrr
        on
            segments.policy_set = line_mrr.policy_set
            and segments.subscription_id = line_mrr.subscription_id
            and segments.valid_from >= line_mrr.service_start_date
            and segments.valid_from < line_mrr.service_end_date
    where segments.valid_to is not null
    group by segments.policy_set, segments.subscription_id, segments.valid_from, segments.valid_to
),

final as (
    select
        policy_set,
        subscription_id,
        customer_id,
        currency,
        valid_from,
        valid_to,
        contract_mrr_micro,
        mrr_micro,
        source_id,
        subscription_id || ':invoiced:' || cast(valid_from as varchar) as subscription_mrr_interval_id
    from segment_amounts
)

select * from final
