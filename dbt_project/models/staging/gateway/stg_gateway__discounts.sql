-- The coupon sits at `source.coupon` (2026-07-29.dahlia) or `coupon` (older), expanded or as id.
-- The latest version of each discount, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__discount_versions'), 'discount_id') }}
