-- A batch line's invoice, item and contract are identifiers, compared for equality only:
-- byte by byte ("C") rather than by the database's locale. Inserting a report's lines
-- compares them in the invoice and contract indexes (random leaves, several compares a
-- line), and a locale's comparison (strcoll on copied, terminated strings; C.UTF-8 is not
-- PostgreSQL's "C" fast path before version 17) was a measured share of the server's time.
-- Only the collation changes: the indexes are rebuilt, the table is not rewritten.
ALTER TABLE batch_lines
    ALTER COLUMN invoice TYPE TEXT COLLATE "C",
    ALTER COLUMN item TYPE TEXT COLLATE "C",
    ALTER COLUMN contract TYPE TEXT COLLATE "C";
