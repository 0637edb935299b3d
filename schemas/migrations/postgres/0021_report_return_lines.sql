-- A sales report's return lines (non-zero negative quantities), counted when it is recorded:
-- the cut of a period whose reports hold none skips the first pass over the lines, which
-- only gathers the sales that returns refer to later in the batch. NULL for reports recorded
-- before this migration: not counted, so the pass runs.
ALTER TABLE sales_report_batches ADD COLUMN return_lines BIGINT;
