-- Each sales report added to a period batch takes the line numbers after the last report's
-- (its first_line_no + line_count). Indexed by batch alone, finding that last report read every
-- report of the batch: a month's tracing is tens of thousands of reports, and adding them one
-- by one grew quadratic. Indexed in line order within the batch, it is one index lookup.
DROP INDEX sales_report_batches_batch;
CREATE INDEX sales_report_batches_batch ON sales_report_batches (batch_id, first_line_no);
