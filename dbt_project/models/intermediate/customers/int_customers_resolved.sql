-- Identity resolution: the gateway customer is the anchor (one unified customer each).
--   CRM account: the account whose `stripe_customer_id_c` names this gateway customer when the
--                normalised names agree ('crm:custom_field'), else the one account with the
--                same normalised name ('crm:name'), else none ('crm:none').
--   Accounting contact: the contact whose `account_number` is the gateway customer id
--                ('accounting:account_number'), else the one contact with the same normalised
--                name ('accounting:name'), else none ('accounting:none').
-- Name matches are used only when unambiguous (one candidate on each side); an account or a
-- contact is attached to at most one customer.
with

customers as (
    select
        customer_id,
        customer_name,
        {{ normalize_name('customer_name') }} as name_key
    from {{ ref('stg_gateway__customers') }}
),

accounts as (
    select
        account_id,
        stripe_customer_id,
        modified_at,
        {{ normalize_name('account_name') }} as name_key
    from {{ ref('stg_crm__accounts') }}
),

contacts as (
    select
        contact_id,
        account_number,
        {{ normalize_name('contact_name') }} as name_key
    from {{ ref('stg_accounting__contacts') }}
),

crm_by_field as (
    select
        customers.customer_id,
        accounts.account_id
    from customers
    inner join accounts
        on customers.customer_id = accounts.stripe_customer_id
            and customers.name_key = accounts.name_key
    qualify row_number() over (
            partition by customers.customer_id order by accounts.modified_at desc nulls last, accounts.account_id asc
        ) = 1
),

unique_customer_names as (
    select name_key
    from customers
    where name_key is not null
    group by name_key
    having count(*) = 1
),

crm_by_name as (
    select
        customers.customer_id,
        accounts.account_id
    from customers
    inner join unique_customer_names
        on customers.name_key = unique_customer_names.name_key
    inner join accounts
        on customers.name_key = accounts.name_key
    anti join crm_by_field as field_matched_customers
        on customers.customer_id = field_matched_customers.customer_id
    where accounts.account_id not in (select field_matched.account_id from crm_by_field as field_matched)
    qualify count(*) over (partition by customers.customer_id) = 1
),

crm_matches as (
    select
        customer_id,
        account_id,
        'custom_field' as crm_match
    from crm_by_field
    union all
    select
        customer_id,
        account_id,
        'name' as crm_match
    from crm_by_name
),

accounting_by_number as (
    select
        customers.customer_id,
        contacts.contact_id
    from customers
    inner join contacts
        on customers.customer_id = contacts.account_number
    qualify row_number() over (partition by customers.customer_id order by contacts.contact_id) = 1
),

accounting_by_name as (
    select
        customers.customer_id,
        contacts.contact_id
    from customers
    inner join unique_customer_names
        on customers.name_key = unique_customer_names.name_key
    inner join contacts
        on customers.name_key = contacts.name_key
    anti join accounting_by_number as number_matched_customers
        on customers.customer_id = number_matched_customers.customer_id
    where
        contacts.contact_id not in (select number_matched.contact_id from accounting_by_number as number_matched)
        and (
            contacts.account_number is null
            or contacts.account_number not in (select known.customer_id from customers as known)
        )
    qualify count(*) over (partition by customers.customer_id) = 1
),

accounting_matches as (
    select
        customer_id,
        contact_id,
        'account_number' as accounting_match
    from accounting_by_number
    union all
    select
        customer_id,
        contact_id,
        'name' as accounting_match
    from accounting_by_name
),

final as (
    select
        customers.customer_id,
        customers.customer_id as gateway_customer_id,
        crm_matches.account_id as crm_account_id,
        accounting_matches.contact_id as accounting_contact_id,
        'crm:' || coalesce(crm_matches.crm_match, 'none') as crm_match_method,
        'accounting:' || coalesce(accounting_matches.accounting_match, 'none') as accounting_match_method,
        'crm:' || coalesce(crm_matches.crm_match, 'none')
        || '+accounting:' || coalesce(accounting_matches.accounting_match, 'none') as match_method
    from customers
    left join crm_matches
        on customers.customer_id = crm_matches.customer_id
    left join accounting_matches
        on customers.customer_id = accounting_matches.customer_id
)

select * from final
