-- The latest version of each tax rate, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__tax_rate_versions'), 'tax_rate_id') }}
