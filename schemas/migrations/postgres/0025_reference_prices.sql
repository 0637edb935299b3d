-- Reference prices (chargeback-rules 2.2, 4.1): a supplier's effective-dated WAC or book cost
-- per item, loaded from its price lists, as the engine holds them: one row per supplier (its
-- normalized id), the item rows as JSON. Versioned for optimistic concurrency; the sum of
-- versions tells a process its cached contract book has stale reference prices. Each load
-- that changes the list writes its audit event (entity `reference_prices`, id the supplier).
CREATE TABLE reference_prices (
    supplier    TEXT PRIMARY KEY,
    row_count   BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    payload     JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
