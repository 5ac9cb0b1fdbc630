-- AgreementService schema: agreements, their versions (never changed), each version's required
-- parties with their standing, and the case's agreement log: a hash chain of every event,
-- append-only. Every table carries case_id first in its key.
CREATE SCHEMA IF NOT EXISTS agreements;

CREATE TABLE agreements.agreements (
  case_id         uuid        NOT NULL,
  agreement_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
  position        bigint      GENERATED ALWAYS AS IDENTITY,  -- creation order, for pages
  current_version integer     NOT NULL DEFAULT 1,
  status          smallint    NOT NULL DEFAULT 1,  -- of the current version (AgreementStatus)
  end_reason      text        NOT NULL DEFAULT '',
  request_id      uuid,
  create_time     timestamptz NOT NULL DEFAULT now(),
  update_time     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agreements_pkey PRIMARY KEY (case_id, agreement_id),
  CONSTRAINT agreements_position_key UNIQUE (position),
  CONSTRAINT uniq_agreement_request UNIQUE (case_id, request_id)
);
CREATE INDEX agreements_case_idx ON agreements.agreements (case_id, position);

CREATE TABLE agreements.versions (
  case_id           uuid        NOT NULL,
  agreement_id      uuid        NOT NULL,
  version           integer     NOT NULL,
  text              text        NOT NULL,  -- as written
  goals             text[]      NOT NULL DEFAULT '{}',  -- goal ids
  performers        text[]      NOT NULL DEFAULT '{}',  -- parties: 'organizations/ID' or 'participants/ID'
  schedule          text        NOT NULL DEFAULT '',
  start_date        date,
  end_date          date,
  consultation_date date,
  proposed_by       text        NOT NULL,
  proposed_by_org   text        NOT NULL,
  propose_time      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT versions_pkey PRIMARY KEY (case_id, agreement_id, version),
  CONSTRAINT versions_agreement_fkey FOREIGN KEY (case_id, agreement_id) REFERENCES agreements.agreements
);

-- A version's required parties, in the order named, with each one's standing (the history of
-- answers is the log).
CREATE TABLE agreements.parties (
  case_id           uuid        NOT NULL,
  agreement_id      uuid        NOT NULL,
  version           integer     NOT NULL,
  ordinal           smallint    NOT NULL,
  party             text        NOT NULL,  -- 'organizations/ID' or 'participants/ID'
  party_org         text,                  -- the organisation id of an organisation party
  answer            smallint,              -- Answer; NULL: none (or acceptance withdrawn)
  comment           text        NOT NULL DEFAULT '',
  answered_by       text        NOT NULL DEFAULT '',
  answered_by_org   text        NOT NULL DEFAULT '',
  answer_time       timestamptz,
  withdrawn         boolean     NOT NULL DEFAULT false,
  withdrawal_reason text        NOT NULL DEFAULT '',
  CONSTRAINT parties_pkey PRIMARY KEY (case_id, agreement_id, version, party),
  CONSTRAINT parties_version_fkey FOREIGN KEY (case_id, agreement_id, version) REFERENCES agreements.versions
);
-- What an organisation has still to answer.
CREATE INDEX parties_awaiting_idx ON agreements.parties (party_org) WHERE answer IS NULL;

-- The head of each case's chain: taking its row lock serialises a case's agreement changes, so
-- the log is numbered without gaps in commit order.
CREATE TABLE agreements.chain_heads (
  case_id       uuid   NOT NULL,
  last_sequence bigint NOT NULL DEFAULT 0,
  last_hash     text   NOT NULL DEFAULT repeat('0', 64),
  CONSTRAINT chain_heads_pkey PRIMARY KEY (case_id)
);

CREATE TABLE agreements.log (
  case_id       uuid        NOT NULL,
  sequence      bigint      NOT NULL,
  position      bigint      GENERATED ALWAYS AS IDENTITY,  -- across cases, for lists since a time
  kind          smallint    NOT NULL,  -- EventKind
  agreement_id  uuid        NOT NULL,
  version       integer     NOT NULL,
  event_time    timestamptz NOT NULL,
  canonical     text        NOT NULL,  -- exactly as hashed
  previous_hash text        NOT NULL,
  hash          text        NOT NULL,
  CONSTRAINT log_pkey PRIMARY KEY (case_id, sequence),
  CONSTRAINT log_position_key UNIQUE (position)
);
CREATE INDEX log_case_time_idx ON agreements.log (case_id, event_time);

CREATE FUNCTION agreements.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table %.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON agreements.log
  FOR EACH ROW EXECUTE FUNCTION agreements.refuse_change();
CREATE TRIGGER versions_append_only BEFORE UPDATE OR DELETE ON agreements.versions
  FOR EACH ROW EXECUTE FUNCTION agreements.refuse_change();
