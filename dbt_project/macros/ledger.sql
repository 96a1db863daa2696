-- noqa: disable=LT02
{#- Ledger posting helpers (models/intermediate/ledger). A posting rule is one CTE with one row
    per journal entry and a `posting_lines` list built from debit() / credit(); ledger_lines() unnests
    the rules into posting lines: `amount` signed (+ debit, − credit) in the entry's currency,
    `rate_date` the day whose rate converts it (NULL when the rule gives `amount_rc` itself),
    lines of amount 0 dropped, line_no numbered in rule order. -#}

{% macro ledger_line(line_order, account, amount, rate_date, amount_rc=none) -%}
    {
        'line_order': {{ line_order }},
        'account': '{{ account }}',
        'amount': cast({{ amount }} as decimal(38, 6)),
        'rate_date': cast({{ rate_date }} as date),
        'amount_rc': cast({{ amount_rc if amount_rc is not none else 'null' }} as decimal(38, 6))
    }
{%- endmacro %}

{#- A debit of `amount` (a negative amount becomes a credit), converted at `rate_date`'s rate. -#}
{% macro debit(line_order, account, amount, rate_date, amount_rc=none) -%}
    {{ ledger_line(line_order, account, amount, rate_date, amount_rc) }}
{%- endmacro %}

{#- A credit of `amount` (a negative amount becomes a debit). -#}
{% macro credit(line_order, account, amount, rate_date, amount_rc=none) -%}
    {{ ledger_line(
        line_order, account, '-(' ~ amount ~ ')', rate_date,
        ('-(' ~ amount_rc ~ ')') if amount_rc is not none else none
    ) }}
{%- endmacro %}

{#- The posting lines of the given rule CTEs (each: entry_id, occurred_at, customer_id,
    currency, event_type, source_id, posting_lines). -#}
{% macro ledger_lines(rules) -%}
    select
        entry_id,
        cast(row_number() over (partition by entry_id order by line.line_order) as integer) as line_no,
        occurred_at,
        customer_id,
        line.account as account,
        currency,
        line.amount as amount,
        line.rate_date as rate_date,
        line.amount_rc as amount_rc,
        event_type,
        'gateway' as source_system,
        source_id
    from (
        {%- for rule in rules %}
            select
                entry_id,
                occurred_at,
                customer_id,
                currency,
                event_type,
                source_id,
                unnest(posting_lines) as line
            from {{ rule }}
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    ) as entries
    where line.amount != 0
{%- endmacro %}
