-- Bridge identity, exact, every month: start + new + expansion + reactivation
-- − contraction − churned + fx_impact = end MRR, and start = the previous month's end.
with

months as (
    select
        month,
        mrr,
        start_mrr,
        new_mrr,
        expansion_mrr,
        reactivation_mrr,
        contraction_mrr,
        churned_mrr,
        fx_impact_mrr,
        net_new_mrr,
        coalesce(lag(mrr) over (order by month), 0) as previous_end_mrr
    from {{ ref('metrics_monthly') }}
)

select *
from months
where
    start_mrr + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr + fx_impact_mrr != mrr
    or start_mrr != previous_end_mrr
    or net_new_mrr != new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr
