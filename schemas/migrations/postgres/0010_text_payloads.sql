-- The engine's line payloads and the normalized documents are written and read only by
-- Chargegate, whole, and no query looks inside them. As JSON or JSONB the server lexed
-- (json_in) or rebuilt (jsonb_recv) each of them on every insert: a sales report's lines
-- and its outbound 844 spent a fifth of the server's time there (perf during apply_rss).
-- TEXT stores them as sent, as SQLite does; lz4 keeps a big document's TOAST compression
-- cheap.
ALTER TABLE batch_lines ALTER COLUMN payload TYPE TEXT;
ALTER TABLE claim_lines ALTER COLUMN payload TYPE TEXT;
ALTER TABLE documents ALTER COLUMN body TYPE TEXT USING body::text;
ALTER TABLE batch_lines ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE claim_lines ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE documents ALTER COLUMN body SET COMPRESSION lz4;

-- A claim line's foreign key to its claim cost a trigger query per inserted row (a fifth of
-- the server's time on a sales report's claim lines). Claim lines are written only by
-- `insert_claim_lines`, in the transaction that wrote their claim, and nothing is ever
-- deleted (chargeback-rules 2), so the key protects nothing the code does not; SQLite keeps it.
ALTER TABLE claim_lines DROP CONSTRAINT claim_lines_claim_id_fkey;
