-- Engine state (chargeback-rules 2.2): typed key columns next to the engine's JSON payload.
-- Amounts and unit prices are decimal strings in TEXT (never REAL), at scale 2 and 6.
-- Versioned rows (contracts, batches, claims, dispute cases) carry `version` for optimistic
-- concurrency.
-- Nothing is deleted: an end is a status.

CREATE TABLE contracts (
    id               TEXT PRIMARY KEY NOT NULL,
    partner          TEXT NOT NULL,
    supplier         TEXT NOT NULL,
    contract_number  TEXT NOT NULL,
    status           TEXT NOT NULL,
    version          INTEGER NOT NULL,
    payload          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (partner, supplier, contract_number)
) STRICT;

-- Immutable: each 845, CSV or manual change adds a version.
CREATE TABLE contract_versions (
    contract_id         TEXT NOT NULL REFERENCES contracts (id),
    version_no          INTEGER NOT NULL,
    source_document_id  TEXT REFERENCES documents (id),
    received_at         TEXT NOT NULL,
    approved_by         TEXT,
    payload             TEXT NOT NULL,
    PRIMARY KEY (contract_id, version_no)
) STRICT;
CREATE TRIGGER contract_versions_immutable_update BEFORE UPDATE ON contract_versions
BEGIN
    SELECT RAISE(ABORT, 'contract_versions is append-only');
END;
CREATE TRIGGER contract_versions_immutable_delete BEFORE DELETE ON contract_versions
BEGIN
    SELECT RAISE(ABORT, 'contract_versions is append-only');
END;

