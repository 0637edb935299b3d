-- Caps from 845s (chargeback-rules 5.1) and GPO rosters (2.2, 5.3).

-- The engine's id of the line a cap movement is for (its PAD01 or 867 position), so a ledger
-- rebuilt from these rows knows what each line holds.
ALTER TABLE cap_ledger ADD COLUMN line_ref TEXT;

-- A GPO's roster memberships as the engine holds them: one row per GPO, the list as JSON.
-- Versioned for optimistic concurrency; the sum of versions tells a process its cached
-- contract book has stale memberships.
CREATE TABLE gpo_memberships (
    gpo         TEXT PRIMARY KEY,
    members     BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    payload     JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Every roster file received: applied at once, or a snapshot held for approval because it
-- would deactivate more than 5 % of the members.
CREATE TABLE roster_uploads (
    id          UUID PRIMARY KEY,
    gpo         TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('snapshot', 'delta')),
    status      TEXT NOT NULL CHECK (status IN ('applied', 'pending_approval')),
    row_count   BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    payload     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX roster_uploads_gpo ON roster_uploads (gpo, created_at);
