-- The latest version of each payout, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__payout_versions'), 'payout_id') }}
