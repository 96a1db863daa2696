-- Each customer's MRR intervals tile time: no gap, no overlap, one open interval at the end.
with

ordered as (
    select
        customer_id,
        valid_from,
        valid_to,
        lead(valid_from) over (partition by customer_id order by valid_from) as next_valid_from
    from {{ ref('fct_mrr') }}
)

select *
from ordered
where
    (next_valid_from is not null and valid_to is distinct from next_valid_from)
    or (next_valid_from is null and valid_to is not null)
    or valid_to <= valid_from
