-- A failed transaction that ops set aside (the partner resent a corrected file, say) is
-- `dismissed`: off the failed queue, not replayable, its error and audit trail kept. The
-- state's CHECK (named by PostgreSQL after its column) is widened; existing rows all hold.
ALTER TABLE transactions DROP CONSTRAINT transactions_state_check;
ALTER TABLE transactions ADD CONSTRAINT transactions_state_check
    CHECK (state IN ('received', 'processing', 'done', 'failed', 'dismissed'));
