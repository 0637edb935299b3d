-- Retro runs (chargeback-rules 5.3): one row per back-dated contract version, written with the
-- version as `pending`; approving it runs the re-evaluation once and records what it made
-- (`done`, the Retro batches, the lines and the retro-eligible but expired sales). The row is
-- the (contract, version) ledger: a second approval finds it `done` and creates nothing.
-- After 0008 (caps and rosters); sqlx applies every migration it
-- has not applied, in version order, and does not require consecutive numbers.

CREATE TABLE retro_runs (
    contract_id       UUID NOT NULL REFERENCES contracts (id),
    version_no        BIGINT NOT NULL,
    partner           TEXT NOT NULL,
    contract_number   TEXT NOT NULL,
    retroactive_from  TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'done')),
    approved_by       TEXT,
    payload           JSONB NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (contract_id, version_no)
);
CREATE INDEX retro_runs_number ON retro_runs (contract_number, version_no);

-- The run gathers past sale lines by contract (the validated or reported contract number).
CREATE INDEX batch_lines_contract ON batch_lines (contract);
