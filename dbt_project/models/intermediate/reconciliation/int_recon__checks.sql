-- Every reconciliation check's rows (the int_recon__* models, whose header comments are the
-- exact definitions), unioned, with the check's severity: high for the money that moves
-- (payouts, payments, gateway vs GL cash, revenue, tax), medium for the rest of the money and
-- the CRM and usage checks, low for per-account identity links.
with

checks as (
    select {{ recon_columns() }} from {{ ref('int_recon__payouts') }}
    union all
    select {{ recon_columns() }} from {{ ref('int_recon__invoice_payments') }}
    union all
    select {{ recon_columns() }} from {{ ref('int_recon__gateway_vs_gl') }}
    union all
    select {{ recon_columns() }} from {{ ref('int_recon__gl_invoice_currency') }}
    union all
    select {{ recon_columns() }} from {{ ref('int_recon__crm_billing') }}
    union all
    select {{ recon_columns() }} from {{ ref('int_recon__usage') }}
    union all
    select {{ recon_columns() }} from {{ ref('int_recon__identity') }}
),

final as (
    select
        check_name,
        period,
        key,
        unit,
        left_amount,
        right_amount,
        difference,
        tolerance,
        status,
        left_source,
        right_source,
        evidence_count,
        left_evidence,
        right_evidence,
        where_to_look,
        case
            when check_name in (
                    'payouts_vs_balance_transactions', 'invoices_vs_payments', 'gateway_vs_gl_cash',
                    'gateway_vs_gl_revenue', 'gateway_vs_gl_tax'
                ) then 'high'
            when check_name in (
                    'gateway_vs_gl_fees', 'gateway_vs_gl_currency', 'usage_recorded_vs_billed', 'crm_won_not_billing',
                    'billing_without_crm_deal', 'crm_arr_vs_billed_mrr', 'identity_match_rate'
                ) then 'medium'
            else 'low'
        end as severity
    from checks
)

select * from final
