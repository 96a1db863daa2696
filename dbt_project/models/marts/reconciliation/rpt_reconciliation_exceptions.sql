-- One row per break of rpt_reconciliation, with the rows on both sides as evidence (JSON text:
-- the object itself, or the ids / mismatching objects behind an aggregate) and where to look.
-- Warnings are not exceptions; they stay in rpt_reconciliation.
with

checks as (
    select * from {{ ref('int_recon__checks') }}
),

final as (
    select
        check_name,
        period,
        key,
        difference,
        left_amount,
        right_amount,
        unit,
        tolerance,
        severity,
        left_source,
        right_source,
        evidence_count,
        left_evidence,
        right_evidence,
        where_to_look
    from checks
    where status = 'break'
)

select * from final
