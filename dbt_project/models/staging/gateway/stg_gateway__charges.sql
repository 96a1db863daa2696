-- The latest version of each charge, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__charge_versions'), 'charge_id') }}
