-- The monthly profit and loss of the general ledger: one row per calendar month × P&L line,
-- every month from the ledger's first through its last (a month without P&L lines shows 0).
-- The lines follow Xero's own layout, by the account's Xero type (int_gl_journal_lines):
--   1 revenue        Σ amount of revenue accounts (REVENUE, SALES)
--   2 direct_costs   Σ amount of DIRECTCOSTS accounts
--   3 gross_profit   −(revenue + direct_costs)
--   4 other_income   Σ amount of OTHERINCOME accounts
--   5 expenses       Σ amount of expense accounts (EXPENSE, OVERHEADS, DEPRECIATN, wages)
--   6 net_profit     gross_profit − other_income − expenses = −Σ amount of every P&L account
-- Sign conventions: the four account lines are ledger amounts, debit positive and credit
-- negative (revenue and other income are normally negative, costs positive); gross_profit and
-- net_profit are results, positive for a profit. Base currency, DECIMAL.
with

journal_lines as (
    select * from {{ ref('int_gl_journal_lines') }}
),

months as (
    select cast(month_start as date) as month
    from (
        select
            min(journal_month) as first_month,
            max(journal_month) as last_month
        from journal_lines
    ) as bounds,
        unnest(generate_series(first_month, last_month, interval 1 month)) as spine (month_start)
),

monthly as (
    select
        months.month,
        coalesce(sum(journal_lines.amount) filter (where journal_lines.report_class = 'revenue'), 0) as revenue,
        coalesce(
            sum(journal_lines.amount) filter (where journal_lines.report_class = 'direct_costs'), 0
        ) as direct_costs,
        coalesce(
            sum(journal_lines.amount) filter (where journal_lines.report_class = 'other_income'), 0
        ) as other_income,
        coalesce(sum(journal_lines.amount) filter (where journal_lines.report_class = 'expenses'), 0) as expenses
    from months
    left join journal_lines
        on
            months.month = journal_lines.journal_month
            and journal_lines.financial_statement = 'profit_and_loss'
    group by months.month
),

lines as (
    select
        month,
        1 as line_order,
        'revenue' as pnl_line,
        revenue as amount
    from monthly
    union all
    select
        month,
        2 as line_order,
        'direct_costs' as pnl_line,
        direct_costs as amount
    from monthly
    union all
    select
        month,
        3 as line_order,
        'gross_profit' as pnl_line,
        -(revenue + direct_costs) as amount
    from monthly
    union all
    select
        month,
        4 as line_order,
        'other_income' as pnl_line,
        other_income as amount
    from monthly
    union all
    select
        month,
        5 as line_order,
        'expenses' as pnl_line,
        expenses as amount
    from monthly
    union all
    select
        month,
        6 as line_order,
        'net_profit' as pnl_line,
        -(revenue + direct_costs) - other_income - expenses as amount
    from monthly
),

final as (
    select
        month,
        pnl_line,
        line_order,
        amount
    from lines
)

select * from final
