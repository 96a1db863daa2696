-- Gateway vs general ledger (Xero), per month × gateway currency, in the GL's base currency
-- (= the reporting currency; USD for the simulated company). The gateway side is the revenue
-- ledger (fct_revenue_ledger); each of its lines is converted at the rate of its entry's own day
-- (occurred_at, latest ECB rate on or before it) and rounded to cents, as a gateway-to-GL sync
-- posts it, so the realised FX that the ledger carries at invoice rates is not compared. The GL
-- side is int_gl_journal_lines in the revstack account vocabulary; a GL line's currency is the
-- currency of the gateway object its journal references (journal `reference` or `source_id` =
-- the Stripe id, or the Stripe id in the `reference` of the Xero invoice that is its source),
-- '(unknown)' when it references none.
--   gateway_vs_gl_cash     key <ccy>/payouts: payouts arrived (ledger `bank`, through the data's
--                          last day) vs GL bank lines of journals that also move the Stripe
--                          clearing account (gateway_balance);
--                          key <ccy>/receipts: payments captured (ledger payment_captured credit
--                          to accounts_receivable) vs GL receivable credits of journals that
--                          debit the clearing account.
--   gateway_vs_gl_revenue  var recon_gl_revenue_basis = 'invoiced' (default; the GL books revenue
--                          when it invoices, as the simulated Xero does): revenue invoiced net of
--                          voids, i.e. of the ledger's invoice_finalized / invoice_voided entries
--                          the amount owed (accounts_receivable + customer_balance) less tax
--                          (tax_payable), each line converted and rounded, so that its cents
--                          agree with the GL's (the entry's deferred_revenue line itself, rounded
--                          on its own, can differ by a cent from total − tax);
--                          'recognized' (a GL that defers): the ledger's revenue_recognized
--                          lines at their own amount_rc. vs GL revenue_subscription + revenue_usage
--                          + revenue_one_time, credit positive.
--   gateway_vs_gl_tax      tax invoiced net of voids (ledger tax_payable of invoice entries) vs
--                          GL tax_payable, credit positive.
--   gateway_vs_gl_fees     processing fees (ledger processing_fees) vs GL processing_fees.
-- The GL is judged only as far as it has synced: gateway lines after the GL's latest journal
-- day (live traffic the bookkeeping sync has not reached yet) are not compared. A GL that stops
-- syncing altogether is rpt_source_freshness's to report (accounting lags the data).
-- difference = gateway − GL; 'ok' when equal, 'warn' within var recon_amount_tolerance_rc,
-- 'break' beyond. Evidence: the objects (invoice, charge, balance transaction, payout ids) whose
-- two sides differ within the month, up to 25 each side.
{% set revenue_basis = var('recon_gl_revenue_basis') %}
{% if revenue_basis not in ['invoiced', 'recognized'] %}
    {{ policy_error("recon_gl_revenue_basis must be 'invoiced' or 'recognized', not '" ~ revenue_basis ~ "'") }}
{% endif %}
with

bounds as (
    select last_date from {{ ref('int_data_bounds') }}
),

gl_sync as (
    select max(journal_date) as synced_through from {{ ref('int_gl_journal_lines') }}
),

rates as (
    select
        currency,
        rate_date,
        rate_to_rc
    from {{ ref('int_fx_rates_rc') }}
),

-- every gateway object a GL journal may reference, with its currency
gateway_objects as (
    select
        invoice_id as object_id,
        currency
    from {{ ref('int_invoices') }}
    union all
    select
        payment_id as object_id,
        currency
    from {{ ref('int_payments') }}
    union all
    select
        balance_transaction_id as object_id,
        currency
    from {{ ref('stg_gateway__balance_transactions') }}
    union all
    select
        payout_id as object_id,
        currency
    from {{ ref('stg_gateway__payouts') }}
    union all
    select
        application_fee_id as object_id,
        currency
    from {{ ref('stg_gateway__application_fees') }}
    union all
    select
        transfer_id as object_id,
        currency
    from {{ ref('stg_gateway__transfers') }}
),

