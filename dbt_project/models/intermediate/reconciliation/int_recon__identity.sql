-- Identity across the systems (int_customers_resolved is the resolution; this checks it).
--   identity_match_rate     key = crm | accounting, period = the data's last month: the share
--                           of gateway customers (not deleted) that identity resolution matched
--                           to a CRM account / an accounting contact, as a ratio with 4
--                           decimals (exact). left = the rate, right = 1, difference = rate − 1,
--                           tolerance = 1 − var recon_identity_match_floor: 'ok' at 1, 'warn'
--                           down to the floor, 'break' below it.
--   crm_vs_billing_identity key = CRM account id, period = the data's last month, for every
--                           account that names a gateway customer (stripe_customer_id) or that
--                           resolution matched to one. The account's link is corroborated when
--                           the customer it names exists and has the same normalised name
--                           (normalize_name) as the account. left = 1 (the account), right = 1
--                           when the link is corroborated and resolution agrees, else 0.
--                             ok     link corroborated, resolution chose that customer
--                             warn   the link is missing, or names a customer whose name
--                                    disagrees, or another account holds that customer - and
--                                    resolution still matched the account by name (the CRM
--                                    field is wrong, the numbers are not)
--                             break  the link names no gateway customer; or names one whose
--                                    name disagrees and resolution matched the account to none;
--                                    or names one whose name disagrees while an earlier version
--                                    of the account (stg_crm__account_versions) linked another
--                                    customer whose name agreed with it: a link that was right
--                                    was changed to a wrong one (drift in the CRM, even when
--                                    resolution still matches the account by name)
--                           So a link that has been wrong for as long as revstack has the CRM's
--                           history is 'warn' (standing data debt that the numbers do not
--                           depend on); a right link that turns wrong is a 'break'.
with

bounds as (
    select cast(date_trunc('month', last_date) as date) as last_month from {{ ref('int_data_bounds') }}
),

resolved as (
    select * from {{ ref('int_customers_resolved') }}
),

customers as (
    select
        customer_id,
        customer_name,
        email,
        is_deleted,
        {{ normalize_name('customer_name') }} as name_key
    from {{ ref('stg_gateway__customers') }}
),

accounts as (
    select
        account_id,
        account_name,
        stripe_customer_id,
        modified_at,
        {{ normalize_name('account_name') }} as name_key
    from {{ ref('stg_crm__accounts') }}
),

-- for an account whose current link names another customer: the latest earlier version whose
-- link named a customer with the same normalised name as that version's account (a right link)
right_before as (
    select
        versions.account_id,
        versions.stripe_customer_id as previous_customer_id,
        versions.modified_at as previous_modified_at
    from {{ ref('stg_crm__account_versions') }} as versions
    inner join accounts
        on versions.account_id = accounts.account_id
    inner join customers
        on versions.stripe_customer_id = customers.customer_id
            and {{ normalize_name('versions.account_name') }} = customers.name_key
    where not versions.is_deleted
        and versions.stripe_customer_id is distinct from accounts.stripe_customer_id
    qualify row_number() over (
            partition by versions.account_id
            order by versions.modified_at desc nulls last, versions._loaded_at desc, versions._line desc
        ) = 1
),

contacts as (
    select
        contact_id,
        contact_name
    from {{ ref('stg_accounting__contacts') }}
),

rates as (
    select
        system_name,
        count(*) as customers,
        count(*) filter (where is_matched) as matched_customers,
        to_json(list(customer_id order by customer_id) filter (where not is_matched)[1:50]) as unmatched_json
    from (
        select
            'crm' as system_name,
            resolved.customer_id,
            resolved.crm_account_id is not null as is_matched
        from resolved
        inner join customers
            on resolved.customer_id = customers.customer_id
        where not coalesce(customers.is_deleted, false)
        union all
        select
            'accounting' as system_name,
            resolved.customer_id,
            resolved.accounting_contact_id is not null as is_matched
        from resolved
        inner join customers
            on resolved.customer_id = customers.customer_id
        where not coalesce(customers.is_deleted, false)
    ) as matches
    group by system_name
),

match_rate as (
    select
        'identity_match_rate' as check_name,
        (select bounds.last_month from bounds) as period,
        system_name as key,
        'ratio' as unit,
        cast({{ div_exact('matched_customers', 'customers', 4) }} as decimal(38, 6)) as left_amount,
        cast(1 as decimal(38, 6)) as right_amount,
        'int_customers_resolved' as left_source,
        'stg_gateway__customers' as right_source,
        cast(customers - matched_customers as integer) as evidence_count,
        cast(to_json({ 'matched': matched_customers, 'customers': customers }) as varchar) as left_evidence,
        cast(unmatched_json as varchar) as right_evidence,
        'int_customers_resolved rows with ' || system_name || '_match_method = ''' || system_name || ':none'''
            as where_to_look
    from rates
),

