-- CarePlanService schema: one care plan per case, its goals (with each participant's
-- disagreement), actions and evaluations, and the history of every change. Every table carries
-- case_id first in its key, so the data can later be distributed by case.
CREATE SCHEMA IF NOT EXISTS careplan;

-- The plan's own fields. The row is made by the first change to the case's plan; every change to
-- the plan or anything in it takes this row's lock and its next revision, so a case's changes
-- are numbered 1, 2, 3, ... without gaps, in commit order.
CREATE TABLE careplan.plans (
  case_id         uuid        NOT NULL,
  state           smallint    NOT NULL DEFAULT 1,  -- kruispunt.careplan.v1.CarePlanState
  state_reason    text        NOT NULL DEFAULT '',
  next_review     date,
  version         integer     NOT NULL DEFAULT 1,  -- etag of the plan's own fields
  revision        bigint      NOT NULL DEFAULT 0,  -- changes made to the plan and everything in it
  update_time     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT plans_pkey PRIMARY KEY (case_id)
);

CREATE TABLE careplan.goals (
  case_id          uuid        NOT NULL,
  goal_id          uuid        NOT NULL DEFAULT gen_random_uuid(),
  position         bigint      GENERATED ALWAYS AS IDENTITY,  -- creation order, for pages
  statement        text        NOT NULL,                      -- as written
  life_domain      smallint    NOT NULL,
  held_by          uuid        NOT NULL,                      -- participant id
  held_by_role     smallint    NOT NULL,
  priority         integer     NOT NULL CHECK (priority >= 1),
  client_agreement smallint    NOT NULL,
  state            smallint    NOT NULL DEFAULT 1,            -- kruispunt.careplan.v1.GoalState
  state_reason     text        NOT NULL DEFAULT '',
  target_date      date,
  next_evaluation  date,
  version          integer     NOT NULL DEFAULT 1,
  request_id       uuid,
  create_time      timestamptz NOT NULL DEFAULT now(),
  update_time      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT goals_pkey PRIMARY KEY (case_id, goal_id),
  CONSTRAINT goals_position_key UNIQUE (position),
  CONSTRAINT uniq_goal_request UNIQUE (case_id, request_id)
);
CREATE INDEX goals_case_position_idx ON careplan.goals (case_id, position);
-- Goals still being worked on, by their next evaluation: the overdue lists.
CREATE INDEX goals_due_idx ON careplan.goals (next_evaluation, position) WHERE state IN (2, 3, 4);

CREATE TABLE careplan.disagreements (
  case_id        uuid        NOT NULL,
  goal_id        uuid        NOT NULL,
  participant_id uuid        NOT NULL,
  note           text        NOT NULL,  -- as written
  recorded_by    text        NOT NULL,  -- person id
  record_time    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT disagreements_pkey PRIMARY KEY (case_id, goal_id, participant_id),
  CONSTRAINT disagreements_goal_fkey FOREIGN KEY (case_id, goal_id) REFERENCES careplan.goals
);

CREATE TABLE careplan.actions (
  case_id      uuid        NOT NULL,
  action_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
  position     bigint      GENERATED ALWAYS AS IDENTITY,
  goal_id      uuid        NOT NULL,
  description  text        NOT NULL,
  responsible  uuid        NOT NULL,  -- participant id
  due_date     date,
  status       smallint    NOT NULL DEFAULT 1,  -- kruispunt.careplan.v1.ActionStatus
  version      integer     NOT NULL DEFAULT 1,
  request_id   uuid,
  create_time  timestamptz NOT NULL DEFAULT now(),
  update_time  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT actions_pkey PRIMARY KEY (case_id, action_id),
  CONSTRAINT actions_goal_fkey FOREIGN KEY (case_id, goal_id) REFERENCES careplan.goals,
  CONSTRAINT uniq_action_request UNIQUE (case_id, request_id)
);
CREATE INDEX actions_goal_idx ON careplan.actions (case_id, goal_id, position);

-- Evaluations are facts of a moment: never changed.
CREATE TABLE careplan.evaluations (
  case_id             uuid        NOT NULL,
  evaluation_id       uuid        NOT NULL DEFAULT gen_random_uuid(),
  position            bigint      GENERATED ALWAYS AS IDENTITY,
  goal_id             uuid        NOT NULL,
  evaluation_date     date        NOT NULL,
  client_rating       smallint    NOT NULL CHECK (client_rating BETWEEN 1 AND 10),
  client_note         text        NOT NULL DEFAULT '',
  professional_rating smallint    CHECK (professional_rating BETWEEN 1 AND 10),
  professional_note   text        NOT NULL DEFAULT '',
  next_evaluation     date        NOT NULL,
  recorded_by_org     text        NOT NULL,
  recorded_by         text        NOT NULL,
  request_id          uuid,
  record_time         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT evaluations_pkey PRIMARY KEY (case_id, evaluation_id),
  CONSTRAINT evaluations_goal_fkey FOREIGN KEY (case_id, goal_id) REFERENCES careplan.goals,
  CONSTRAINT uniq_evaluation_request UNIQUE (case_id, request_id)
);
CREATE INDEX evaluations_goal_idx ON careplan.evaluations (case_id, goal_id, evaluation_date DESC, position DESC);

-- Every change: who, when, what changed, and the changed resource after it (protobuf JSON).
CREATE TABLE careplan.changes (
  case_id      uuid        NOT NULL,
  revision     bigint      NOT NULL,
  change_time  timestamptz NOT NULL DEFAULT now(),
  organization text        NOT NULL,
  person       text        NOT NULL,
  target       text        NOT NULL,  -- resource name
  kind         smallint    NOT NULL,  -- kruispunt.careplan.v1.ChangeKind
  fields       text[]      NOT NULL DEFAULT '{}',
  reason       text        NOT NULL DEFAULT '',
  snapshot     jsonb       NOT NULL,
  CONSTRAINT changes_pkey PRIMARY KEY (case_id, revision)
);