ledger as (
    select
        ledger.*,
        cast(ledger.occurred_at as date) as occurred_date,
        ledger.debit - ledger.credit as amount
    from {{ ref('int_revenue_ledger') }} as ledger
),

ledger_converted as (
    select
        ledger.*,
        cast(round(ledger.amount * rates.rate_to_rc, 2) as decimal(38, 6)) as amount_gl
    from ledger
    asof left join rates
        on ledger.currency = rates.currency
            and ledger.occurred_date >= rates.rate_date
),

gateway_side as (
    select
        'gateway_vs_gl_cash' as check_name,
        currency || '/payouts' as key,
        occurred_date,
        source_id as object_id,
        amount_gl as amount
    from ledger_converted
    where account = 'bank' and event_type = 'payout'
        and occurred_date <= (select bounds.last_date from bounds)
    union all
    select
        'gateway_vs_gl_cash' as check_name,
        currency || '/receipts' as key,
        occurred_date,
        source_id as object_id,
        -amount_gl as amount
    from ledger_converted
    where account = 'accounts_receivable' and event_type = 'payment_captured'
    union all
    {%- if revenue_basis == 'invoiced' %}
        -- revenue = what the customer owes less tax, each converted and rounded on its own
        -- (how a sync derives the revenue line), so rounding never splits the two checks
        select
            'gateway_vs_gl_revenue' as check_name,
            currency as key,
            occurred_date,
            source_id as object_id,
            amount_gl as amount
        from ledger_converted
        where account in ('accounts_receivable', 'customer_balance', 'tax_payable')
            and event_type in ('invoice_finalized', 'invoice_voided')
    {%- else %}
        select
            'gateway_vs_gl_revenue' as check_name,
            currency as key,
            occurred_date,
            source_id as object_id,
            -amount_rc as amount
        from ledger_converted
        where account in ('revenue_subscription', 'revenue_usage', 'revenue_one_time')
            and event_type = 'revenue_recognized'
    {%- endif %}
    union all
    select
        'gateway_vs_gl_tax' as check_name,
        currency as key,
        occurred_date,
        source_id as object_id,
        -amount_gl as amount
    from ledger_converted
    where account = 'tax_payable' and event_type in ('invoice_finalized', 'invoice_voided')
    union all
    select
        'gateway_vs_gl_fees' as check_name,
        currency as key,
        occurred_date,
        source_id as object_id,
        amount_gl as amount
    from ledger_converted
    where account = 'processing_fees'
),

object_currencies as (
    select distinct
        object_id,
        currency
    from gateway_objects
),

xero_invoices as (
    select
        invoice_id,
        nullif(reference, '') as reference
    from {{ ref('stg_accounting__invoices') }}
),

-- the gateway object a journal line is about: its journal's reference, else its source_id, else
-- (an ACCREC journal, whose source is the Xero invoice) that invoice's reference
gl_lines as (
    select
        journal_lines.*,
        coalesce(
            by_reference.object_id, by_source.object_id, by_invoice.object_id,
            nullif(journal_lines.reference, ''), nullif(journal_lines.source_id, '')
        ) as object_id,
        coalesce(by_reference.currency, by_source.currency, by_invoice.currency, '(unknown)') as currency,
        bool_or(journal_lines.revstack_account = 'gateway_balance' and journal_lines.amount > 0)
            over (partition by journal_lines.journal_id) as debits_clearing,
        bool_or(journal_lines.revstack_account = 'gateway_balance')
            over (partition by journal_lines.journal_id) as moves_clearing
    from {{ ref('int_gl_journal_lines') }} as journal_lines
    left join object_currencies as by_reference
        on journal_lines.reference = by_reference.object_id
    left join object_currencies as by_source
        on journal_lines.source_id = by_source.object_id
    left join xero_invoices
        on journal_lines.source_id = xero_invoices.invoice_id
    left join object_currencies as by_invoice
        on xero_invoices.reference = by_invoice.object_id
),

