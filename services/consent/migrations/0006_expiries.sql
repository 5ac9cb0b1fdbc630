-- A consent given for a period stops covering anyone when the period ends: the access decision reads
-- the period, so from that moment nothing more is shared. So that the organisations it named are
-- told (the change feed's CHANGE_KIND_ACCESS_ENDED) and the case's consent history shows it,
-- ConsentService records each end here within --expiry-check-seconds, as an event like a grant or
-- a withdrawal: in the same sequence, stamped with the writing transaction's id (consent/0005),
-- after the case's history lock. Never updated, never deleted.
CREATE TABLE consent.expiries (
  case_id        uuid        NOT NULL,
  consent_id     uuid        NOT NULL,
  event_seq      bigint      NOT NULL DEFAULT nextval('consent.event_seq'),
  expire_time    timestamptz NOT NULL,  -- the consent's valid_until
  record_time    timestamptz NOT NULL DEFAULT now(),
  transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT consent_expired_once PRIMARY KEY (case_id, consent_id),
  CONSTRAINT expiries_consent_fkey FOREIGN KEY (case_id, consent_id) REFERENCES consent.consents,
  CONSTRAINT expiries_case_event_key UNIQUE (case_id, event_seq)
);
CREATE TRIGGER expiries_append_only BEFORE UPDATE OR DELETE ON consent.expiries
  FOR EACH ROW EXECUTE FUNCTION consent.refuse_change();
CREATE TRIGGER expiries_no_truncate BEFORE TRUNCATE ON consent.expiries
  FOR EACH STATEMENT EXECUTE FUNCTION consent.refuse_change();
CREATE TRIGGER expiries_stamp_transaction BEFORE INSERT ON consent.expiries
  FOR EACH ROW EXECUTE FUNCTION consent.stamp_transaction();
CREATE INDEX expiries_case_commit_idx ON consent.expiries (case_id, transaction_id, event_seq);

-- The consents by the end of their period, for finding those that just ended.
CREATE INDEX consents_valid_until_idx ON consent.consents (valid_until) WHERE valid_until IS NOT NULL;
