-- Engine state (chargeback-rules 2.2): typed key columns next to the engine's JSON payload.
-- Amounts are NUMERIC(18,2), unit prices and quantities NUMERIC(18,6). Versioned rows
-- (contracts, batches, claims, dispute cases) carry `version` for optimistic concurrency.
-- Nothing is deleted: an end is a status.

CREATE TABLE contracts (
    id               UUID PRIMARY KEY,
    partner          TEXT NOT NULL,
    supplier         TEXT NOT NULL,
    contract_number  TEXT NOT NULL,
    status           TEXT NOT NULL,
    version          BIGINT NOT NULL,
    payload          JSONB NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (partner, supplier, contract_number)
);

-- Immutable: each 845, CSV or manual change adds a version.
CREATE TABLE contract_versions (
    contract_id         UUID NOT NULL REFERENCES contracts (id),
    version_no          BIGINT NOT NULL,
    source_document_id  UUID REFERENCES documents (id),
    received_at         TIMESTAMPTZ NOT NULL,
    approved_by         TEXT,
    payload             JSONB NOT NULL,
    PRIMARY KEY (contract_id, version_no)
);
CREATE TRIGGER contract_versions_immutable
    BEFORE UPDATE OR DELETE ON contract_versions
    FOR EACH ROW EXECUTE FUNCTION chargegate_refuse_change();

CREATE TABLE batches (
    id                  UUID PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    partner             TEXT NOT NULL,
    role                TEXT NOT NULL,
    status              TEXT NOT NULL,
    debit_memo          TEXT,
    source_document_id  UUID REFERENCES documents (id),
    version             BIGINT NOT NULL,
    payload             JSONB NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX batches_partner ON batches (partner, status, created_at);
CREATE INDEX batches_debit_memo ON batches (partner, debit_memo);
CREATE INDEX batches_source ON batches (source_document_id);

-- batch_id has no foreign key on purpose: a batch may hold 100,000 lines and a per-row
-- check would cost more than the insert. The store checks the batch once per bulk insert,
-- and batches are never deleted.
CREATE TABLE batch_lines (
    batch_id           UUID NOT NULL,
    line_no            BIGINT NOT NULL,
    status             TEXT NOT NULL,
    invoice            TEXT,
    item               TEXT,
    customer           TEXT,
    contract           TEXT,
    quantity           NUMERIC(18, 6),
    contract_price     NUMERIC(18, 6),
    claimed_amount     NUMERIC(18, 2),
    calculated_amount  NUMERIC(18, 2),
    accepted_amount    NUMERIC(18, 2),
    claim_id           UUID,
    payload            JSONB NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (batch_id, line_no)
);
-- Only the duplicate-key lookup is indexed: each index costs every bulk insert. Add others
-- with the queries that need them.
CREATE INDEX batch_lines_invoice ON batch_lines (invoice, item);

CREATE TABLE claims (
    id            UUID PRIMARY KEY,
    partner       TEXT NOT NULL,
    claim_number  TEXT NOT NULL,
    status        TEXT NOT NULL,
    amount        NUMERIC(18, 2) NOT NULL,
    batch_id      UUID REFERENCES batches (id),
    parent_id     UUID REFERENCES claims (id),
    version       BIGINT NOT NULL,
    payload       JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (partner, claim_number)
);
CREATE INDEX claims_status ON claims (partner, status);
CREATE INDEX claims_batch ON claims (batch_id);
CREATE INDEX claims_parent ON claims (parent_id);

CREATE TABLE claim_lines (
    claim_id         UUID NOT NULL REFERENCES claims (id),
    line_no          BIGINT NOT NULL,
    batch_id         UUID,
    batch_line_no    BIGINT,
    status           TEXT NOT NULL,
    claimed_amount   NUMERIC(18, 2) NOT NULL,
    approved_amount  NUMERIC(18, 2),
    payload          JSONB NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (claim_id, line_no)
);
CREATE INDEX claim_lines_batch_line ON claim_lines (batch_id, batch_line_no);

-- 849s in and out; idempotent on the sender's control numbers (chargeback-rules 7.1).
CREATE TABLE responses (
    id              UUID PRIMARY KEY,
    partner         TEXT NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    isa13           TEXT,
    gs06            TEXT,
    st02            TEXT,
    debit_memo      TEXT,
    claim_id        UUID REFERENCES claims (id),
    match_status    TEXT NOT NULL CHECK (match_status IN ('matched', 'partial', 'unmatched')),
    total_claimed   NUMERIC(18, 2),
    total_approved  NUMERIC(18, 2),
    document_id     UUID REFERENCES documents (id),
    payload         JSONB NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (partner, direction, isa13, gs06, st02)
);
CREATE INDEX responses_unmatched ON responses (received_at) WHERE match_status <> 'matched';
CREATE INDEX responses_claim ON responses (claim_id);

-- One row per cap so claim creation can lock it (SELECT ... FOR UPDATE).
CREATE TABLE caps (
    cap_key         TEXT PRIMARY KEY,
    contract_id     UUID REFERENCES contracts (id),
    item            TEXT,
    customer        TEXT,
    quantity_limit  NUMERIC(18, 6),
    amount_limit    NUMERIC(18, 2),
    payload         JSONB NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE cap_ledger (
    id        BIGSERIAL PRIMARY KEY,
    cap_key   TEXT NOT NULL REFERENCES caps (cap_key),
    batch_id  UUID,
    line_no   BIGINT,
    kind      TEXT NOT NULL CHECK (kind IN ('reserved', 'consumed', 'released')),
    quantity  NUMERIC(18, 6) NOT NULL,
    amount    NUMERIC(18, 2) NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX cap_ledger_cap ON cap_ledger (cap_key, id);
CREATE TRIGGER cap_ledger_append_only
    BEFORE UPDATE OR DELETE ON cap_ledger
    FOR EACH ROW EXECUTE FUNCTION chargegate_refuse_change();

-- Immutable instruments and their allocations to claims.
CREATE TABLE settlements (
    id          UUID PRIMARY KEY,
    partner     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    number      TEXT NOT NULL,
    amount      NUMERIC(18, 2) NOT NULL,
    payload     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (partner, kind, number)
);
CREATE TABLE settlement_allocations (
    settlement_id  UUID NOT NULL REFERENCES settlements (id),
    claim_id       UUID NOT NULL REFERENCES claims (id),
    amount         NUMERIC(18, 2) NOT NULL,
    PRIMARY KEY (settlement_id, claim_id)
);
CREATE INDEX settlement_allocations_claim ON settlement_allocations (claim_id);
CREATE TRIGGER settlements_immutable
    BEFORE UPDATE OR DELETE ON settlements
    FOR EACH ROW EXECUTE FUNCTION chargegate_refuse_change();
CREATE TRIGGER settlement_allocations_immutable
    BEFORE UPDATE OR DELETE ON settlement_allocations
    FOR EACH ROW EXECUTE FUNCTION chargegate_refuse_change();

CREATE TABLE dispute_cases (
    id          UUID PRIMARY KEY,
    partner     TEXT NOT NULL,
    claim_id    UUID REFERENCES claims (id),
    status      TEXT NOT NULL,
    amount      NUMERIC(18, 2) NOT NULL,
    version     BIGINT NOT NULL,
    payload     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX dispute_cases_claim ON dispute_cases (claim_id);
CREATE INDEX dispute_cases_status ON dispute_cases (partner, status);
