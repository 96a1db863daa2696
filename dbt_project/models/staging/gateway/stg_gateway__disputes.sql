-- The latest version of each dispute, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__dispute_versions'), 'dispute_id') }}
