-- Every claim line paid for an index on (batch_id, batch_line_no) at insert (a sales
-- report's claim #1 writes a row per claimed line), and its only reader, the retro run's
-- "claim lines of a batch", finds them as well through the claim: a top-level claim's lines
-- come from the batch the claim was cut from (claims.batch_id, indexed), and claim_lines is
-- keyed by claim.
DROP INDEX claim_lines_batch_line;
