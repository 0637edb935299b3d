-- Normalized documents, the transactional outbox and consumer idempotency (design.md 6).

CREATE TABLE documents (
    id               UUID PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    doc_type         TEXT NOT NULL,
    partner          TEXT NOT NULL,
    source_sha256    TEXT,
    isa13            TEXT,
    gs06             TEXT,
    st02             TEXT,
    tx_id            UUID REFERENCES transactions (id),
    body             JSONB NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX documents_partner ON documents (partner, doc_type, created_at);
CREATE INDEX documents_source ON documents (source_sha256);

-- A message is written in the same transaction as the document it announces; the relay
-- publishes pending rows in id order and sets sent_at on the broker's confirm.
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    message_id   TEXT NOT NULL UNIQUE,
    exchange     TEXT NOT NULL,
    routing_key  TEXT NOT NULL,
    headers      JSONB NOT NULL,
    payload      BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    sent_at      TIMESTAMPTZ,
    attempts     BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

-- A consumer applies a message id once: marked in the transaction that applies it.
CREATE TABLE processed_messages (
    consumer      TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    processed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, message_id)
);
