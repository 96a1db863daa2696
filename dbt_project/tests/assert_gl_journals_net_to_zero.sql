-- Double entry: the lines of every Xero journal net to 0 (debits = credits). Blocking: a
-- journal that does not balance means lines were lost or double loaded, and every GL report
-- built on it would be wrong.

select
    journal_id,
    count(*) as journal_lines,
    sum(amount) as net_amount
from {{ ref('int_gl_journal_lines') }}
group by journal_id
having sum(amount) != 0 or count(amount) != count(*)
