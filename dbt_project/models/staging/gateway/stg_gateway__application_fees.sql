-- The latest version of each application fee, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__application_fee_versions'), 'application_fee_id') }}
