-- Pipeline transactions, inbound idempotency and the append-only audit log (design.md 1, 7).
-- STRICT tables; UUIDs, timestamps (RFC 3339, microseconds, Z), decimals and JSON are TEXT.

CREATE TABLE transactions (
    id          TEXT PRIMARY KEY NOT NULL,
    partner     TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    step        TEXT NOT NULL
                CHECK (step IN ('receive', 'parse', 'map', 'outbox', 'engine', 'render', 'send')),
    state       TEXT NOT NULL CHECK (state IN ('received', 'processing', 'done', 'failed')),
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
CREATE INDEX transactions_created ON transactions (created_at DESC, id DESC);
CREATE INDEX transactions_failed ON transactions (updated_at DESC) WHERE state = 'failed';
CREATE INDEX transactions_partner ON transactions (partner, created_at DESC);
CREATE INDEX transactions_parent ON transactions (parent_id);
CREATE INDEX transactions_raw ON transactions (raw_sha256);
CREATE INDEX transactions_isa13 ON transactions (isa13);
CREATE INDEX transactions_gs06 ON transactions (gs06);
CREATE INDEX transactions_st02 ON transactions (st02);
CREATE INDEX transactions_debit_memo ON transactions (debit_memo);

CREATE TABLE transaction_refs (
    tx_id  TEXT NOT NULL REFERENCES transactions (id),
    kind   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (tx_id, kind, value)
) STRICT;
CREATE INDEX transaction_refs_value ON transaction_refs (kind, value);

CREATE TABLE inbound_files (
    partner      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    file_name    TEXT,
    size         INTEGER NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (partner, sha256)
) STRICT;

CREATE TABLE interchanges (
    partner      TEXT NOT NULL,
    isa13        TEXT NOT NULL,
    sha256       TEXT,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (partner, isa13)
) STRICT;

CREATE TABLE as2_messages (
    partner      TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (partner, message_id)
) STRICT;

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    entity          TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    from_status     TEXT,
    to_status       TEXT,
    event           TEXT NOT NULL,
    reason          TEXT,
    comment         TEXT,
    before          TEXT,
    after           TEXT,
    correlation_id  TEXT
) STRICT;
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id, id);
CREATE INDEX audit_events_correlation ON audit_events (correlation_id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
