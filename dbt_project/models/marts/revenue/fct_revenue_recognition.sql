-- Revenue recognition, one row per invoice line × month: int_revenue_recognition as it is
-- (the rules live there).
select * from {{ ref('int_revenue_recognition') }}
