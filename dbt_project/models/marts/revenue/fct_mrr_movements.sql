-- MRR movements per unified customer under the configured metric policies: one row per day a
-- customer's MRR changed, typed new / expansion / contraction / churn / reactivation by the
-- decision table in int_mrr_movements; mrr_delta_rc at the rate of the movement's own day.
select * exclude (policy_set)
from {{ ref('int_mrr_movements') }}
where policy_set = 'configured'
