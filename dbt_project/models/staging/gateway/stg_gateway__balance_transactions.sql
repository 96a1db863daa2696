-- The latest version of each balance transaction, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__balance_transaction_versions'), 'balance_transaction_id') }}
