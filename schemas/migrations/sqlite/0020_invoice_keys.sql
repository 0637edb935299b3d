-- Duplicate and return history finds earlier lines by invoice, and the engine compares
-- invoices as its keys do: ASCII whitespace and '-' dropped, ASCII letters in upper case
-- ("inv 1" and "INV-1" are one invoice). A line keeps its invoice in that form,
-- `invoice_key` (written by the store, `queries::engine::invoice_key`), and the index that
-- found lines by raw invoice and item is replaced by one on it, so an earlier line spelt
-- otherwise is found too. SQLite's upper() changes ASCII letters only, as the engine does.
ALTER TABLE batch_lines ADD COLUMN invoice_key TEXT;
UPDATE batch_lines SET invoice_key = upper(replace(replace(replace(replace(replace(replace(
    invoice, ' ', ''), char(9), ''), char(10), ''), char(12), ''), char(13), ''), '-', ''))
    WHERE invoice IS NOT NULL;
CREATE INDEX batch_lines_invoice_key ON batch_lines (invoice_key);
DROP INDEX batch_lines_invoice;
