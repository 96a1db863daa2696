-- The latest version of each credit note, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__credit_note_versions'), 'credit_note_id') }}
