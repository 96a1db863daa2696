-- The latest version of each refund, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__refund_versions'), 'refund_id') }}
