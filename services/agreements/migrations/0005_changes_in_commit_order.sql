-- ListAgreementChanges reads the log in the order its entries committed, so that a reader that
-- resumes from a cursor misses no entry (issue 20). A position (identity) or a time is taken
-- before commit: an entry can commit after a later-numbered one was read, and a cursor past that
-- one skipped it. Each entry now carries the id of the transaction that wrote it. A reader takes
-- only entries of transactions below its snapshot's xmin, all of which have ended; so no entry
-- can still appear below a cursor it returned, and it orders them by (transaction, position).
-- Per case this is commit order too: every change of a case's agreements takes the case's chain
-- lock as its transaction's first write, so a later writer of the case gets a later id.
--
-- Existing entries, all committed, take this migration's transaction id: they stay before every
-- later entry, in position order among themselves.
ALTER TABLE agreements.log ADD COLUMN transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The writer's own transaction, whatever an INSERT says: a row claiming an older transaction
-- would appear behind cursors already handed out, and be missed.
CREATE FUNCTION agreements.stamp_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.transaction_id := pg_current_xact_id();
  RETURN NEW;
END $$;
CREATE TRIGGER log_stamp_transaction BEFORE INSERT ON agreements.log
  FOR EACH ROW EXECUTE FUNCTION agreements.stamp_transaction();

-- A case's changes in commit order (the list reads each case through it); the time index served
-- the `since` filter, which is gone.
CREATE INDEX log_case_commit_idx ON agreements.log (case_id, transaction_id, position);
DROP INDEX agreements.log_case_time_idx;
-- Nothing reads the whole log in position order any more (agreements/0004 added it for that).
DROP INDEX agreements.log_position_idx;
