-- Claim #1 of a streamed batch claims most of its lines; until an 849 or an action changes
-- one, such a line is only its number, its amount and what the claim changed of the sale
-- (0017's compact payload), carried by the batch line it claims instead of a claim_lines row.
-- The claim is marked `lines_carried`; readers see the batch's carried lines as the claim's
-- lines, except the ones written whole to claim_lines since, which win.
ALTER TABLE batch_lines ADD COLUMN claim_line_no INTEGER;
ALTER TABLE batch_lines ADD COLUMN claim_line_amount TEXT;
ALTER TABLE batch_lines ADD COLUMN claim_line TEXT;
ALTER TABLE claims ADD COLUMN lines_carried INTEGER NOT NULL DEFAULT 0;
