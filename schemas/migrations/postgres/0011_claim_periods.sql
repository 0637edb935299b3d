-- claim_trigger (chargeback-rules 2.1, 8.1): as claimant, a Daily, Weekly or Monthly trigger
-- collects the sale lines posted in a period into one Open batch per (partner, supplier,
-- period), cut when the period has ended. `period_key` is the engine's `claims::batch_key`
-- (e.g. `123456789/2026-12-05`, `123456789/2026-W49`, `123456789/2026-12`) and `period_end`
-- its last day (ISO text: compared as text on both backends); both are NULL for every other
-- batch (one per report, per invoice, per 844, per retro run).
ALTER TABLE batches ADD COLUMN period_key TEXT;
ALTER TABLE batches ADD COLUMN period_end TEXT;
-- The collecting batch of a period, and the batches a cut finds due.
CREATE INDEX batches_period ON batches (partner, period_key, status);
CREATE INDEX batches_due ON batches (status, period_end) WHERE period_end IS NOT NULL;

-- Where each sales report's lines went: a report applied again under another message id (the
-- same report id) writes nothing, and `partner/report` still names its batch. The report's
-- lines are batch lines first_line_no .. first_line_no + line_count - 1 (in a period batch
-- several reports share one batch; an Immediate trigger's report spreads over one batch per
-- invoice, recorded here as its first batch).
CREATE TABLE sales_report_batches (
    partner        TEXT NOT NULL,
    report_id      TEXT NOT NULL,
    batch_id       UUID NOT NULL REFERENCES batches (id),
    first_line_no  BIGINT NOT NULL,
    line_count     BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner, report_id)
);
CREATE INDEX sales_report_batches_batch ON sales_report_batches (batch_id);
