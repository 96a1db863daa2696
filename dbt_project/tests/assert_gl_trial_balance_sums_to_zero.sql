-- In every month the trial balance balances: Σ closing balances over all accounts is 0, and so
-- are the month's Σ net and Σ debit − Σ credit.

select
    month,
    sum(closing_balance) as closing_balance,
    sum(net) as net,
    sum(debit) - sum(credit) as debit_minus_credit
from {{ ref('rpt_gl_trial_balance') }}
group by month
having sum(closing_balance) != 0 or sum(net) != 0 or sum(debit) != sum(credit)
