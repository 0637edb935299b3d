-- Outbound AS2 messages (design.md 8): what was sent, under which Message-ID and MIC, and where
-- its MDN stands, so an asynchronous MDN finds its transaction and a missing one is resent
-- with the same Message-ID and the same bytes (the body is in the raw store by its hash).

CREATE TABLE as2_outbound (
    message_id      TEXT PRIMARY KEY,
    partner         TEXT NOT NULL,
    transaction_id  UUID NOT NULL REFERENCES transactions (id),
    mic             TEXT NOT NULL,
    headers         JSONB NOT NULL,
    body_sha256     TEXT NOT NULL,
    status          TEXT NOT NULL
                    CHECK (status IN ('sending', 'awaiting_mdn', 'processed', 'failed')),
    detail          TEXT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    sent_at         TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX as2_outbound_awaiting ON as2_outbound (sent_at) WHERE status = 'awaiting_mdn';
CREATE INDEX as2_outbound_transaction ON as2_outbound (transaction_id);
