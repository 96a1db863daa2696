-- The metric policy sets computed side by side, one row each, from the vars (README
-- "Policies"): `configured` (what the marts show) and, when var policy_diff_against changes
-- anything, `compared` (configured with all its overrides) and `only:<policy>` for each
-- override on its own, so that rpt_metric_policy_diff can say which policy causes a
-- difference. An unknown policy or value fails the compilation with the allowed values. The
-- models that compute per policy set inline the same SELECT (macros/policies.sql).
{{ metric_policy_sets_sql() }}
