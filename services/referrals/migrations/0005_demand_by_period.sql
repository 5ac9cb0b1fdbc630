-- The gap matrix's demand of one calendar quarter (GetGapMatrix's quarter): a zone's referrals
-- and unmet needs by their postal codes and the time they were sent or recorded, still counted
-- from the indexes alone.
DROP INDEX referrals.referrals_demand_idx;
CREATE INDEX referrals_demand_idx ON referrals.referrals (client_postal_code, create_time)
  INCLUDE (life_domain, client_age_group, status, ever_waitlisted);
DROP INDEX referrals.unmet_needs_demand_idx;
CREATE INDEX unmet_needs_demand_idx ON referrals.unmet_needs (client_postal_code, create_time)
  INCLUDE (life_domain, client_age_group);

-- The time a referral was sent is the database's, whatever an INSERT says, and no UPDATE changes
-- it: the matrix counts referrals by it, so the run-time role cannot move one out of a quarter,
-- and the counts of a quarter that has ended stay as they were.
CREATE FUNCTION referrals.keep_create_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.create_time := now();
  ELSIF NEW.create_time IS DISTINCT FROM OLD.create_time THEN
    RAISE EXCEPTION 'the time a referral was sent never changes' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER referrals_keep_create_time BEFORE INSERT OR UPDATE ON referrals.referrals
  FOR EACH ROW EXECUTE FUNCTION referrals.keep_create_time();
