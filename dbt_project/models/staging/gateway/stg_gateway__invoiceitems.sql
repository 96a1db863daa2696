-- The latest version of each invoiceitem, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__invoiceitem_versions'), 'invoiceitem_id') }}
