-- The change feed reads the teams' history in the order its entries committed (issue 20), as it
-- reads the agreement log (agreements/0005): each entry carries the id of the transaction that
-- wrote it, and a reader takes only transactions below its snapshot's xmin, all ended, ordered by
-- (transaction, change_seq). Per case this is commit order: a change to a team first takes the
-- case's history lock, which assigns no transaction id (common/history_order.h).
--
-- Existing entries, all committed, take this migration's transaction id: they stay before every
-- later entry, in their order among themselves. (The feed gives a partner no change of a case from
-- before the transaction that added it to the team: for a partner added before this migration,
-- that is this migration's, so the feed gives it nothing older. It errs on the side of less.)
ALTER TABLE team.team_changes ADD COLUMN transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id();

-- The writer's own transaction, whatever an INSERT says: an entry claiming an older transaction
-- would appear behind cursors already handed out, and be missed.
CREATE FUNCTION team.stamp_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.transaction_id := pg_current_xact_id();
  RETURN NEW;
END $$;
CREATE TRIGGER team_changes_stamp_transaction BEFORE INSERT ON team.team_changes
  FOR EACH ROW EXECUTE FUNCTION team.stamp_transaction();

CREATE INDEX team_changes_case_commit_idx ON team.team_changes (case_id, transaction_id, change_seq);
-- The endings of participations in commit order: an organisation that left a case is no longer
-- among its cases, and the feed still tells it that its access ended.
CREATE INDEX team_changes_endings_commit_idx ON team.team_changes (transaction_id, change_seq) WHERE kind = 2;
-- The participations whose period has run out and that are not closed yet: TeamService closes them
-- (and records the ending) within --expiry-check-seconds, so that the feed tells the
-- organisation that its access ended without waiting for the team's next change.
CREATE INDEX participations_expiring_idx ON team.participations (valid_until) WHERE end_time IS NULL;
