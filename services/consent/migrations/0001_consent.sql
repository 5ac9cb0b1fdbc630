-- ConsentService schema: consents and their withdrawals. Both are append-only: a consent is never
-- changed, a withdrawal is a fact of its own, and together they are the case's consent history.
CREATE SCHEMA IF NOT EXISTS consent;

-- One order over grants and withdrawals, for the history.
CREATE SEQUENCE consent.event_seq;

CREATE TABLE consent.consents (
  case_id                uuid        NOT NULL,
  consent_id             uuid        NOT NULL DEFAULT gen_random_uuid(),
  event_seq              bigint      NOT NULL DEFAULT nextval('consent.event_seq'),
  granted_by             uuid        NOT NULL,  -- the granting participant
  grantor_role           smallint    NOT NULL,
  recipient_orgs         text[]      NOT NULL,
  recipient_participants uuid[]      NOT NULL DEFAULT '{}',
  categories             integer     NOT NULL CHECK (categories > 0),  -- bit n: DataCategory n
  purpose                smallint    NOT NULL,
  valid_from             timestamptz NOT NULL DEFAULT now(),
  valid_until            timestamptz,
  method                 smallint    NOT NULL,
  evidence_reference     text        NOT NULL DEFAULT '',
  verified_by            text        NOT NULL,
  verification_note      text        NOT NULL,
  legal_basis            smallint    NOT NULL,
  recorded_by_org        text        NOT NULL,
  request_id             uuid,
  create_time            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT consents_pkey PRIMARY KEY (case_id, consent_id),
  CONSTRAINT consents_event_seq_key UNIQUE (event_seq),
  CONSTRAINT consents_period CHECK (valid_until IS NULL OR valid_until > valid_from),
  CONSTRAINT uniq_consent_request UNIQUE (case_id, request_id)
);

CREATE TABLE consent.withdrawals (
  case_id            uuid        NOT NULL,
  consent_id         uuid        NOT NULL,
  event_seq          bigint      NOT NULL DEFAULT nextval('consent.event_seq'),
  withdrawn_by       uuid        NOT NULL,  -- the participant on whose behalf
  reason             text        NOT NULL DEFAULT '',
  recorded_by_person text        NOT NULL,
  recorded_by_org    text        NOT NULL,
  withdraw_time      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT consent_withdrawn_once PRIMARY KEY (case_id, consent_id),
  CONSTRAINT withdrawals_consent_fkey FOREIGN KEY (case_id, consent_id) REFERENCES consent.consents,
  CONSTRAINT withdrawals_event_seq_key UNIQUE (event_seq)
);

CREATE FUNCTION consent.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table %.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consent.consents
  FOR EACH ROW EXECUTE FUNCTION consent.refuse_change();
CREATE TRIGGER withdrawals_append_only BEFORE UPDATE OR DELETE ON consent.withdrawals
  FOR EACH ROW EXECUTE FUNCTION consent.refuse_change();
