-- The latest version of each price, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__price_versions'), 'price_id') }}
