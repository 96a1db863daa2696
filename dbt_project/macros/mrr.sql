{#- A recurring price's interval normalised to a month as an exact fraction num / den
    (contracts §5): month 1/count, year 1/(12·count), week 52/(12·count), day 365/(12·count).
    NULL for an unknown interval (the price then has no MRR). -#}
{% macro month_numerator(interval_col) -%}
    case {{ interval_col }} when 'month' then 1 when 'year' then 1 when 'week' then 52 when 'day' then 365 end
{%- endmacro %}

{% macro month_denominator(interval_col, interval_count_col) -%}
    case {{ interval_col }} when 'month' then 1 when 'year' then 12 when 'week' then 12 when 'day' then 12 end
    * {{ interval_count_col }}
{%- endmacro %}
