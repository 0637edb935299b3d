-- Each 844 sent for a claim (chargeback-rules 6.3 C11, and again after a C13 rejection) and
-- the control numbers it went out under, so a partner's 997/999/TA1 finds the claim it
-- answers (7.1: "the 997/999 links through the 844's group and set control numbers") and
-- is applied once. The apply step writes the row with the outbox message id; rendering fills
-- the control numbers in the transaction that allocates them. Numbers are stored as numbers:
-- partners echo them with or without leading zeros.

CREATE TABLE claim_transmissions (
    message_id   TEXT PRIMARY KEY,
    claim_id     UUID NOT NULL REFERENCES claims (id),
    partner      TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    isa13        BIGINT,
    gs06         BIGINT,
    st02         BIGINT,
    status       TEXT NOT NULL CHECK (status IN ('sent', 'accepted', 'rejected')),
    answered_by  TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (claim_id, seq)
);
CREATE INDEX claim_transmissions_isa13 ON claim_transmissions (partner, isa13);
CREATE INDEX claim_transmissions_gs06 ON claim_transmissions (partner, gs06);
