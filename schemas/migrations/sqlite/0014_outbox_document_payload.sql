-- An outbound document was stored twice: as `documents.body` and again, byte for byte, as its
-- message's `outbox.payload`. Such a message now names its document instead and leaves
-- `payload` NULL; the relay reads the body through the join. Every other message and every
-- existing row keeps its own payload, read as before.
-- SQLite cannot drop a NOT NULL: the table is rebuilt with its rows, ids, AUTOINCREMENT
-- counter (ids are never reused) and pending index; nothing references outbox.
CREATE TABLE outbox_0014 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   TEXT NOT NULL UNIQUE,
    exchange     TEXT NOT NULL,
    routing_key  TEXT NOT NULL,
    headers      TEXT NOT NULL,
    payload      BLOB,
    document_id  TEXT REFERENCES documents (id),
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    CHECK ((payload IS NULL) <> (document_id IS NULL))
) STRICT;
INSERT INTO outbox_0014 (id, message_id, exchange, routing_key, headers, payload, created_at,
                         sent_at, attempts, last_error)
    SELECT id, message_id, exchange, routing_key, headers, payload, created_at, sent_at,
           attempts, last_error
    FROM outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox_0014';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_0014', seq FROM sqlite_sequence
    WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_0014 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
