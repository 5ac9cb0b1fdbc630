-- The change feed reads consents granted and withdrawn in the order they committed (issue 20), as
-- it reads the agreement log (agreements/0005): each row carries the id of the transaction that
-- wrote it, and a reader takes only transactions below its snapshot's xmin, all ended, ordered by
-- (transaction, event_seq). Per case this is commit order: a grant or a withdrawal first takes the
-- case's history lock, which assigns no transaction id (common/history_order.h).
--
-- Existing rows, all committed, take this migration's transaction id: they stay before every
-- later row, in event order among themselves.
ALTER TABLE consent.consents ADD COLUMN transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE consent.withdrawals ADD COLUMN transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The writer's own transaction, whatever an INSERT says: a row claiming an older transaction would
-- appear behind cursors already handed out, and be missed.
CREATE FUNCTION consent.stamp_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.transaction_id := pg_current_xact_id();
  RETURN NEW;
END $$;
CREATE TRIGGER consents_stamp_transaction BEFORE INSERT ON consent.consents
  FOR EACH ROW EXECUTE FUNCTION consent.stamp_transaction();
CREATE TRIGGER withdrawals_stamp_transaction BEFORE INSERT ON consent.withdrawals
  FOR EACH ROW EXECUTE FUNCTION consent.stamp_transaction();

CREATE INDEX consents_case_commit_idx ON consent.consents (case_id, transaction_id, event_seq);
CREATE INDEX withdrawals_case_commit_idx ON consent.withdrawals (case_id, transaction_id, event_seq);
