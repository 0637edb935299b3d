-- Control-number counters per partner, direction and envelope level (design.md 7,
-- x12-chargeback 2.4). last_value only grows: numbers are never reused, and an exhausted
-- range is an error, never a wrap.

CREATE TABLE control_numbers (
    partner     TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind        TEXT NOT NULL CHECK (kind IN ('interchange', 'group', 'set')),
    last_value  INTEGER NOT NULL CHECK (last_value BETWEEN 0 AND 4294967295),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (partner, direction, kind)
) STRICT;
