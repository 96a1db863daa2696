-- MRR per subscription as an interval table under the configured metric policies:
-- int_subscription_mrr as it is (the rules live there).
select * from {{ ref('int_subscription_mrr') }}
