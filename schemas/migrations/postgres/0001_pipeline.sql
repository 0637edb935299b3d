-- Pipeline transactions, inbound idempotency and the append-only audit log (design.md 1, 7).

CREATE TABLE transactions (
    id          UUID PRIMARY KEY,
    partner     TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    step        TEXT NOT NULL
                CHECK (step IN ('receive', 'parse', 'map', 'outbox', 'engine', 'render', 'send')),
    state       TEXT NOT NULL CHECK (state IN ('received', 'processing', 'done', 'failed')),
    error       TEXT,
    raw_sha256  TEXT,
    parent_id   UUID REFERENCES transactions (id),
    doc_type    TEXT,
    isa13       TEXT,
    gs06        TEXT,
    st02        TEXT,
    debit_memo  TEXT,
    attempts    BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX transactions_created ON transactions (created_at DESC, id DESC);
CREATE INDEX transactions_failed ON transactions (updated_at DESC) WHERE state = 'failed';
CREATE INDEX transactions_partner ON transactions (partner, created_at DESC);
CREATE INDEX transactions_parent ON transactions (parent_id);
CREATE INDEX transactions_raw ON transactions (raw_sha256);
CREATE INDEX transactions_isa13 ON transactions (isa13);
CREATE INDEX transactions_gs06 ON transactions (gs06);
CREATE INDEX transactions_st02 ON transactions (st02);
CREATE INDEX transactions_debit_memo ON transactions (debit_memo);

-- Searchable references of a transaction: invoices, debit memos, contracts.
CREATE TABLE transaction_refs (
    tx_id  UUID NOT NULL REFERENCES transactions (id),
    kind   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (tx_id, kind, value)
);
CREATE INDEX transaction_refs_value ON transaction_refs (kind, value);

-- A file is taken once per partner, whatever its name.
CREATE TABLE inbound_files (
    partner      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    file_name    TEXT,
    size         BIGINT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner, sha256)
);

-- ISA13 history per sender, for duplicate interchange detection (TA1 025).
CREATE TABLE interchanges (
    partner      TEXT NOT NULL,
    isa13        TEXT NOT NULL,
    sha256       TEXT,
    received_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner, isa13)
);

CREATE TABLE as2_messages (
    partner      TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner, message_id)
);

-- Append-only: written in the same database transaction as the change it describes.
CREATE TABLE audit_events (
    id              BIGSERIAL PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    actor           TEXT NOT NULL,
    entity          TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    from_status     TEXT,
    to_status       TEXT,
    event           TEXT NOT NULL,
    reason          TEXT,
    comment         TEXT,
    before          JSONB,
    after           JSONB,
    correlation_id  TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id, id);
CREATE INDEX audit_events_correlation ON audit_events (correlation_id);

CREATE FUNCTION chargegate_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION chargegate_refuse_change();
