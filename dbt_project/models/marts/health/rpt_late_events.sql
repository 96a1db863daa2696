-- Gateway events that arrived late (DESIGN §6): an event delivered after events more than
-- late_event_tolerance_hours newer than it had already been delivered. Delivery order is the
-- order of the landing files' names (DESIGN §2) and of the lines in a file; the gateway's own
-- event stream is in time order, so an event older than what came before it arrived late. Late
-- events still load and count (every model reads an object's latest version by its own time);
-- this says the feed was out of order, so figures for their day changed after they were first
-- published.
with

events as (
    select
        id as event_id,
        created as created_at,
        _file as file_path,
        _line as line_no
    from {{ source('raw_gateway', 'events') }}
    qualify row_number() over (partition by id order by _batch_id, _line) = 1
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
