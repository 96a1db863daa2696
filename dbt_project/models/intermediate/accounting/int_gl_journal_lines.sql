-- Every Xero journal line with its journal's date and the account in the revstack vocabulary.
-- The account's code, name, type and class come from the chart of accounts, else from the line
-- itself (a line carries the account as it was posted). The revstack account, first rule that
-- applies (`mapping_method`):
--   code   accounting_account_map lists the code with the account's own Xero type;
--   type   the fallback account of its Xero type (accounting_account_types);
--   class  a type not in that list falls back by its class (other_assets, other_liabilities,
--          equity, other_revenue, other_expenses);
--   none   'unmapped': kept, so that nothing leaves the trial balance.
-- financial_statement and report_class (P&L line or balance-sheet side) come from the Xero type
-- (else the class), never from the code map: the P&L does not depend on how codes are mapped.
-- `amount` is Xero's net_amount in the organisation's base currency: debit positive, credit
-- negative (every journal nets to 0: assert_gl_journals_net_to_zero).
with

journal_lines as (
    select * from {{ ref('stg_accounting__journal_lines') }}
),

journals as (
    select * from {{ ref('stg_accounting__journals') }}
),

accounts as (
    select * from {{ ref('stg_accounting__accounts') }}
),

account_map as (
    select
        account_code,
        revstack_account,
        upper(xero_account_type) as xero_account_type
    from {{ ref('accounting_account_map') }}
),

account_types as (
    select
        financial_statement,
        report_class,
        revstack_account,
        upper(xero_account_type) as xero_account_type,
        upper(xero_account_class) as xero_account_class
    from {{ ref('accounting_account_types') }}
),

lines_with_account as (
    select
        journal_lines.journal_line_id,
        journal_lines.journal_id,
        journals.journal_number,
        journals.journal_date,
        journals.source_type,
        journals.source_id,
        journals.reference,
        journal_lines.account_id,
        journal_lines.description,
        journal_lines.net_amount as amount,
        journal_lines.tax_amount,
        cast(date_trunc('month', journals.journal_date) as date) as journal_month,
        nullif(trim(coalesce(accounts.account_code, journal_lines.account_code)), '') as account_code,
        coalesce(accounts.account_name, journal_lines.account_name) as account_name,
        upper(coalesce(accounts.account_type, journal_lines.account_type)) as xero_account_type,
        upper(accounts.account_class) as listed_account_class
    from journal_lines
    left join journals
        on journal_lines.journal_id = journals.journal_id
    left join accounts
        on journal_lines.account_id = accounts.account_id
),

classified as (
    select
        lines_with_account.*,
        account_map.revstack_account as code_account,
        account_types.revstack_account as type_account,
        account_types.financial_statement as type_financial_statement,
        account_types.report_class as type_report_class,
        coalesce(lines_with_account.listed_account_class, account_types.xero_account_class) as xero_account_class
    from lines_with_account
    left join account_map
        on
            lines_with_account.account_code = account_map.account_code
            and lines_with_account.xero_account_type = account_map.xero_account_type
    left join account_types
        on lines_with_account.xero_account_type = account_types.xero_account_type
),

mapped as (
    select
        *,
        case
            when code_account is not null then 'code'
            when type_account is not null then 'type'
            when xero_account_class in ('ASSET', 'LIABILITY', 'EQUITY', 'REVENUE', 'EXPENSE') then 'class'
            else 'none'
        end as mapping_method,
        coalesce(
            code_account,
            type_account,
            case xero_account_class
                when 'ASSET' then 'other_assets'
                when 'LIABILITY' then 'other_liabilities'
                when 'EQUITY' then 'equity'
                when 'REVENUE' then 'other_revenue'
                when 'EXPENSE' then 'other_expenses'
            end,
            'unmapped'
        ) as revstack_account,
        coalesce(
            type_financial_statement,
            case
                when xero_account_class in ('ASSET', 'LIABILITY', 'EQUITY') then 'balance_sheet'
                when xero_account_class in ('REVENUE', 'EXPENSE') then 'profit_and_loss'
            end,
            'unclassified'
        ) as financial_statement,
        coalesce(
            type_report_class,
            case xero_account_class
                when 'ASSET' then 'asset'
                when 'LIABILITY' then 'liability'
                when 'EQUITY' then 'equity'
                when 'REVENUE' then 'revenue'
                when 'EXPENSE' then 'expenses'
            end,
            'unclassified'
        ) as report_class,
        case when amount > 0 then amount else cast(0 as decimal(38, 6)) end as debit,
        case when amount < 0 then -amount else cast(0 as decimal(38, 6)) end as credit
    from classified
),

final as (
    select
        journal_line_id,
        journal_id,
        journal_number,
        journal_date,
        journal_month,
        source_type,
        source_id,
        reference,
        account_id,
        account_code,
        account_name,
        xero_account_type,
        xero_account_class,
        revstack_account,
        mapping_method,
        financial_statement,
        report_class,
        description,
        amount,
        debit,
        credit,
        tax_amount
    from mapped
)

select * from final
