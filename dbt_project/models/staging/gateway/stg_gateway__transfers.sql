-- The latest version of each transfer, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__transfer_versions'), 'transfer_id') }}
