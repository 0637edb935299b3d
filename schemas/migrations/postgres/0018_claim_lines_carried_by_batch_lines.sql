-- Claim #1 of a streamed batch claims most of its lines, and a claim line row cost the
-- server a second row, its primary-key entry and a second COPY for every one of them (a
-- fifth of a sales report's write time at a million lines). Until an 849 or an action changes
-- it, such a line is only its number, its amount and what the claim changed of the sale
-- (0017's compact payload): the batch line it claims carries those three now, and the claim
-- is marked `lines_carried`. Readers see the batch's carried lines as the claim's lines
-- (`claim_line` not null), except the ones written whole to claim_lines since, which win.
ALTER TABLE batch_lines
    ADD COLUMN claim_line_no BIGINT,
    ADD COLUMN claim_line_amount NUMERIC(18, 2),
    ADD COLUMN claim_line TEXT COMPRESSION lz4;
ALTER TABLE claims ADD COLUMN lines_carried BOOLEAN NOT NULL DEFAULT FALSE;
