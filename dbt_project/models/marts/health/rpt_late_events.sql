-- Gateway events that arrived late (DESIGN §6): an event delivered after events more than
-- late_event_tolerance_hours newer than it had already been delivered. Delivery order is the
-- order of the landing files' names (DESIGN §2) and of the lines in a file; the gateway's own
-- event stream is in time order, so an event older than what came before it arrived late. Late
-- events still load and count (every model reads an object's latest version by its own time);
-- this says the feed was out of order, so figures for their day changed after they were first
-- published.
with

-- each event's first delivery (stg_gateway__events keeps the first delivery of an id)
events as (
    select
        event_id,
        created_at,
        _file as file_path,
        _line as line_no
    from {{ ref('stg_gateway__events') }}
),

delivered_before as (
    select
        *,
        max(created_at) over (
            order by file_path, line_no rows between unbounded preceding and 1 preceding
        ) as covered_until
    from events
),

final as (
    select
        event_id,
        created_at,
        cast(created_at as date) as business_day,
        file_path,
        line_no,
        covered_until,
        date_diff('hour', created_at, covered_until) as hours_late
    from delivered_before
    where created_at < covered_until - to_hours({{ var('late_event_tolerance_hours') }})
)

select * from final
