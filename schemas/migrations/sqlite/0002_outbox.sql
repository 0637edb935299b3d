-- Normalized documents, the transactional outbox and consumer idempotency (design.md 6).

CREATE TABLE documents (
    id               TEXT PRIMARY KEY NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    doc_type         TEXT NOT NULL,
    partner          TEXT NOT NULL,
    source_sha256    TEXT,
    isa13            TEXT,
    gs06             TEXT,
    st02             TEXT,
    tx_id            TEXT REFERENCES transactions (id),
    body             TEXT NOT NULL,
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX documents_partner ON documents (partner, doc_type, created_at);
CREATE INDEX documents_source ON documents (source_sha256);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   TEXT NOT NULL UNIQUE,
    exchange     TEXT NOT NULL,
    routing_key  TEXT NOT NULL,
    headers      TEXT NOT NULL,
    payload      BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

CREATE TABLE processed_messages (
    consumer      TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    processed_at  TEXT NOT NULL,
    PRIMARY KEY (consumer, message_id)
) STRICT;
