-- A claim line built from its batch line (claim #1 of a streamed batch: every valid line of a
-- period) need not repeat that line's sale, about two thirds of its payload: its payload then
-- holds what the claim changed of the sale (quantity, amount, prices claimed, contract) and
-- `sale_from_batch` says the sale is the batch line's (`batch_id`, `batch_line_no`), which is
-- never edited. A line written whole (before this migration, or once an 849 or a correction
-- changes it) keeps `sale_from_batch` false.
ALTER TABLE claim_lines ADD COLUMN sale_from_batch BOOLEAN NOT NULL DEFAULT FALSE;
