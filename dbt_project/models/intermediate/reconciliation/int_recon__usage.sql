-- usage_recorded_vs_billed, per gateway customer × month (quantities, all meters together).
--   billed:   the usage lines (int_invoice_lines.line_type = 'usage') of every finalised invoice
--             (void included: the usage was invoiced; voiding it is a receivables decision),
--             in the month the invoice was finalised; their quantity.
--   recorded: the usage events (stg_usage__events, one per CloudEvent) of the customer whose
--             time falls in the service period [service_start, service_end) of one of those
--             lines, in that line's month; plus the events in no billed period, in the month
--             they occurred, once they are older than var recon_usage_unbilled_grace_days before
--             the data's last day (the open period is billed at its end: not a break yet).
-- left = recorded, right = billed, difference = recorded − billed; 'ok' when equal, 'warn'
-- within var recon_usage_tolerance units, else 'break'.
with

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

invoices as (
    select
        invoice_id,
        finalized_at
    from {{ ref('int_invoices') }}
    where finalized_at is not null
),

usage_lines as (
    select
        invoice_lines.invoice_line_id,
        invoice_lines.invoice_id,
        invoice_lines.customer_id,
        invoice_lines.quantity,
        invoice_lines.service_start_at,
        invoice_lines.service_end_at,
        cast(date_trunc('month', invoices.finalized_at) as date) as period
    from {{ ref('int_invoice_lines') }} as invoice_lines
    inner join invoices
        on invoice_lines.invoice_id = invoices.invoice_id
    where invoice_lines.line_type = 'usage'
),

events as (
    select
        usage_event_id,
        customer_id,
        occurred_at,
        quantity
    from {{ ref('stg_usage__events') }}
),

events_billed as (
    select
        events.usage_event_id,
        events.quantity,
        usage_lines.customer_id,
        usage_lines.period,
        usage_lines.invoice_line_id
    from events
    inner join usage_lines
        on events.customer_id = usage_lines.customer_id
            and events.occurred_at >= usage_lines.service_start_at
            and events.occurred_at < usage_lines.service_end_at
),

events_unbilled as (
    select
        events.customer_id,
        cast(date_trunc('month', events.occurred_at) as date) as period,
        events.quantity
    from events
    anti join events_billed
        on events.usage_event_id = events_billed.usage_event_id
    where cast(events.occurred_at as date)
        < (select bounds.last_date from bounds) - {{ var('recon_usage_unbilled_grace_days') }}
),

recorded as (
    select
        customer_id,
        period,
        sum(quantity) as quantity,
        count(*) as event_count,
        count(*) filter (where invoice_line_id is null) as unbilled_event_count
    from (
        select
            customer_id,
            period,
            quantity,
            invoice_line_id
        from events_billed
        union all
        select
            customer_id,
            period,
            quantity,
            null as invoice_line_id
        from events_unbilled
    ) as all_events
    group by all
),

billed as (
    select
        customer_id,
        period,
        sum(quantity) as quantity,
        to_json(list({
            'invoice_line_id': invoice_line_id, 'invoice_id': invoice_id, 'quantity': quantity,
            'service_start': service_start_at, 'service_end': service_end_at
        } order by service_start_at, invoice_line_id)) as lines_json
    from usage_lines
    group by all
),

compared as (
    select
        billed.lines_json,
        coalesce(recorded.customer_id, billed.customer_id) as customer_id,
        coalesce(recorded.period, billed.period) as period,
        coalesce(recorded.quantity, 0) as recorded_quantity,
        coalesce(billed.quantity, 0) as billed_quantity,
        coalesce(recorded.event_count, 0) as event_count,
        coalesce(recorded.unbilled_event_count, 0) as unbilled_event_count
    from recorded
    full outer join billed
        on recorded.customer_id = billed.customer_id
            and recorded.period = billed.period
),

final as (
    select
        'usage_recorded_vs_billed' as check_name,
        period,
        customer_id as key,
        'quantity' as unit,
        cast(recorded_quantity as decimal(38, 6)) as left_amount,
        cast(billed_quantity as decimal(38, 6)) as right_amount,
        cast(recorded_quantity - billed_quantity as decimal(38, 6)) as difference,
        {{ recon_decimal_var('recon_usage_tolerance') }} as tolerance,
        {{ recon_status('recorded_quantity - billed_quantity', recon_decimal_var('recon_usage_tolerance')) }} as status,
        'stg_usage__events' as left_source,
        'int_invoice_lines (usage)' as right_source,
        cast(event_count as integer) as evidence_count,
        cast(to_json({
            'customer_id': customer_id, 'events': event_count, 'events_in_no_billed_period': unbilled_event_count,
            'quantity': recorded_quantity
        }) as varchar) as left_evidence,
        cast(coalesce(lines_json, to_json([])) as varchar) as right_evidence,
        'usage events of ' || customer_id || ' (stg_usage__events) and its usage invoice lines of '
        || strftime(period, '%Y-%m') as where_to_look
    from compared
)

select * from final
