-- The demand side of a zone's gap matrix (issue 22, item 2): each referral is counted by where its
-- client lives and the client's age group, as the referring side gave them, and by whether it was
-- ever wait-listed; a need for which no service was found is recorded on its own.

-- Referrals sent before this migration have neither (''/0) and are not counted.
ALTER TABLE referrals.referrals
  ADD COLUMN client_postal_code text NOT NULL DEFAULT '' CHECK (client_postal_code ~ '^([1-9][0-9]{3})?$'),
  ADD COLUMN client_age_group smallint NOT NULL DEFAULT 0 CHECK (client_age_group BETWEEN 0 AND 3),  -- AgeGroup
  ADD COLUMN ever_waitlisted boolean NOT NULL DEFAULT false;
-- A zone's referrals by its postal codes, counted from the index alone.
CREATE INDEX referrals_demand_idx ON referrals.referrals (client_postal_code)
  INCLUDE (life_domain, client_age_group, status, ever_waitlisted);

-- Needs for which no service was found. Append-only: kept as recorded.
CREATE TABLE referrals.unmet_needs (
  case_id            uuid        NOT NULL,
  need_id            uuid        NOT NULL DEFAULT gen_random_uuid(),
  life_domain        smallint    NOT NULL CHECK (life_domain > 0),
  client_postal_code text        NOT NULL CHECK (client_postal_code ~ '^[1-9][0-9]{3}$'),
  client_age_group   smallint    NOT NULL CHECK (client_age_group BETWEEN 1 AND 3),
  by_org             text        NOT NULL,
  by_person          text        NOT NULL,
  create_time        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT unmet_needs_pkey PRIMARY KEY (case_id, need_id)
);
CREATE INDEX unmet_needs_demand_idx ON referrals.unmet_needs (client_postal_code)
  INCLUDE (life_domain, client_age_group);
CREATE TRIGGER unmet_needs_append_only BEFORE UPDATE OR DELETE ON referrals.unmet_needs
  FOR EACH ROW EXECUTE FUNCTION referrals.refuse_change();
CREATE TRIGGER unmet_needs_no_truncate BEFORE TRUNCATE ON referrals.unmet_needs
  FOR EACH STATEMENT EXECUTE FUNCTION referrals.refuse_change();
-- Its time is the database's, whatever an INSERT says.
CREATE FUNCTION referrals.stamp_create_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.create_time := now();
  RETURN NEW;
END $$;
CREATE TRIGGER unmet_needs_stamp BEFORE INSERT ON referrals.unmet_needs
  FOR EACH ROW EXECUTE FUNCTION referrals.stamp_create_time();
