-- The latest version of each coupon, from its typed versions.
{{ latest_of_versions(ref('stg_gateway__coupon_versions'), 'coupon_id') }}
