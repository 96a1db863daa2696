{#- Text parsing for CSV-sourced raw tables (all VARCHAR). -#}

{#- Timestamps as written by Salesforce/Xero connectors ('2021-01-31 19:13:19.638 UTC'). -#}
{% macro parse_ts(col) -%}
    try_cast(replace(replace({{ col }}, ' UTC', ''), 'Z', '') as timestamp)
{%- endmacro %}

{% macro parse_bool(col) -%}
    try_cast(lower({{ col }}) as boolean)
{%- endmacro %}

{% macro parse_decimal(col) -%}
    try_cast({{ col }} as decimal(38, 6))
{%- endmacro %}

{#- Company names compared across systems: lower case, punctuation and legal suffixes dropped. -#}
{% macro normalize_name(col) -%}
    nullif(trim(regexp_replace(
        regexp_replace(
            regexp_replace(lower(coalesce({{ col }}, '')), '[^a-z0-9 ]', ' ', 'g'),
            '\b(inc|incorporated|llc|ltd|limited|gmbh|corp|corporation|co|company|plc|sa|ag|bv|kk|sarl|srl|oy|ab|pty)\b', ' ', 'g'
        ),
        '\s+', ' ', 'g'
    )), '')
{%- endmacro %}

{#- A column that a raw table may not have yet (CSV layouts drift): the column if the relation
    has it, else a typed NULL. Only used for the columns contracts §2 names beyond the
    fixture headers and for the optional version timestamps. -#}
{% macro optional_column(relation, column_name, data_type='varchar') -%}
    {%- set ns = namespace(found=false) -%}
    {%- if execute -%}
        {%- for col in adapter.get_columns_in_relation(relation) -%}
            {%- if col.name | lower == column_name | lower -%}{%- set ns.found = true -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if ns.found -%}cast({{ adapter.quote(column_name) }} as {{ data_type }}){%- else -%}cast(null as {{ data_type }}){%- endif -%}
{%- endmacro %}
