-- noqa: disable=LT02,LT05
{#- Reconciliation helpers (models/intermediate/reconciliation, marts/reconciliation). -#}

{#- Status of a comparison: 'ok' when the two sides agree exactly, 'warn' when they differ by at
    most `tolerance` (absolute), 'break' beyond it. -#}
{% macro recon_status(difference, tolerance) -%}
    case
        when {{ difference }} = 0 then 'ok'
        when abs({{ difference }}) <= {{ tolerance }} then 'warn'
        else 'break'
    end
{%- endmacro %}

{#- A reconciliation var as an exact DECIMAL literal (vars are documented in dbt_project.yml). -#}
{% macro recon_decimal_var(name) -%}
    cast('{{ var(name) }}' as decimal(38, 6))
{%- endmacro %}

{#- The columns every int_recon__* model returns, in order (rpt_reconciliation unions them). -#}
{% macro recon_columns() -%}
    check_name, period, key, unit, left_amount, right_amount, difference, tolerance, status,
    left_source, right_source, evidence_count, left_evidence, right_evidence, where_to_look
{%- endmacro %}
