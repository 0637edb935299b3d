-- Claim periods process their lines once, at the cut (chargeback-rules 6.2: B2–B5 run in the
-- transaction of L1–L5, so a batch never rests Open with processed lines). A sales report
-- for a Daily, Weekly or Monthly batch is kept here, its lines as JSON text, until the cut
-- validates them into the batch in one pass; the cut then sets the column to NULL. Reports
-- processed at once (Immediate trigger, reports before this migration) have NULL.
ALTER TABLE sales_report_batches ADD COLUMN pending_lines TEXT;
-- A day's reports can be large: lz4 compresses several times faster than pglz (see 0007).
ALTER TABLE sales_report_batches ALTER COLUMN pending_lines SET COMPRESSION lz4;
