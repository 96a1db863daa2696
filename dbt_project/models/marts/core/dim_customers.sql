-- One row per unified customer (anchored on the gateway customer).
with

resolved as (
    select * from {{ ref('int_customers_resolved') }}
),

customers as (
    select * from {{ ref('stg_gateway__customers') }}
),

accounts as (
    select
        account_id,
        account_name,
        industry,
        account_type
    from {{ ref('stg_crm__accounts') }}
),

contacts as (
    select
        contact_id,
        contact_name
    from {{ ref('stg_accounting__contacts') }}
),

final as (
    select
        resolved.customer_id,
        resolved.gateway_customer_id,
        resolved.crm_account_id,
        resolved.accounting_contact_id,
        customers.email,
        customers.country,
        customers.segment,
        customers.currency,
        customers.tax_exempt,
        accounts.industry,
        accounts.account_type as crm_account_type,
        customers.is_deleted,
        customers.created_at,
        resolved.match_method,
        resolved.crm_match_method,
        resolved.accounting_match_method,
        coalesce(customers.customer_name, accounts.account_name, contacts.contact_name) as name
    from resolved
    inner join customers
        on resolved.gateway_customer_id = customers.customer_id
    left join accounts
        on resolved.crm_account_id = accounts.account_id
    left join contacts
        on resolved.accounting_contact_id = contacts.contact_id
)

select * from final
