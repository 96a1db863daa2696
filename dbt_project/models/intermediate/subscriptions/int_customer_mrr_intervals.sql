-- Customer MRR over time under every metric policy set (contracts §5: customer MRR = Σ over
-- its subscriptions), as day intervals [valid_from, valid_to) cut at every change of any of its
-- subscriptions, with consecutive intervals of equal (mrr, contract_mrr) merged. Zero intervals
-- are kept (trials, after churn) so that movements can be read from consecutive rows;
-- valid_to NULL = open.
-- reactivation_min_gap_days = N > 0: a stretch at zero MRR shorter than N days, between two
-- stretches with MRR, is bridged: the customer is taken never to have left, its MRR carried
-- through the gap at the level before it (no churn, no reactivation; the return is an
-- expansion or contraction if the amount differs). A gap still open at the end of the data is
-- not bridged.
with

subscription_intervals as (
    select * from {{ ref('int_subscription_mrr_intervals') }}
),

policy_sets as (
    select
        policy_set,
        reactivation_min_gap_days
    from ({{ metric_policy_sets_sql() }}) as policy_set_rows
),

customer_currency as (
    select
        customer_id,
        arg_min(currency, valid_from) as currency
    from subscription_intervals
    group by customer_id
),

edges as (
    select
        policy_set,
        customer_id,
        valid_from as edge_date
    from subscription_intervals
    union
    select
        policy_set,
        customer_id,
        valid_to as edge_date
    from subscription_intervals
    where valid_to is not null
),

segments as (
    select
        policy_set,
        customer_id,
        edge_date as valid_from,
        lead(edge_date) over (partition by policy_set, customer_id order by edge_date) as valid_to
    from edges
),

segment_amounts as (
    select
        segments.policy_set,
        segments.customer_id,
        segments.valid_from,
        segments.valid_to,
        coalesce(sum(si.mrr_micro), 0) as mrr_micro,
        coalesce(sum(si.contract_mrr_micro), 0) as contract_mrr_micro,
        min(si.source_id) filter (where si.valid_from = segments.valid_from) as started_source_id
    from segments
    left join subscription_intervals as si
        on
            segments.policy_set = si.policy_set
            and segments.customer_id = si.customer_id
            and segments.valid_from >= si.valid_from
            and (si.valid_to is null or segments.valid_from < si.valid_to)
    group by segments.policy_set, segments.customer_id, segments.valid_from, segments.valid_to
),

ended_sources as (
    select
        policy_set,
        customer_id,
        valid_to as edge_date,
        min(source_id) as ended_source_id
    from subscription_intervals
    where valid_to is not null
    group by policy_set, customer_id, valid_to
),

sourced as (
    select
        segment_amounts.* exclude (segment_amounts.started_source_id),
        coalesce(segment_amounts.started_source_id, ended_sources.ended_source_id) as source_id
    from segment_amounts
    left join ended_sources
        on
            segment_amounts.policy_set = ended_sources.policy_set
            and segment_amounts.customer_id = ended_sources.customer_id
            and segment_amounts.valid_from = ended_sources.edge_date
),

-- zero stretches: a run of consecutive segments at zero MRR, with the amounts around it
zero_runs as (
    select
        *,
        sum(case when mrr_micro = 0 then 0 else 1 end) over (
            partition by policy_set, customer_id order by valid_from rows unbounded preceding
        ) as run_id
    from sourced
),

gaps as (
    select
        zero_runs.*,
        policy_sets.reactivation_min_gap_days,
        min(zero_runs.valid_from) filter (where zero_runs.mrr_micro = 0) over run as gap_from,
        case
            when count(*) filter (where zero_runs.mrr_micro = 0 and zero_runs.valid_to is null) over run = 0
                then max(zero_runs.valid_to) filter (where zero_runs.mrr_micro = 0) over run
        end as gap_to,
        first_value(zero_runs.mrr_micro) over run as mrr_before_micro,
        first_value(zero_runs.contract_mrr_micro) over run as contract_mrr_before_micro
    from zero_runs
    inner join policy_sets
        on zero_runs.policy_set = policy_sets.policy_set
    window run as (partition by zero_runs.policy_set, zero_runs.customer_id, zero_runs.run_id)
),

bridged as (
    select
        policy_set,
        customer_id,
        valid_from,
        valid_to,
        source_id,
        -- the run's first segment has MRR (run_id > 0) and the gap closes within the minimum
        case
            when
                mrr_micro = 0 and run_id > 0 and gap_to is not null
                and gap_to - gap_from < reactivation_min_gap_days
                then mrr_before_micro
            else mrr_micro
        end as mrr_micro,
        case
            when
                mrr_micro = 0 and run_id > 0 and gap_to is not null
                and gap_to - gap_from < reactivation_min_gap_days
                then contract_mrr_before_micro
            else contract_mrr_micro
        end as contract_mrr_micro
    from gaps
),

changes as (
    select
        *,
        case
            when lag(mrr_micro) over w = mrr_micro
                and lag(contract_mrr_micro) over w = contract_mrr_micro
                then 0
            else 1
        end as is_change
    from bridged
    window w as (partition by policy_set, customer_id order by valid_from)
),

islands as (
    select
        *,
        sum(is_change) over (
            partition by policy_set, customer_id order by valid_from rows unbounded preceding
        ) as island
    from changes
),

merged as (
    select
        policy_set,
        customer_id,
        min(valid_from) as valid_from,
        case when count(valid_to) < count(*) then null else max(valid_to) end as valid_to,
        any_value(mrr_micro) as mrr_micro,
        any_value(contract_mrr_micro) as contract_mrr_micro,
        arg_min(source_id, valid_from) as source_id
    from islands
    group by policy_set, customer_id, island
),

final as (
    select
        merged.policy_set,
        merged.customer_id || ':' || cast(merged.valid_from as varchar) as customer_mrr_interval_id,
        merged.customer_id,
        customer_currency.currency,
        merged.valid_from,
        merged.valid_to,
        merged.mrr_micro,
        merged.contract_mrr_micro,
        {{ micro_to_decimal('merged.mrr_micro') }} as mrr,
        {{ micro_to_decimal('merged.contract_mrr_micro') }} as contract_mrr,
        merged.source_id
    from merged
    inner join customer_currency
        on merged.customer_id = customer_currency.customer_id
)

select * from final
