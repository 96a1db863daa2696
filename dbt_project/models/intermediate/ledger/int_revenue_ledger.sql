-- The revenue ledger (DESIGN §4): every money event from the gateway as a balanced double-entry
-- journal entry, one row per posting line. The posting rules live in the int_ledger__* models
-- (one per event family); here each line gets its reporting-currency amount, at the rate of the
-- day its rule names (latest rate on or before it) unless the rule gives it, and every entry
-- whose lines do not sum to zero in the reporting currency gets one more line: the realised FX
-- difference on fx_gain_loss (debit = credit = 0 in the entry's currency). So each entry
-- balances per currency in its own currency and in the reporting currency.
-- entry_id = `<event_type>:<source_id>` (revenue: `revenue_recognized:<invoice_line_id>:<YYYY-MM>`).
-- Published as fct_revenue_ledger.
with

postings as (
    select * from {{ ref('int_ledger__invoices') }}
    union all
    select * from {{ ref('int_ledger__revenue') }}
    union all
    select * from {{ ref('int_ledger__payments') }}
    union all
    select * from {{ ref('int_ledger__refunds') }}
    union all
    select * from {{ ref('int_ledger__disputes') }}
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
),

converted as (
    select
        postings.entry_id,
        postings.line_no,
        postings.occurred_at,
        postings.customer_id,
        postings.account,
        postings.currency,
        postings.amount,
        coalesce(postings.amount_rc, {{ to_rc('postings.amount', 'rates.rate_to_rc') }}) as amount_rc,
        postings.event_type,
        postings.source_system,
        postings.source_id
    from postings
    asof left join rates
        on postings.currency = rates.currency
            and postings.rate_date >= rates.rate_date
),

fx_differences as (
    select
        entry_id,
        cast(max(line_no) + 1 as integer) as line_no,
        min(occurred_at) as occurred_at,
        min(customer_id) as customer_id,
        'fx_gain_loss' as account,  -- noqa: RF04
        min(currency) as currency,
        cast(0 as decimal(38, 6)) as amount,
        cast(-sum(amount_rc) as decimal(38, 6)) as amount_rc,
        min(event_type) as event_type,
        min(source_system) as source_system,
        min(source_id) as source_id
    from converted
    group by entry_id
    having sum(amount_rc) != 0
),

lines as (
    select * from converted
    union all
    select * from fx_differences
),

final as (
    select
        entry_id,
        line_no,
        occurred_at,
        customer_id,
        account,
        case when amount > 0 then amount else cast(0 as decimal(38, 6)) end as debit,
        case when amount < 0 then -amount else cast(0 as decimal(38, 6)) end as credit,
        currency,
        amount_rc,
        {{ reporting_currency_literal() }} as reporting_currency,
        event_type,
        source_system,
        source_id
    from lines
)

select * from final
