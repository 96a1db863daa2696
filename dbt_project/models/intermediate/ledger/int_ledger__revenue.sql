-- Ledger postings of revenue recognition: one entry per invoice line × month with revenue,
-- straight from int_revenue_recognition's columns (amounts and *_rc as it computes them).
--   revenue_recognized   Dr deferred_revenue  recognized
--                        Cr revenue_account   recognized (revenue_subscription | _usage | _one_time)
-- Dated the last day of the month.
with

recognition as (
    select
        invoice_line_id,
        customer_id,
        currency,
        month,
        recognized,
        recognized_rc,
        revenue_account
    from {{ ref('int_revenue_recognition') }}
    where recognized != 0
),

revenue_recognized as (
    select
        'revenue_recognized:' || invoice_line_id || ':' || strftime(month, '%Y-%m') as entry_id,
        cast(last_day(month) as timestamp) as occurred_at,
        customer_id,
        currency,
        'revenue_recognized' as event_type,
        invoice_line_id as source_id,
        [
            {{ debit(1, 'deferred_revenue', 'recognized', 'null', 'recognized_rc') }},
            {
                'line_order': 2,
                'account': revenue_account,
                'amount': cast(-recognized as decimal(38, 6)),
                'rate_date': cast(null as date),
                'amount_rc': cast(-recognized_rc as decimal(38, 6))
            }
        ] as posting_lines
    from recognition
)

{{ ledger_lines(['revenue_recognized']) }}
