-- noqa: disable=LT02,LT05
{#- (Jinja-only file: the SQL linter sees only the whitespace the macros leave behind.) -#}
{#- Metric policies (README "Policies"). Each policy is a dbt var; `policy_diff_against` names
    a second policy set (overrides of the configured one) that rpt_metric_policy_diff compares
    with. The MRR models compute every policy set side by side (column `policy_set`); the marts
    keep `configured`. -#}

{#- The allowed values of each policy; an integer policy accepts a whole number of days. -#}
{% macro metric_policy_domains() -%}
    {{ return({
        'mrr_discounts': ['all', 'forever_only', 'none'],
        'churn_timing': ['ended', 'cancel_requested'],
        'past_due_churn_after_days': 'days or none',
        'reactivation_min_gap_days': 'days',
        'churn_rate_formula': ['chartmogul_b2b', 'all_churned'],
        'reporting_currency': 'ISO 4217 code',
    }) }}
{%- endmacro %}

{#- Fails the compilation with a message (only when dbt compiles: the SQL linter renders these
    macros without dbt's context, where policies are placeholders). -#}
{% macro policy_error(message) -%}
    {%- if exceptions is defined -%}
        {{ exceptions.raise_compiler_error(message) }}
    {%- endif -%}
{%- endmacro %}

{#- Checks one policy value and returns it normalised (upper-case currency, int days). -#}
{% macro metric_policy_value(name, value) -%}
    {%- set domains = metric_policy_domains() -%}
    {%- if name not in domains -%}
        {{ policy_error("unknown metric policy '" ~ name ~ "'; known: " ~ (domains.keys() | list | join(', '))) }}
    {%- endif -%}
    {%- set domain = domains[name] -%}
    {%- if name == 'past_due_churn_after_days' -%}
        {%- if value is none or (value is string and value | lower in ('keep', 'none', '')) -%}
            {{ return(none) }}
        {%- elif value is number and value | int == value and value >= 0 -%}
            {{ return(value | int) }}
        {%- endif -%}
    {%- elif name == 'reactivation_min_gap_days' -%}
        {%- if value is none -%}
            {{ return(0) }}
        {%- elif value is number and value | int == value and value >= 0 -%}
            {{ return(value | int) }}
        {%- endif -%}
    {%- elif name == 'reporting_currency' -%}
        {%- if value is string and value | length == 3 and value.isalpha() -%}
            {{ return(value | upper) }}
        {%- endif -%}
    {%- elif value in domain -%}
        {{ return(value) }}
    {%- endif -%}
    {{ policy_error("metric policy " ~ name ~ " = " ~ value ~ " is not one of: " ~ (domain if domain is string else domain | join(', '))) }}
{%- endmacro %}

{#- The configured policy set, from the vars. -#}
{% macro configured_metric_policies() -%}
    {%- if exceptions is not defined -%}
        {#- rendered by the SQL linter, without dbt: the documented defaults -#}
        {{ return({'mrr_discounts': 'all', 'churn_timing': 'ended', 'past_due_churn_after_days': none,
                   'reactivation_min_gap_days': 0, 'churn_rate_formula': 'chartmogul_b2b',
                   'reporting_currency': 'USD'}) }}
    {%- endif -%}
    {%- set policies = {} -%}
    {%- for name in metric_policy_domains() -%}
        {%- do policies.update({name: metric_policy_value(name, var(name))}) -%}
    {%- endfor -%}
    {{ return(policies) }}
{%- endmacro %}

{#- Every policy set computed: `configured`; and when policy_diff_against changes anything,
    `compared` (configured + all its overrides) and for each override that changes something
    `only:<policy>` (configured with that one policy changed), which attributes the difference. -#}
{% macro metric_policy_sets() -%}
    {%- set configured = configured_metric_policies() -%}
    {%- set overrides = var('policy_diff_against', {}) -%}
    {%- if overrides is not mapping -%}
        {%- set overrides = {} -%}
    {%- endif -%}
    {%- set compared = configured.copy() -%}
    {%- set sets = [{'policy_set': 'configured', 'changed_policy': none, 'policies': configured}] -%}
    {%- set singles = [] -%}
    {%- for name, raw in overrides.items() -%}
        {%- set value = metric_policy_value(name, raw) -%}
        {%- if value != configured[name] -%}
            {%- do compared.update({name: value}) -%}
            {%- set single = configured.copy() -%}
            {%- do single.update({name: value}) -%}
            {%- do singles.append({'policy_set': 'only:' ~ name, 'changed_policy': name, 'policies': single}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if singles -%}
        {%- do sets.append({'policy_set': 'compared', 'changed_policy': 'all', 'policies': compared}) -%}
        {%- do sets.extend(singles) -%}
    {%- endif -%}
    {{ return(sets) }}
{%- endmacro %}

{#- The reporting currencies in use by any policy set (int_fx_rates_daily has rates to each). -#}
{% macro policy_reporting_currencies() -%}
    {%- set currencies = [] -%}
    {%- for policy_set in metric_policy_sets() -%}
        {%- if policy_set.policies.reporting_currency not in currencies -%}
            {%- do currencies.append(policy_set.policies.reporting_currency) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(currencies) }}
{%- endmacro %}

{#- The configured reporting currency as a SQL string literal, e.g. 'USD'. -#}
{% macro reporting_currency_literal() -%}
    '{{ metric_policy_value("reporting_currency", var("reporting_currency")) }}'
{%- endmacro %}

{#- The policy sets as a SELECT (one row each), inlined by every model that computes per set
    so that a dbt unit test sets policies with `overrides: vars:` alone. -#}
{% macro metric_policy_sets_sql() -%}
    {%- set selects = [] -%}
    {%- for s in metric_policy_sets() -%}
        {%- set p = s.policies -%}
        {%- do selects.append(
            "select '" ~ s.policy_set ~ "' as policy_set, "
            ~ ("'" ~ s.changed_policy ~ "'" if s.changed_policy else "cast(null as varchar)") ~ " as changed_policy, "
            ~ "'" ~ p.mrr_discounts ~ "' as mrr_discounts, "
            ~ "'" ~ p.churn_timing ~ "' as churn_timing, "
            ~ "cast(" ~ ("null" if p.past_due_churn_after_days is none else p.past_due_churn_after_days) ~ " as integer)"
            ~ " as past_due_churn_after_days, "
            ~ "cast(" ~ p.reactivation_min_gap_days ~ " as integer) as reactivation_min_gap_days, "
            ~ "'" ~ p.churn_rate_formula ~ "' as churn_rate_formula, "
            ~ "'" ~ p.reporting_currency ~ "' as reporting_currency"
        ) -%}
    {%- endfor -%}
    {{ return(selects | join(' union all ')) }}
{%- endmacro %}
