{#- The live path (orchestration/live_worker.py) maintains the live models incrementally: the
    intermediate models that hold the rules (int_invoices, int_payments) and the marts that
    publish them (fct_invoices, fct_payments). Var `live_batches` lists the raw batches
    (`_batch_id`) the live worker has just loaded; the macros below turn them into the literal
    id lists of the objects to recompute, from the typed versions tables of staging.

    Literal lists, not subqueries: DuckDB pushes `id in ('a', 'b')` through the staging views'
    version windows into the raw scans, so only the named objects' JSON is read; a semi-join on
    a subquery is not pushed and parses every version of every object (1.5-5 s per view at
    10,000 customers instead of 0.05-0.7 s). Any other run of these models (the scheduled
    builds, `revstack build`) recomputes them whole from every source, FX rates included. -#}

{#- True in a live worker's incremental run (var `live_batches` given), which recomputes only
    what the live batches touched. -#}
{% macro is_live_run() -%}
    {{ return(is_incremental() and var('live_batches', none) is not none) }}
{%- endmacro %}

{#- The bookkeeping column of the live intermediate models (int_invoices, int_payments): the dbt
    invocation that last wrote the row. Their marts take, in a live run, the rows of their own
    invocation (`live_rewritten_rows`): what the intermediate model has just recomputed, however
    its scope was found, with no second scope query. The marts leave the column out. -#}
{% macro live_invocation_column() -%}
    '{{ invocation_id }}' as _invocation_id
{%- endmacro %}

{#- In a live mart: the rows its intermediate model rewrote in this dbt invocation. -#}
{% macro live_rewritten_rows() -%}
    _invocation_id = '{{ invocation_id }}'
{%- endmacro %}

{#- Quoted SQL string literals, comma-separated. -#}
{% macro sql_literals(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- `column in (<ids>)`, or `false` when there is none (the scan is then pruned). -#}
{% macro id_filter(column, ids) -%}
    {%- if ids -%}{{ column }} in ({{ sql_literals(ids) }}){%- else -%}false{%- endif -%}
{%- endmacro %}

{#- The distinct non-null values of a query's first column, as a sorted list. -#}
{% macro query_values(sql) -%}
    {%- set values = [] -%}
    {%- for row in run_query(sql).rows -%}
        {%- if row[0] is not none and row[0] not in values -%}{%- do values.append(row[0]) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(values | sort) }}
{%- endmacro %}

{#- Ids of the gateway objects of one type with a version in the live batches: the rows of its
    typed versions table (`stg_gateway__<object>_versions`, which the same beat builds first)
    that came from those batches, from its export table or from events about it. Staging, not
    the raw tables: only staging reads sources (tests/test_layers.py). -#}
{% macro live_gateway_ids(object_type) -%}
    {%- set versions = ref('stg_gateway__' ~ object_type ~ '_versions') -%}
    {%- set batches = var('live_batches', []) -%}
    {%- if not execute or not batches -%}{{ return([]) }}{%- endif -%}
    {{ return(query_values(
        'select ' ~ object_type ~ '_id from ' ~ versions ~ ' where _batch_id in (' ~ sql_literals(batches) ~ ')'
    )) }}
{%- endmacro %}

{#- (invoice_id, charge_id) for every charge an invoice names: dahlia's
    invoice.payments.data[].payment.charge (expanded or id), or the older invoice.charge. -#}
{% macro invoice_charge_links(invoices, where='true') -%}
    select
        invoices.invoice_id,
        {{ json_ref_id('payment.payment_json', '$.payment.charge') }} as charge_id
    from {{ invoices }} as invoices,
        unnest(json_extract(invoices.payments_json, '$[*]')) as payment (payment_json)
    where {{ where }}
    union all
    select
        invoice_id,
        charge_id
    from {{ invoices }}
    where charge_id is not null and {{ where }}
{%- endmacro %}

{#- What an incremental run of int_payments recomputes, from the live batches:
    - charges: new versions; charges a changed invoice names or named before (its payment
      link, which a new version of the invoice may move to another charge); charges whose
      balance transaction, refunds or disputes changed; the charges of changed refunds and
      disputes (their customer and invoice come from the charge);
    - refunds and disputes: new versions, and those of the charges above;
    - invoices: the changed ones, and those already linked to the charges above (the link is
      the smallest invoice id naming the charge, so these suffice);
    - balance transactions: the changed ones, and those of every payment above. -#}
{% macro live_payment_scope(this_relation) -%}
    {%- set charges_rel = ref('stg_gateway__charges') -%}
    {%- set refunds_rel = ref('stg_gateway__refunds') -%}
    {%- set disputes_rel = ref('stg_gateway__disputes') -%}
    {%- set invoices_rel = ref('stg_gateway__invoices') -%}
    {%- set changed = {
        'charges': live_gateway_ids('charge'),
        'refunds': live_gateway_ids('refund'),
        'disputes': live_gateway_ids('dispute'),
        'invoices': live_gateway_ids('invoice'),
        'balance_transactions': live_gateway_ids('balance_transaction'),
    } -%}
    {%- if not execute -%}{{ return(changed) }}{%- endif -%}
    {%- set invoice_charges = query_values(
        'select charge_id from (' ~ invoice_charge_links(invoices_rel, id_filter('invoice_id', changed.invoices)) ~ ')'
    ) -%}
    {%- set own_refunds_and_disputes = changed.refunds + changed.disputes -%}
    {%- set parents = query_values(
        'select charge_id from ' ~ refunds_rel ~ ' where ' ~ id_filter('refund_id', changed.refunds)
        ~ ' union select charge_id from ' ~ disputes_rel ~ ' where ' ~ id_filter('dispute_id', changed.disputes)
    ) -%}
    {#- a changed invoice may no longer name a charge it named before: recompute those too -#}
    {%- set formerly_linked = query_values(
        'select charge_id from ' ~ this_relation ~ ' where ' ~ id_filter('invoice_id', changed.invoices)
    ) -%}
    {%- set touched = (changed.charges + invoice_charges + formerly_linked + parents) | unique | list -%}
    {%- set existing -%}
        select payment_id, kind, charge_id, invoice_id, balance_transaction_id
        from {{ this_relation }}
        where {{ id_filter('balance_transaction_id', changed.balance_transactions) }}
            or {{ id_filter('charge_id', touched) }}
            or {{ id_filter('payment_id', own_refunds_and_disputes) }}
    {%- endset -%}
    {%- set rows = run_query(existing).rows -%}
    {%- set charges = touched + (rows | map(attribute=2) | list) -%}
    {%- set refunds = changed.refunds + (rows | selectattr(1, 'equalto', 'refund') | map(attribute=0) | list) -%}
    {%- set disputes = changed.disputes + (rows | selectattr(1, 'equalto', 'dispute') | map(attribute=0) | list) -%}
    {%- set charges = charges | reject('none') | unique | sort -%}
    {%- set linked = query_values(
        'select invoice_id from ' ~ this_relation ~ ' where ' ~ id_filter('charge_id', charges)
    ) -%}
    {%- set own_bts = query_values(
        'select balance_transaction_id from ' ~ charges_rel ~ ' where ' ~ id_filter('charge_id', charges)
        ~ ' union select balance_transaction_id from ' ~ refunds_rel ~ ' where ' ~ id_filter('refund_id', refunds)
        ~ ' union select balance_transaction_id from ' ~ disputes_rel ~ ' where ' ~ id_filter('dispute_id', disputes)
    ) -%}
    {{ return({
        'charges': charges,
        'refunds': refunds | unique | sort,
        'disputes': disputes | unique | sort,
        'invoices': (changed.invoices + linked) | unique | sort,
        'balance_transactions': (changed.balance_transactions + own_bts) | unique | sort,
    }) }}
{%- endmacro %}