account_links as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.name_key,
        accounts.stripe_customer_id as linked_customer_id,
        linked.customer_name as linked_customer_name,
        chosen.customer_id as resolved_customer_id,
        chosen_customer.customer_name as resolved_customer_name,
        chosen.crm_match_method,
        contacts.contact_name as resolved_contact_name,
        linked_elsewhere.crm_account_id as linked_customer_account_id,
        right_before.previous_customer_id,
        previous.customer_name as previous_customer_name,
        right_before.previous_modified_at,
        accounts.modified_at as link_modified_at,
        linked.customer_id is not null as linked_exists,
        linked.name_key = accounts.name_key as linked_name_agrees
    from accounts
    left join right_before
        on accounts.account_id = right_before.account_id
    left join customers as previous
        on right_before.previous_customer_id = previous.customer_id
    left join customers as linked
        on accounts.stripe_customer_id = linked.customer_id
    left join resolved as chosen
        on accounts.account_id = chosen.crm_account_id
    left join customers as chosen_customer
        on chosen.customer_id = chosen_customer.customer_id
    left join contacts
        on chosen.accounting_contact_id = contacts.contact_id
    left join resolved as linked_elsewhere
        on accounts.stripe_customer_id = linked_elsewhere.customer_id
    where accounts.stripe_customer_id is not null or chosen.customer_id is not null
),

account_status as (
    select
        *,
        case
            when linked_customer_id is not null and linked_name_agrees and resolved_customer_id = linked_customer_id
                then 'ok'
            when linked_customer_id is not null and not linked_exists then 'break'
            when not linked_name_agrees and previous_customer_id is not null then 'break'
            when resolved_customer_id is null then 'break'
            else 'warn'
        end as status,
        case
            when linked_customer_id is null then 'no gateway customer linked; matched by name'
            when not linked_exists then 'linked gateway customer does not exist'
            when not linked_name_agrees and previous_customer_id is not null
                then 'link changed from ' || previous_customer_id || ' (same name) to a customer whose name disagrees'
            when not linked_name_agrees and resolved_customer_id is null
                then 'linked gateway customer''s name disagrees; no customer matched'
            when not linked_name_agrees then 'linked gateway customer''s name disagrees; matched by name to another'
            when resolved_customer_id is null
                then 'linked customer is held by account ' || coalesce(linked_customer_account_id, '?')
            when resolved_customer_id != linked_customer_id then 'matched to another customer than the link'
        end as problem
    from account_links
),

account_identity as (
    select
        'crm_vs_billing_identity' as check_name,
        account_id as key,
        'link' as unit,
        cast(1 as decimal(38, 6)) as left_amount,
        cast(case when status = 'ok' then 1 else 0 end as decimal(38, 6)) as right_amount,
        'stg_crm__accounts (stripe_customer_id)' as left_source,
        'stg_gateway__customers, int_customers_resolved' as right_source,
        cast(1 as integer) as evidence_count,
        cast(to_json({
            'crm_account_id': account_id, 'name': account_name, 'stripe_customer_id': linked_customer_id,
            'problem': problem, 'modified_at': link_modified_at,
            'previous_stripe_customer_id': previous_customer_id, 'previous_modified_at': previous_modified_at
        }) as varchar) as left_evidence,
        cast(to_json({
            'linked_customer_name': linked_customer_name, 'previous_customer_name': previous_customer_name,
            'resolved_customer_id': resolved_customer_id,
            'resolved_customer_name': resolved_customer_name, 'crm_match_method': crm_match_method,
            'accounting_contact_name': resolved_contact_name
        }) as varchar) as right_evidence,
        status,
        (select bounds.last_month from bounds) as period,
        'Salesforce account ' || account_id || ' (field stripe_customer_id_c) and gateway customer '
        || coalesce(linked_customer_id, resolved_customer_id) as where_to_look
    from account_status
),

final as (
    select
        check_name,
        period,
        key,
        unit,
        left_amount,
        right_amount,
        cast(left_amount - right_amount as decimal(38, 6)) as difference,
        cast(1 - {{ recon_decimal_var('recon_identity_match_floor') }} as decimal(38, 6)) as tolerance,
        {{ recon_status('left_amount - right_amount', '1 - ' ~ recon_decimal_var('recon_identity_match_floor')) }}
            as status,
        left_source,
        right_source,
        evidence_count,
        left_evidence,
        right_evidence,
        where_to_look
    from match_rate
    union all
    select
        check_name,
        period,
        key,
        unit,
        left_amount,
        right_amount,
        cast(left_amount - right_amount as decimal(38, 6)) as difference,
        cast(0 as decimal(38, 6)) as tolerance,
        status,
        left_source,
        right_source,
        evidence_count,
        left_evidence,
        right_evidence,
        where_to_look
    from account_identity
)

select * from final
