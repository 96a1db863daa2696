-- Latest version of each account (stg_crm__account_versions: by system_modstamp /
-- last_modified_date when the layout has them, else the connector's sync time, then load
-- order); deleted accounts dropped.
with

versions as (
    select * from {{ ref('stg_crm__account_versions') }}
),

latest as (
    select * exclude (account_version_id, _loaded_at, _batch_id, _file, _line)
    from versions
    qualify row_number() over (
            partition by account_id
            order by modified_at desc nulls last, _loaded_at desc, _batch_id desc, _line desc
        ) = 1
)

select * from latest
where not is_deleted
