-- The change feed gives a referral's changes to its receiving organisation as well, also before
-- (or without) it taking part in the case (issue 22, item 4). It finds the referrals an
-- organisation receives that changed after the reader's cursor by their receiver and the
-- transaction of their last change, which every write of the row stamps.
ALTER TABLE referrals.referrals ADD COLUMN last_transaction xid8;
UPDATE referrals.referrals r SET last_transaction =
  (SELECT max(c.transaction_id) FROM referrals.changes c WHERE c.case_id = r.case_id AND c.referral_id = r.referral_id);
ALTER TABLE referrals.referrals ALTER COLUMN last_transaction SET NOT NULL;

-- Every write of a referral's row is one of its changes (referrals.changes has the same
-- transaction): stamped whatever an INSERT or UPDATE says.
CREATE FUNCTION referrals.stamp_last_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.last_transaction := pg_current_xact_id();
  RETURN NEW;
END $$;
CREATE TRIGGER referrals_stamp_last_transaction BEFORE INSERT OR UPDATE ON referrals.referrals
  FOR EACH ROW EXECUTE FUNCTION referrals.stamp_last_transaction();

CREATE INDEX referrals_receiver_changed_idx ON referrals.referrals (receiving_org, last_transaction);
