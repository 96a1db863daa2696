-- The latest version of each customer, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__customer_versions'), 'customer_id') }}
