-- ReferralService schema: a case's referrals and every change of them. Keyed by case, as all case
-- data is (docs: distributed by case later).
CREATE SCHEMA IF NOT EXISTS referrals;

-- A referral as it stands now. Rows change (status, hold, due date) but are never deleted: the
-- trigger below refuses DELETE and TRUNCATE to every role, the owner's too.
CREATE TABLE referrals.referrals (
  case_id            uuid        NOT NULL,
  referral_id        uuid        NOT NULL DEFAULT gen_random_uuid(),
  -- The order referrals were sent in, for pages.
  position           bigint      GENERATED ALWAYS AS IDENTITY,
  referring_org      text        NOT NULL,
  referring_person   text        NOT NULL,
  receiving_org      text        NOT NULL CHECK (receiving_org ~ '^[A-Za-z0-9._:-]{1,64}$'),
  service_id         uuid,       -- a service of receiving_org on the social map, if named
  kind               smallint    NOT NULL CHECK (kind BETWEEN 1 AND 3),          -- ReferralKind
  question           text        NOT NULL CHECK (question <> ''),
  life_domain        smallint    NOT NULL CHECK (life_domain > 0),
  goals              uuid[]      NOT NULL DEFAULT '{}',
  shared_categories  integer     NOT NULL CHECK (shared_categories > 0),        -- bit n: DataCategory n
  proposed_mandate   integer     NOT NULL DEFAULT 0,                            -- bit n: Permission n
  answer_days        smallint    NOT NULL CHECK (answer_days BETWEEN 1 AND 14),
  due_date           date        NOT NULL,
  status             smallint    NOT NULL DEFAULT 1 CHECK (status BETWEEN 1 AND 8),  -- ReferralStatus
  outcome            smallint    NOT NULL DEFAULT 0 CHECK (outcome BETWEEN 0 AND 5), -- ReferralOutcome
  status_reason      text        NOT NULL DEFAULT '',
  on_hold            boolean     NOT NULL DEFAULT false,
  participant_id     uuid,       -- the participant the acceptance added
  request_id         uuid,
  version            integer     NOT NULL DEFAULT 1,
  create_time        timestamptz NOT NULL DEFAULT now(),
  update_time        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT referrals_pkey PRIMARY KEY (case_id, referral_id),
  CONSTRAINT uniq_referral_request UNIQUE (case_id, referring_org, request_id)
);
CREATE INDEX referrals_case_idx ON referrals.referrals (case_id, position);
-- A receiving organisation's referrals, and its open ones apart (the few it works on).
CREATE INDEX referrals_receiver_idx ON referrals.referrals (receiving_org, position);
CREATE INDEX referrals_receiver_open_idx ON referrals.referrals (receiving_org, position)
  WHERE status IN (1, 2, 3, 5);

-- Every change of a referral, its sending first: who, when, why, and where it stood after.
-- Append-only.
CREATE TABLE referrals.changes (
  case_id        uuid        NOT NULL,
  referral_id    uuid        NOT NULL,
  revision       integer     NOT NULL,   -- the referral's version after the change
  status         smallint    NOT NULL,
  outcome        smallint    NOT NULL,
  on_hold        boolean     NOT NULL,
  reason         text        NOT NULL DEFAULT '',
  due_date       date        NOT NULL,
  by_org         text        NOT NULL,
  by_person      text        NOT NULL,
  change_time    timestamptz NOT NULL DEFAULT now(),
  -- The writer's transaction, so that the change feed can read changes in commit order
  -- (careplan/0006 says how).
  transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT changes_pkey PRIMARY KEY (case_id, referral_id, revision),
  CONSTRAINT changes_referral_fkey FOREIGN KEY (case_id, referral_id) REFERENCES referrals.referrals
);

CREATE FUNCTION referrals.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table %.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER changes_append_only BEFORE UPDATE OR DELETE ON referrals.changes
  FOR EACH ROW EXECUTE FUNCTION referrals.refuse_change();
CREATE TRIGGER changes_no_truncate BEFORE TRUNCATE ON referrals.changes
  FOR EACH STATEMENT EXECUTE FUNCTION referrals.refuse_change();

-- A change's time and transaction are the database's, whatever an INSERT says: history cannot be
-- dated back, nor slipped behind a feed's cursor.
CREATE FUNCTION referrals.stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_time := now();
  NEW.transaction_id := pg_current_xact_id();
  RETURN NEW;
END $$;
CREATE TRIGGER changes_stamp BEFORE INSERT ON referrals.changes
  FOR EACH ROW EXECUTE FUNCTION referrals.stamp_change();

-- A referral is never erased: its history refers to it.
CREATE FUNCTION referrals.refuse_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rows of %.% are never deleted', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER referrals_no_erasure BEFORE DELETE OR TRUNCATE ON referrals.referrals
  FOR EACH STATEMENT EXECUTE FUNCTION referrals.refuse_erasure();

-- Each idempotent create's request_id, bound to its request's content (common/idempotency.h).
CREATE TABLE referrals.request_ids (
  organization text        NOT NULL,
  method       text        NOT NULL,
  request_id   uuid        NOT NULL,
  fingerprint  text        NOT NULL,  -- SHA-256 of the request without its request_id
  create_time  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT request_ids_pkey PRIMARY KEY (organization, method, request_id)
);
