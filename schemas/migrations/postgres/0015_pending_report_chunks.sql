-- A pending sales report (0012) is kept in chunks of lines instead of one value: written as
-- it is serialized and read back one chunk at a time, so the cut of a million-line period
-- never holds the period's lines, or their 440 MB of JSON, at once. `pending` says the
-- report's lines wait in `pending_report_chunks` (chunk 0, 1, ...) for the cut, which
-- deletes them once they are batch lines.
CREATE TABLE pending_report_chunks (
    partner    TEXT NOT NULL,
    report_id  TEXT NOT NULL,
    chunk_no   BIGINT NOT NULL,
    lines      TEXT NOT NULL,
    PRIMARY KEY (partner, report_id, chunk_no)
);
ALTER TABLE pending_report_chunks ALTER COLUMN lines SET COMPRESSION lz4;
ALTER TABLE sales_report_batches ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE;
-- A report kept whole before this migration becomes its own chunk 0.
INSERT INTO pending_report_chunks (partner, report_id, chunk_no, lines)
    SELECT partner, report_id, 0, pending_lines FROM sales_report_batches
    WHERE pending_lines IS NOT NULL;
UPDATE sales_report_batches SET pending = TRUE WHERE pending_lines IS NOT NULL;
ALTER TABLE sales_report_batches DROP COLUMN pending_lines;
