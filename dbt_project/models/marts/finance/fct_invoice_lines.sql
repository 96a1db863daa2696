-- One row per invoice line: int_invoice_lines_converted as it is (typed lines with their
-- amount in the reporting currency at their invoice's rate).
select * from {{ ref('int_invoice_lines_converted') }}
