-- Bulk rows cost the server more than the client (perf during apply_rss): every batch and
-- claim line payload was parsed into JSONB (lexing, key sorting) though no query looks
-- inside it, and the large documents and outbox messages were compressed with pglz.
-- JSON keeps the text as sent (still checked to be JSON); lz4 compresses several times
-- faster than pglz. PostgreSQL only: SQLite stores all of these as TEXT already.
ALTER TABLE batch_lines ALTER COLUMN payload TYPE JSON USING payload::json;
ALTER TABLE claim_lines ALTER COLUMN payload TYPE JSON USING payload::json;
ALTER TABLE documents ALTER COLUMN body SET COMPRESSION lz4;
ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;
