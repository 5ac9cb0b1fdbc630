-- The change feed reads the plans' history in the order its entries committed (issue 20), as it
-- reads the agreement log (agreements/0005): each entry carries the id of the transaction that
-- wrote it, and a reader takes only transactions below its snapshot's xmin, all ended, ordered by
-- (transaction, revision). Per case this is commit order: a change first takes the case's history
-- lock, which assigns no transaction id (common/history_order.h), and its first write comes after
-- it, so a later writer of the case gets a later transaction id.
--
-- Existing entries, all committed, take this migration's transaction id: they stay before every
-- later entry, in revision order among themselves.
ALTER TABLE careplan.changes ADD COLUMN transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The writer's own transaction, whatever an INSERT says: an entry claiming an older transaction
-- would appear behind cursors already handed out, and be missed.
CREATE FUNCTION careplan.stamp_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.transaction_id := pg_current_xact_id();
  RETURN NEW;
END $$;
CREATE TRIGGER changes_stamp_transaction BEFORE INSERT ON careplan.changes
  FOR EACH ROW EXECUTE FUNCTION careplan.stamp_transaction();

CREATE INDEX changes_case_commit_idx ON careplan.changes (case_id, transaction_id, revision);
