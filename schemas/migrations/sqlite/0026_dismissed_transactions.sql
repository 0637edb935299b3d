-- A failed transaction that ops set aside (the partner resent a corrected file, say) is
-- `dismissed`: off the failed queue, not replayable, its error and audit trail kept.
-- SQLite cannot alter a CHECK: the table is rebuilt with its rows and indexes. Other tables
-- (transaction_refs, outbox, as2_outbound) and the table itself reference transactions (id)
-- by name, so the new table takes the old one's name and the references hold. Dropping the
-- old table orphans those rows for a moment: the foreign keys are checked at commit
-- instead (`defer_foreign_keys` ends with this migration's transaction), by which time every
-- row is back under the same id.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE transactions_0026 AS SELECT * FROM transactions;
DROP TABLE transactions;
CREATE TABLE transactions (
    id          TEXT PRIMARY KEY NOT NULL,
    partner     TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    step        TEXT NOT NULL
                CHECK (step IN ('receive', 'parse', 'map', 'outbox', 'engine', 'render', 'send')),
    state       TEXT NOT NULL
                CHECK (state IN ('received', 'processing', 'done', 'failed', 'dismissed')),
    error       TEXT,
    raw_sha256  TEXT,
    parent_id   TEXT REFERENCES transactions (id),
    doc_type    TEXT,
    isa13       TEXT,
    gs06        TEXT,
    st02        TEXT,
    debit_memo  TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
INSERT INTO transactions (id, partner, direction, step, state, error, raw_sha256, parent_id,
                          doc_type, isa13, gs06, st02, debit_memo, attempts, created_at,
                          updated_at)
    SELECT id, partner, direction, step, state, error, raw_sha256, parent_id, doc_type, isa13,
           gs06, st02, debit_memo, attempts, created_at, updated_at
    FROM transactions_0026;
DROP TABLE transactions_0026;
CREATE INDEX transactions_created ON transactions (created_at DESC, id DESC);
CREATE INDEX transactions_failed ON transactions (updated_at DESC) WHERE state = 'failed';
CREATE INDEX transactions_partner ON transactions (partner, created_at DESC);
CREATE INDEX transactions_parent ON transactions (parent_id);
CREATE INDEX transactions_raw ON transactions (raw_sha256);
CREATE INDEX transactions_isa13 ON transactions (isa13);
CREATE INDEX transactions_gs06 ON transactions (gs06);
CREATE INDEX transactions_st02 ON transactions (st02);
CREATE INDEX transactions_debit_memo ON transactions (debit_memo);
