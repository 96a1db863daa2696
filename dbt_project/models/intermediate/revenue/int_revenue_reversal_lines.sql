-- A reversal's deferred part (int_revenue_reversals) spread over its invoice's lines, so that
-- recognition stops recognising what was given back. One row per reversal × recognised line of
-- the invoice, in minor units:
--   remaining   = the line's net − what it recognised before the reversal's month (gross)
--   deferred    = the reversal's deferred part × the lines' remaining so far (in line id order)
--                 ÷ the invoice's remaining, rounded half away from zero and differenced, so the
--                 lines sum to the reversal exactly (a line with nothing remaining gets 0)
--   deferred_rc the drop it makes in the line's deferred balance in the reporting currency:
--                 rc(net − reversed before) − rc(net − reversed through this reversal), at the
--                 invoice's rate, reversals in time order, so they telescope exactly to what
--                 fct_revenue_recognition carries; the ledger posts it
-- fct_revenue_recognition then recognises, from the reversal's month on, the line's schedule
-- less deferred × (recognised since the reversal's month ÷ remaining).
with

reversals as (
    select * from {{ ref('int_revenue_reversals') }}
    where deferred_minor != 0
),

lines as (
    select * from {{ ref('int_revenue_lines') }}
    where voided_month is null
),

remaining as (
    select
        reversals.source_id,
        reversals.occurred_at,
        reversals.reversal_month,
        reversals.deferred_minor as reversal_deferred_minor,
        lines.invoice_line_id,
        lines.currency,
        lines.fx_rate,
        lines.net_minor,
        case
            when lines.invoiced_month < reversals.reversal_month
                then {{ recognized_by_minor(
                    'lines.net_minor', 'lines.service_start', 'lines.service_end',
                    'lines.recognized_from', 'reversals.reversal_month'
                ) }}
            else cast(0 as hugeint)
        end as recognized_before_minor
    from reversals
    inner join lines
        on reversals.invoice_id = lines.invoice_id
),

running as (
    select
        *,
        net_minor - recognized_before_minor as remaining_minor,
        sum(net_minor - recognized_before_minor) over reversal_lines as remaining_through_minor,
        sum(net_minor - recognized_before_minor) over (partition by source_id) as invoice_remaining_minor
    from remaining
    window reversal_lines as (
        partition by source_id order by invoice_line_id rows between unbounded preceding and current row
    )
),

allocated as (
    select
        *,
        case
            when invoice_remaining_minor = 0 then cast(0 as hugeint)
            else
                {{ round_ratio('reversal_deferred_minor * remaining_through_minor', 'invoice_remaining_minor') }}
                - {{ round_ratio(
                    'reversal_deferred_minor * (remaining_through_minor - remaining_minor)', 'invoice_remaining_minor'
                ) }}
        end as deferred_minor
    from running
),

reversed_before as (
    select
        *,
        coalesce(
            sum(deferred_minor) over (
                partition by invoice_line_id order by occurred_at, source_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as reversed_before_minor
    from allocated
),

final as (
    select
        source_id,
        invoice_line_id,
        occurred_at,
        reversal_month,
        currency,
        net_minor,
        recognized_before_minor,
        remaining_minor,
        deferred_minor,
        {{ to_rc(to_major('net_minor - reversed_before_minor', 'currency'), 'fx_rate') }}
        - {{ to_rc(to_major('net_minor - reversed_before_minor - deferred_minor', 'currency'), 'fx_rate') }}
            as deferred_rc
    from reversed_before
)

select * from final