gl_side as (
    select
        'gateway_vs_gl_cash' as check_name,
        currency || '/payouts' as key,
        journal_date as occurred_date,
        object_id,
        journal_id,
        amount
    from gl_lines
    where revstack_account = 'bank' and moves_clearing
    union all
    select
        'gateway_vs_gl_cash' as check_name,
        currency || '/receipts' as key,
        journal_date as occurred_date,
        object_id,
        journal_id,
        -amount as amount
    from gl_lines
    where revstack_account = 'accounts_receivable' and amount < 0 and debits_clearing
    union all
    select
        'gateway_vs_gl_revenue' as check_name,
        currency as key,
        journal_date as occurred_date,
        object_id,
        journal_id,
        -amount as amount
    from gl_lines
    where revstack_account in ('revenue_subscription', 'revenue_usage', 'revenue_one_time')
    union all
    select
        'gateway_vs_gl_tax' as check_name,
        currency as key,
        journal_date as occurred_date,
        object_id,
        journal_id,
        -amount as amount
    from gl_lines
    where revstack_account = 'tax_payable'
    union all
    select
        'gateway_vs_gl_fees' as check_name,
        currency as key,
        journal_date as occurred_date,
        object_id,
        journal_id,
        amount
    from gl_lines
    where revstack_account = 'processing_fees'
),

gateway_objects_monthly as (
    select
        check_name,
        key,
        cast(date_trunc('month', occurred_date) as date) as period,
        object_id,
        sum(amount) as amount
    from gateway_side
    where occurred_date <= (select gl_sync.synced_through from gl_sync)
    group by all
),

gl_objects_monthly as (
    select
        check_name,
        key,
        cast(date_trunc('month', occurred_date) as date) as period,
        object_id,
        sum(amount) as amount,
        list(distinct journal_id order by journal_id) as journal_ids
    from gl_side
    group by all
),

by_object as (
    select
        gl.journal_ids,
        coalesce(gateway.check_name, gl.check_name) as check_name,
        coalesce(gateway.key, gl.key) as key,
        coalesce(gateway.period, gl.period) as period,
        coalesce(gateway.object_id, gl.object_id) as object_id,
        coalesce(gateway.amount, 0) as gateway_amount,
        coalesce(gl.amount, 0) as gl_amount
    from gateway_objects_monthly as gateway
    full outer join gl_objects_monthly as gl
        on gateway.check_name = gl.check_name
            and gateway.key = gl.key
            and gateway.period = gl.period
            and gateway.object_id is not distinct from gl.object_id
),

monthly as (
    select
        check_name,
        key,
        period,
        sum(gateway_amount) as gateway_amount,
        sum(gl_amount) as gl_amount,
        count(*) filter (where gateway_amount != gl_amount) as mismatched_objects,
        list({ 'object_id': object_id, 'amount': gateway_amount } order by object_id)
        filter (where gateway_amount != gl_amount) as gateway_mismatches,
        list({ 'object_id': object_id, 'amount': gl_amount, 'journal_ids': journal_ids } order by object_id)
        filter (where gateway_amount != gl_amount) as gl_mismatches
    from by_object
    group by all
),

final as (
    select
        check_name,
        period,
        key,
        {{ reporting_currency_literal() }} as unit,
        cast(gateway_amount as decimal(38, 6)) as left_amount,
        cast(gl_amount as decimal(38, 6)) as right_amount,
        cast(gateway_amount - gl_amount as decimal(38, 6)) as difference,
        {{ recon_decimal_var('recon_amount_tolerance_rc') }} as tolerance,
        {{ recon_status('gateway_amount - gl_amount', recon_decimal_var('recon_amount_tolerance_rc')) }} as status,
        'fct_revenue_ledger' as left_source,
        'int_gl_journal_lines' as right_source,
        cast(mismatched_objects as integer) as evidence_count,
        cast(to_json(coalesce(gateway_mismatches[1:25], [])) as varchar) as left_evidence,
        cast(to_json(coalesce(gl_mismatches[1:25], [])) as varchar) as right_evidence,
        'Xero journals of ' || strftime(period, '%Y-%m') || ' referencing the listed Stripe ids, against '
        || 'fct_revenue_ledger entries with those source_ids' as where_to_look
    from monthly
)

select * from final
