{#- JSON helpers for Stripe objects (both API shapes). Paths are JSONPath strings. -#}

{% macro json_str(json_col, path) -%}
    ({{ json_col }} ->> '{{ path }}')
{%- endmacro %}

{% macro json_int(json_col, path) -%}
    try_cast({{ json_col }} ->> '{{ path }}' as bigint)
{%- endmacro %}

{% macro json_bool(json_col, path) -%}
    try_cast({{ json_col }} ->> '{{ path }}' as boolean)
{%- endmacro %}

{#- Stripe epoch seconds to a naive UTC TIMESTAMP. -#}
{% macro epoch_to_ts(epoch_expr) -%}
    make_timestamp(cast({{ epoch_expr }} as bigint) * 1000000)
{%- endmacro %}

{% macro json_ts(json_col, path) -%}
    {{ epoch_to_ts(json_int(json_col, path)) }}
{%- endmacro %}

{#- A nested Stripe object that may arrive expanded (an object with `id`) or as its id. -#}
{% macro json_ref_id(json_col, path) -%}
    (case
        when json_type({{ json_col }}, '{{ path }}') = 'OBJECT' then {{ json_col }} ->> '{{ path }}.id'
        else {{ json_col }} ->> '{{ path }}'
    end)
{%- endmacro %}

{#- The expanded object at a path, or NULL when it arrived as an id. -#}
{% macro json_expanded(json_col, path) -%}
    (case when json_type({{ json_col }}, '{{ path }}') = 'OBJECT' then {{ json_col }} -> '{{ path }}' end)
{%- endmacro %}

{#- Sum of `amount` over a JSON array of objects at `path` (NULL array → 0). -#}
{% macro json_sum_amounts(json_col, path, field='amount') -%}
    coalesce(list_sum(list_transform(
        coalesce(json_extract({{ json_col }}, '{{ path }}[*].{{ field }}'), []),
        lambda x: try_cast(x as bigint)
    )), 0)
{%- endmacro %}