CREATE TABLE batches (
    id                  TEXT PRIMARY KEY NOT NULL,
    number              TEXT NOT NULL UNIQUE,
    partner             TEXT NOT NULL,
    role                TEXT NOT NULL,
    status              TEXT NOT NULL,
    debit_memo          TEXT,
    source_document_id  TEXT REFERENCES documents (id),
    version             INTEGER NOT NULL,
    payload             TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;
CREATE INDEX batches_partner ON batches (partner, status, created_at);
CREATE INDEX batches_debit_memo ON batches (partner, debit_memo);
CREATE INDEX batches_source ON batches (source_document_id);

-- batch_id has no foreign key on purpose: a batch may hold 100,000 lines and a per-row
-- check would cost more than the insert. The store checks the batch once per bulk insert,
-- and batches are never deleted.
CREATE TABLE batch_lines (
    batch_id           TEXT NOT NULL,
    line_no            INTEGER NOT NULL,
    status             TEXT NOT NULL,
    invoice            TEXT,
    item               TEXT,
    customer           TEXT,
    contract           TEXT,
    quantity           TEXT,
    contract_price     TEXT,
    claimed_amount     TEXT,
    calculated_amount  TEXT,
    accepted_amount    TEXT,
    claim_id           TEXT,
    payload            TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (batch_id, line_no)
) STRICT;
-- Only the duplicate-key lookup is indexed: each index costs every bulk insert. Add others
-- with the queries that need them.
CREATE INDEX batch_lines_invoice ON batch_lines (invoice, item);

CREATE TABLE claims (
    id            TEXT PRIMARY KEY NOT NULL,
    partner       TEXT NOT NULL,
    claim_number  TEXT NOT NULL,
    status        TEXT NOT NULL,
    amount        TEXT NOT NULL,
    batch_id      TEXT REFERENCES batches (id),
    parent_id     TEXT REFERENCES claims (id),
    version       INTEGER NOT NULL,
    payload       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (partner, claim_number)
) STRICT;
CREATE INDEX claims_status ON claims (partner, status);
CREATE INDEX claims_batch ON claims (batch_id);
CREATE INDEX claims_parent ON claims (parent_id);

CREATE TABLE claim_lines (
    claim_id         TEXT NOT NULL REFERENCES claims (id),
    line_no          INTEGER NOT NULL,
    batch_id         TEXT,
    batch_line_no    INTEGER,
    status           TEXT NOT NULL,
    claimed_amount   TEXT NOT NULL,
    approved_amount  TEXT,
    payload          TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (claim_id, line_no)
) STRICT;
CREATE INDEX claim_lines_batch_line ON claim_lines (batch_id, batch_line_no);

-- 849s in and out; idempotent on the sender's control numbers (chargeback-rules 7.1).
CREATE TABLE responses (
    id              TEXT PRIMARY KEY NOT NULL,
    partner         TEXT NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    isa13           TEXT,
    gs06            TEXT,
    st02            TEXT,
    debit_memo      TEXT,
    claim_id        TEXT REFERENCES claims (id),
    match_status    TEXT NOT NULL CHECK (match_status IN ('matched', 'partial', 'unmatched')),
    total_claimed   TEXT,
    total_approved  TEXT,
    document_id     TEXT REFERENCES documents (id),
    payload         TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (partner, direction, isa13, gs06, st02)
) STRICT;
CREATE INDEX responses_unmatched ON responses (received_at) WHERE match_status <> 'matched';
CREATE INDEX responses_claim ON responses (claim_id);

-- One row per cap so claim creation can lock it (SELECT ... FOR UPDATE).
CREATE TABLE caps (
    cap_key         TEXT PRIMARY KEY NOT NULL,
    contract_id     TEXT REFERENCES contracts (id),
    item            TEXT,
    customer        TEXT,
    quantity_limit  TEXT,
    amount_limit    TEXT,
    payload         TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

CREATE TABLE cap_ledger (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    cap_key   TEXT NOT NULL REFERENCES caps (cap_key),
    batch_id  TEXT,
    line_no   INTEGER,
    kind      TEXT NOT NULL CHECK (kind IN ('reserved', 'consumed', 'released')),
    quantity  TEXT NOT NULL,
    amount    TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;
CREATE INDEX cap_ledger_cap ON cap_ledger (cap_key, id);
CREATE TRIGGER cap_ledger_append_only_update BEFORE UPDATE ON cap_ledger
BEGIN
    SELECT RAISE(ABORT, 'cap_ledger is append-only');
END;
CREATE TRIGGER cap_ledger_append_only_delete BEFORE DELETE ON cap_ledger
BEGIN
    SELECT RAISE(ABORT, 'cap_ledger is append-only');
END;

-- Immutable instruments and their allocations to claims.
CREATE TABLE settlements (
    id          TEXT PRIMARY KEY NOT NULL,
    partner     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    number      TEXT NOT NULL,
    amount      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (partner, kind, number)
) STRICT;
CREATE TABLE settlement_allocations (
    settlement_id  TEXT NOT NULL REFERENCES settlements (id),
    claim_id       TEXT NOT NULL REFERENCES claims (id),
    amount         TEXT NOT NULL,
    PRIMARY KEY (settlement_id, claim_id)
) STRICT;
CREATE INDEX settlement_allocations_claim ON settlement_allocations (claim_id);
CREATE TRIGGER settlements_immutable_update BEFORE UPDATE ON settlements
BEGIN
    SELECT RAISE(ABORT, 'settlements is append-only');
END;
CREATE TRIGGER settlements_immutable_delete BEFORE DELETE ON settlements
BEGIN
    SELECT RAISE(ABORT, 'settlements is append-only');
END;
CREATE TRIGGER settlement_allocations_immutable_update BEFORE UPDATE ON settlement_allocations
BEGIN
    SELECT RAISE(ABORT, 'settlement_allocations is append-only');
END;
CREATE TRIGGER settlement_allocations_immutable_delete BEFORE DELETE ON settlement_allocations
BEGIN
    SELECT RAISE(ABORT, 'settlement_allocations is append-only');
END;

CREATE TABLE dispute_cases (
    id          TEXT PRIMARY KEY NOT NULL,
    partner     TEXT NOT NULL,
    claim_id    TEXT REFERENCES claims (id),
    status      TEXT NOT NULL,
    amount      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX dispute_cases_claim ON dispute_cases (claim_id);
CREATE INDEX dispute_cases_status ON dispute_cases (partner, status);
