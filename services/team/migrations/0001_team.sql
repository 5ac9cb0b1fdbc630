-- TeamService schema: the partner directory, people, and case teams with their history.
CREATE SCHEMA IF NOT EXISTS team;

-- Partner organisations. org_id is the "org" claim of its people's tokens.
CREATE TABLE team.organizations (
  org_id       text        NOT NULL CHECK (org_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  org_seq      bigint      GENERATED ALWAYS AS IDENTITY,
  kbo_number   char(10)    NOT NULL CHECK (kbo_number ~ '^[01][0-9]{9}$'),
  display_name text        NOT NULL,
  kind         smallint    NOT NULL CHECK (kind BETWEEN 1 AND 9),
  email        text        NOT NULL DEFAULT '',
  phone        text        NOT NULL DEFAULT '',
  street       text        NOT NULL DEFAULT '',
  postal_code  text        NOT NULL DEFAULT '',
  city         text        NOT NULL DEFAULT '',
  active       boolean     NOT NULL DEFAULT true,
  version      integer     NOT NULL DEFAULT 1,
  create_time  timestamptz NOT NULL DEFAULT now(),
  update_time  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organizations_pkey PRIMARY KEY (org_id),
  CONSTRAINT organizations_seq_key UNIQUE (org_seq),
  CONSTRAINT uniq_organization_kbo UNIQUE (kbo_number)
);

-- People who can take part in a case team. A professional's person_id is their token subject;
-- others get a generated id. Clients are CaseService's and not kept here.
CREATE TABLE team.people (
  person_id       text        NOT NULL CHECK (person_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  person_seq      bigint      GENERATED ALWAYS AS IDENTITY,
  kind            smallint    NOT NULL CHECK (kind IN (1, 2)),
  organization    text        REFERENCES team.organizations (org_id),
  profession      text        NOT NULL DEFAULT '',
  given_name      text        NOT NULL,
  family_name     text        NOT NULL,
  email           text        NOT NULL DEFAULT '',
  phone           text        NOT NULL DEFAULT '',
  street          text        NOT NULL DEFAULT '',
  postal_code     text        NOT NULL DEFAULT '',
  city            text        NOT NULL DEFAULT '',
  registering_org text        NOT NULL,
  request_id      uuid,
  created_by      text        NOT NULL,
  create_time     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT people_pkey PRIMARY KEY (person_id),
  CONSTRAINT people_professional_has_org CHECK ((kind = 1) = (organization IS NOT NULL)),
  CONSTRAINT uniq_person_request UNIQUE (registering_org, request_id)
);

-- The cases TeamService knows of, as CaseService reported them (owner, client, state).
CREATE TABLE team.cases (
  case_id       uuid        NOT NULL,
  owner_org     text        NOT NULL,
  client_id     uuid        NOT NULL,
  case_state    smallint    NOT NULL,
  register_time timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT team_cases_pkey PRIMARY KEY (case_id)
);

-- Who takes part in a case, with which role and mandate (permissions: bit n = Permission n),
-- for which period. Ending sets end_time; the row is otherwise never changed.
CREATE TABLE team.participations (
  case_id         uuid        NOT NULL REFERENCES team.cases (case_id),
  participant_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
  participant_seq bigint      GENERATED ALWAYS AS IDENTITY,
  person_id       text        REFERENCES team.people (person_id),
  client_id       uuid,
  organization    text,
  role            smallint    NOT NULL CHECK (role BETWEEN 1 AND 8),
  permissions     integer     NOT NULL CHECK (permissions > 0),
  life_domains    smallint[]  NOT NULL DEFAULT '{}',
  valid_from      timestamptz NOT NULL DEFAULT now(),
  valid_until     timestamptz,
  end_time        timestamptz,
  end_reason      text        NOT NULL DEFAULT '',
  request_id      uuid,
  added_by_org    text        NOT NULL,
  added_by_person text        NOT NULL,
  create_time     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT participations_pkey PRIMARY KEY (case_id, participant_id),
  CONSTRAINT participations_client_or_person CHECK ((role = 1) = (client_id IS NOT NULL) AND
                                                    (client_id IS NULL) = (person_id IS NOT NULL)),
  CONSTRAINT participations_period CHECK (valid_until IS NULL OR valid_until > valid_from),
  CONSTRAINT uniq_participation_request UNIQUE (case_id, request_id)
);
-- The rules the database keeps even if the code had a bug: one client, at most one care
-- coordinator not ended, a person holds a role in a team once at a time.
CREATE UNIQUE INDEX one_client_per_case ON team.participations (case_id) WHERE role = 1;
CREATE UNIQUE INDEX one_care_coordinator_per_case ON team.participations (case_id)
  WHERE role = 6 AND end_time IS NULL;
CREATE UNIQUE INDEX one_role_per_person_per_case ON team.participations (case_id, person_id, role)
  WHERE end_time IS NULL;
CREATE INDEX participations_case_org_idx ON team.participations (case_id, organization)
  WHERE end_time IS NULL;
CREATE INDEX participations_org_idx ON team.participations (organization, participant_seq)
  WHERE end_time IS NULL;
CREATE INDEX participations_person_idx ON team.participations (person_id, participant_seq)
  WHERE end_time IS NULL;

-- Every change to a team: who, when, why. Never updated, never deleted.
CREATE TABLE team.team_changes (
  case_id           uuid        NOT NULL REFERENCES team.cases (case_id),
  change_seq        bigint      GENERATED ALWAYS AS IDENTITY,
  participant_id    uuid        NOT NULL,
  kind              smallint    NOT NULL CHECK (kind IN (1, 2)),
  role              smallint    NOT NULL,
  reason            text        NOT NULL DEFAULT '',
  changed_by_org    text        NOT NULL,
  changed_by_person text        NOT NULL,
  change_time       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT team_changes_pkey PRIMARY KEY (case_id, change_seq)
);

CREATE FUNCTION team.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'history table %.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER team_changes_append_only
  BEFORE UPDATE OR DELETE ON team.team_changes
  FOR EACH ROW EXECUTE FUNCTION team.refuse_change();
