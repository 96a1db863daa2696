-- One row per invoice: int_invoices as it is (the rules live there).
--
-- Incremental like int_invoices, for the live path only (macros/live.sql): a live run takes
-- the rows int_invoices has just rewritten in the same dbt invocation (its `_invocation_id`,
-- left out here) and replaces them by invoice_id; every other run takes it whole.
{{ config(
    materialized='incremental',
    unique_key='invoice_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

select * exclude (_invocation_id) from {{ ref('int_invoices') }}
{% if is_live_run() %}where {{ live_rewritten_rows() }}{% endif %}
