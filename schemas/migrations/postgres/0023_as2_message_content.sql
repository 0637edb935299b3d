-- The SHA-256 (hex) of the payload an inbound AS2 Message-ID first came with, so a message
-- sent again under the same Message-ID can be told apart: the same payload is a resend (the
-- partner lost our MDN), another payload is a different message reusing the id, refused.
-- Recorded in the database transaction that records the file. NULL for messages received
-- before this migration: they are taken as resends, as they were then.
ALTER TABLE as2_messages ADD COLUMN sha256 TEXT;
