{#- Revenue recognition arithmetic (README "Revenue recognition"), exact in integer minor units
    on HUGEINT. -#}

{#- round(numerator ÷ denominator), half away from zero, of two integer expressions; the
    denominator must not be 0. -#}
{% macro round_ratio(numerator, denominator) -%}
    (
        sign({{ numerator }}) * sign({{ denominator }})
        * ((2 * abs({{ numerator }}) + abs({{ denominator }})) // (2 * abs({{ denominator }})))
    )
{%- endmacro %}

{#- What a line recognises by `boundary` (a timestamp: the first instant of the month after the
    one recognised through), gross of reversals: round(net × seconds of the service period
    elapsed by the boundary ÷ seconds of the period), half away from zero; a line without a
    positive period recognises all of it once the boundary is after `recognized_from`. The
    caller makes it 0 for boundaries before the line's invoice's month (billed in arrears:
    caught up in the invoice's month). -#}
{% macro recognized_by_minor(net_minor, service_start, service_end, recognized_from, boundary) -%}
    case
        when coalesce({{ service_end }} > {{ service_start }}, false)
            then {{ round_ratio(
                net_minor ~ ' * cast(greatest(date_diff(\'second\', ' ~ service_start ~ ', least(' ~ service_end
                    ~ ', greatest(' ~ service_start ~ ', ' ~ boundary ~ '))), 0) as hugeint)',
                'cast(date_diff(\'second\', ' ~ service_start ~ ', ' ~ service_end ~ ') as hugeint)'
            ) }}
        when {{ recognized_from }} < {{ boundary }} then {{ net_minor }}
        else cast(0 as hugeint)
    end
{%- endmacro %}
