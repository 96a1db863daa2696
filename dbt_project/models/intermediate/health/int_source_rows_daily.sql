-- Rows per source and business day (the time each row says it happened, never its load time):
-- the series that rpt_source_volume_daily and rpt_source_freshness judge.
{%- set series = [
    ('gateway', 'stg_gateway__events', 'created_at'),
    ('usage', 'stg_usage__events', 'occurred_at'),
    ('accounting', 'stg_accounting__journals', 'created_at'),
    ('crm', 'stg_crm__opportunities', 'created_at'),
] %}
{%- for source_name, model, happened_at in series %}
    select
        '{{ source_name }}' as source_name,
        cast({{ happened_at }} as date) as business_day,
        count(*) as row_count
    from {{ ref(model) }}
    group by all
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
