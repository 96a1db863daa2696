-- The revenue ledger, one row per posting line of a balanced journal entry:
-- int_revenue_ledger as it is (the posting rules live there and in the int_ledger__* models).
select * from {{ ref('int_revenue_ledger') }}
