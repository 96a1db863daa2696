-- The latest version of each product, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__product_versions'), 'product_id') }}
