-- The general ledger's trial balance: one row per Xero account × calendar month, from the
-- account's first month with a journal line through the ledger's last month (months without a
-- line carry the balance on). Amounts in the organisation's base currency, debit positive:
--   debit, credit     Σ of the month's debit lines and credit lines (both ≥ 0);
--   net               debit − credit;
--   opening_balance   Σ net of every earlier month; closing_balance = opening_balance + net.
-- Balances run from the ledger's first journal with no year-end close (P&L accounts are not
-- rolled into retained earnings), so for every month Σ closing_balance over the accounts is 0
-- (assert_gl_trial_balance_sums_to_zero), as are Σ net and Σ debit − Σ credit.
with

journal_lines as (
    select * from {{ ref('int_gl_journal_lines') }}
),

gl_accounts as (
    -- one row per account; the chart's fields are the same on every line of an account
    select
        account_id,
        any_value(account_code) as account_code,
        any_value(account_name) as account_name,
        any_value(xero_account_type) as xero_account_type,
        any_value(xero_account_class) as xero_account_class,
        any_value(revstack_account) as revstack_account,
        any_value(mapping_method) as mapping_method,
        any_value(financial_statement) as financial_statement,
        any_value(report_class) as report_class,
        min(journal_month) as first_month
    from journal_lines
    group by account_id
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

account_months as (
    select
        gl_accounts.*,
        months.month
    from gl_accounts
    inner join months
        on gl_accounts.first_month <= months.month
),

monthly as (
    select
        account_id,
        journal_month as month,
        sum(debit) as debit,
        sum(credit) as credit,
        sum(amount) as net
    from journal_lines
    group by account_id, journal_month
),

final as (
    select
        account_months.account_id,
        account_months.month,
        account_months.account_code,
        account_months.account_name,
        account_months.xero_account_type,
        account_months.xero_account_class,
        account_months.revstack_account,
        account_months.mapping_method,
        account_months.financial_statement,
        account_months.report_class,
        coalesce(monthly.debit, 0) as debit,
        coalesce(monthly.credit, 0) as credit,
        coalesce(monthly.net, 0) as net,
        coalesce(sum(monthly.net) over (
            partition by account_months.account_id
            order by account_months.month
            rows between unbounded preceding and 1 preceding
        ), 0) as opening_balance,
        coalesce(sum(monthly.net) over (
            partition by account_months.account_id
            order by account_months.month
            rows between unbounded preceding and current row
        ), 0) as closing_balance
    from account_months
    left join monthly
        on
            account_months.account_id = monthly.account_id
            and account_months.month = monthly.month
)

select * from final
