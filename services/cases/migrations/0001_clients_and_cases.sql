-- CaseService schema: clients, their cases, and the append-only history of case states.
CREATE SCHEMA IF NOT EXISTS cases;

-- A client as registered by one organisation. Each organisation keeps its own register, so that
-- registering a client never reveals whether another organisation already knows that person.
CREATE TABLE cases.clients (
  client_id          uuid        NOT NULL DEFAULT gen_random_uuid(),
  client_seq         bigint      GENERATED ALWAYS AS IDENTITY,
  registering_org    text        NOT NULL,
  insz               char(11)    NOT NULL CHECK (insz ~ '^[0-9]{11}$'),
  given_name         text        NOT NULL,
  family_name        text        NOT NULL,
  birth_date         date        NOT NULL,
  preferred_language text        NOT NULL DEFAULT '',
  email              text        NOT NULL DEFAULT '',
  phone              text        NOT NULL DEFAULT '',
  street             text        NOT NULL DEFAULT '',
  postal_code        text        NOT NULL DEFAULT '',
  city               text        NOT NULL DEFAULT '',
  request_id         uuid,
  created_by         text        NOT NULL,
  version            integer     NOT NULL DEFAULT 1,
  create_time        timestamptz NOT NULL DEFAULT now(),
  update_time        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT clients_pkey PRIMARY KEY (client_id),
  CONSTRAINT clients_seq_key UNIQUE (client_seq),
  CONSTRAINT uniq_client_insz_per_org UNIQUE (registering_org, insz),
  CONSTRAINT uniq_client_request UNIQUE (registering_org, request_id)
);
CREATE INDEX clients_org_seq_idx ON cases.clients (registering_org, client_seq);

-- A case (dossier). case_id leads every key of case data so it can be distributed by case.
CREATE TABLE cases.cases (
  case_id      uuid        NOT NULL DEFAULT gen_random_uuid(),
  case_seq     bigint      GENERATED ALWAYS AS IDENTITY,
  client_id    uuid        NOT NULL,
  owner_org    text        NOT NULL,
  title        text        NOT NULL,
  summary      text        NOT NULL DEFAULT '',
  life_domains smallint[]  NOT NULL DEFAULT '{}',
  state        smallint    NOT NULL DEFAULT 1,
  state_reason text        NOT NULL DEFAULT '',
  request_id   uuid,
  created_by   text        NOT NULL,
  version      integer     NOT NULL DEFAULT 1,
  create_time  timestamptz NOT NULL DEFAULT now(),
  update_time  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT cases_pkey PRIMARY KEY (case_id),
  CONSTRAINT cases_client_fkey FOREIGN KEY (client_id) REFERENCES cases.clients (client_id),
  CONSTRAINT cases_state_check CHECK (state BETWEEN 1 AND 4),
  CONSTRAINT uniq_case_request UNIQUE (owner_org, request_id)
);
CREATE INDEX cases_owner_seq_idx ON cases.cases (owner_org, case_seq);
CREATE INDEX cases_client_idx ON cases.cases (client_id);

-- Every state change of a case: who, when, why. Never updated, never deleted.
CREATE TABLE cases.case_status_changes (
  case_id           uuid        NOT NULL,
  change_seq        bigint      GENERATED ALWAYS AS IDENTITY,
  from_state        smallint,
  to_state          smallint    NOT NULL,
  reason            text        NOT NULL DEFAULT '',
  changed_by_org    text        NOT NULL,
  changed_by_person text        NOT NULL,
  change_time       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT case_status_changes_pkey PRIMARY KEY (case_id, change_seq),
  CONSTRAINT case_status_changes_case_fkey FOREIGN KEY (case_id) REFERENCES cases.cases (case_id)
);

CREATE FUNCTION cases.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'history table %.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER case_status_changes_append_only
  BEFORE UPDATE OR DELETE ON cases.case_status_changes
  FOR EACH ROW EXECUTE FUNCTION cases.refuse_change();
