-- A claim whose lines its batch lines carry (0018) is read a page at a time by claim line
-- number (`claim_lines_page`: the carried lines of its batch numbered above the page's
-- `after`, in number order, LIMIT the page). Without an index on that number each page read
-- every carried line of the batch above `after` and sorted them for the first few hundred; an
-- index on (batch, claim line number) gives the page as a range, in order, stopping at the
-- LIMIT. Partial: the lines of a batch no claim carries (unclaimed, disputed, or any line
-- before 0018) have no number and stay out of it.
CREATE INDEX batch_lines_claim_line ON batch_lines (batch_id, claim_line_no)
    WHERE claim_line_no IS NOT NULL;