-- Resources as protobuf JSON (kruispunt.careplan.v1, lowerCamelCase field names), built here once
-- so that every read, and every snapshot in the history, gives the same shape; the service
-- parses them with protobuf's JSON parser. GetCarePlan reads a whole plan in one statement.
-- goal_json, the one with subqueries, is PL/pgSQL, whose plans are cached per session: as an SQL
-- function it could not be inlined and was planned anew on every call; the others are inlined.
-- They build json, not jsonb, which would parse and sort every object again. (A plan of 10 goals
-- x 3 actions x 5 evaluations, read alone: 3.0 ms as jsonb SQL functions, 2.4 ms with goal_json
-- in PL/pgSQL, 1.7 ms as json.)
CREATE FUNCTION careplan.date_json(d date) RETURNS json LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN d IS NULL THEN NULL ELSE json_build_object(
    'year', extract(year FROM d)::int, 'month', extract(month FROM d)::int, 'day', extract(day FROM d)::int) END
$$;

CREATE FUNCTION careplan.time_json(t timestamptz) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT to_json(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- The plan's own fields, with `goals` (NULL: without them, as in the history).
CREATE FUNCTION careplan.plan_json(p careplan.plans, goals json) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_strip_nulls(json_build_object(
    'name', 'cases/' || p.case_id || '/carePlan', 'state', p.state, 'stateReason', p.state_reason,
    'nextReviewDate', careplan.date_json(p.next_review), 'goals', goals, 'revision', p.revision,
    'etag', p.version::text,
    'updateTime', careplan.time_json(p.update_time)))
$$;

CREATE FUNCTION careplan.action_json(a careplan.actions) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_strip_nulls(json_build_object(
    'name', 'cases/' || a.case_id || '/actions/' || a.action_id, 'goal', 'cases/' || a.case_id || '/goals/' || a.goal_id,
    'description', a.description, 'responsible', 'cases/' || a.case_id || '/participants/' || a.responsible,
    'dueDate', careplan.date_json(a.due_date), 'status', a.status, 'etag', a.version::text,
    'createTime', careplan.time_json(a.create_time), 'updateTime', careplan.time_json(a.update_time)))
$$;

CREATE FUNCTION careplan.evaluation_json(e careplan.evaluations) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_strip_nulls(json_build_object(
    'name', 'cases/' || e.case_id || '/evaluations/' || e.evaluation_id,
    'goal', 'cases/' || e.case_id || '/goals/' || e.goal_id, 'evaluationDate', careplan.date_json(e.evaluation_date),
    'clientRating', json_build_object('score', e.client_rating), 'clientNote', e.client_note,
    'professionalRating', CASE WHEN e.professional_rating IS NULL THEN NULL
                               ELSE json_build_object('score', e.professional_rating) END,
    'professionalNote', e.professional_note, 'nextEvaluationDate', careplan.date_json(e.next_evaluation),
    'recordedByOrganization', e.recorded_by_org, 'recordedBy', e.recorded_by,
    'recordTime', careplan.time_json(e.record_time)))
$$;

-- A goal with its disagreements; with_work adds its actions and its latest evaluation.
CREATE FUNCTION careplan.goal_json(g careplan.goals, with_work boolean) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN json_strip_nulls(json_build_object(
      'name', 'cases/' || g.case_id || '/goals/' || g.goal_id, 'statement', g.statement,
      'lifeDomain', g.life_domain, 'heldBy', 'cases/' || g.case_id || '/participants/' || g.held_by,
      'heldByRole', g.held_by_role, 'priority', g.priority, 'clientAgreement', g.client_agreement,
      'disagreements', (SELECT json_agg(json_build_object(
                           'participant', 'cases/' || d.case_id || '/participants/' || d.participant_id,
                           'note', d.note, 'recordTime', careplan.time_json(d.record_time), 'recordedBy', d.recorded_by)
                         ORDER BY d.record_time, d.participant_id)
                        FROM careplan.disagreements d WHERE d.case_id = g.case_id AND d.goal_id = g.goal_id),
      'state', g.state, 'stateReason', g.state_reason, 'targetDate', careplan.date_json(g.target_date),
      'nextEvaluationDate', careplan.date_json(g.next_evaluation),
      'actions', CASE WHEN with_work THEN
                   (SELECT json_agg(careplan.action_json(a) ORDER BY a.position) FROM careplan.actions a
                     WHERE a.case_id = g.case_id AND a.goal_id = g.goal_id) END,
      'latestEvaluation', CASE WHEN with_work THEN
                   (SELECT careplan.evaluation_json(e) FROM careplan.evaluations e
                     WHERE e.case_id = g.case_id AND e.goal_id = g.goal_id
                     ORDER BY e.evaluation_date DESC, e.position DESC LIMIT 1) END,
      'etag', g.version::text, 'createTime', careplan.time_json(g.create_time),
      'updateTime', careplan.time_json(g.update_time)));
END $$;

CREATE FUNCTION careplan.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table %.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER changes_append_only BEFORE UPDATE OR DELETE ON careplan.changes
  FOR EACH ROW EXECUTE FUNCTION careplan.refuse_change();
CREATE TRIGGER evaluations_append_only BEFORE UPDATE OR DELETE ON careplan.evaluations
  FOR EACH ROW EXECUTE FUNCTION careplan.refuse_change();
