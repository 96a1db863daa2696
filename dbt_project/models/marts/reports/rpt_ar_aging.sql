-- Accounts receivable aging, one row per month × customer with an open receivable:
-- int_ar_aging as it is (the rules live there).
select * from {{ ref('int_ar_aging') }}
