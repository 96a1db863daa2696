-- Cross-system reconciliation (DESIGN §4, §6): one row per check × period × key, the contract
-- columns first, then unit, tolerance, severity, sources and the count of evidence rows. Each
-- check is an int_recon__* model whose header comment is its exact definition (README
-- "Reconciliation"). status: 'ok' (the two sides agree), 'warn' (they differ within the check's
-- tolerance or grace window: not a break yet), 'break'. The rows behind each break are in
-- rpt_reconciliation_exceptions.
with

checks as (
    select * from {{ ref('int_recon__checks') }}
),

final as (
    select
        check_name,
        period,
        key,
        left_amount,
        right_amount,
        difference,
        status,
        unit,
        tolerance,
        severity,
        left_source,
        right_source,
        evidence_count
    from checks
)

select * from final
