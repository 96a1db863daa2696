-- Both shapes: subscription at `parent.subscription_details.subscription` (dahlia) or
-- `subscription` (older); tax from `total_taxes[]` (dahlia) or `tax` / `total_tax_amounts[]`.
-- The latest version of each invoice, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__invoice_versions'), 'invoice_id') }}
