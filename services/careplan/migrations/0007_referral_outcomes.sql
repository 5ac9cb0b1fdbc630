-- A referral's outcome noted on a goal it serves: an evaluation of its own kind
-- (kruispunt.careplan.v1.EvaluationKind: 1 a review with the client, 2 a referral's outcome).
-- A review keeps what it always required: the client's rating and the next evaluation date. A
-- referral's outcome has no next evaluation date and the client's rating only when the client gave
-- a view; it keeps the referral's standing as ReferralService gave it when the note was recorded
-- (status and outcome: kruispunt.referrals.v1.ReferralStatus and ReferralOutcome). Evaluations stay
-- append-only (0001, 0002): the new columns are written once, by the INSERT.
ALTER TABLE careplan.evaluations
  ADD COLUMN kind             smallint NOT NULL DEFAULT 1 CHECK (kind IN (1, 2)),
  ADD COLUMN referral_id      uuid,
  ADD COLUMN referral_status  smallint,
  ADD COLUMN referral_outcome smallint,
  ADD COLUMN referral_receiver text,
  ALTER COLUMN client_rating DROP NOT NULL,
  ALTER COLUMN next_evaluation DROP NOT NULL,
  ADD CONSTRAINT evaluations_kind_fields CHECK (
    (kind = 1 AND client_rating IS NOT NULL AND next_evaluation IS NOT NULL AND referral_id IS NULL
     AND referral_status IS NULL AND referral_outcome IS NULL AND referral_receiver IS NULL)
    OR (kind = 2 AND next_evaluation IS NULL AND referral_id IS NOT NULL AND referral_status IS NOT NULL
        AND referral_outcome > 0 AND referral_receiver IS NOT NULL));

CREATE OR REPLACE FUNCTION careplan.evaluation_json(e careplan.evaluations) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_strip_nulls(json_build_object(
    'name', 'cases/' || e.case_id || '/evaluations/' || e.evaluation_id,
    'goal', 'cases/' || e.case_id || '/goals/' || e.goal_id, 'evaluationDate', careplan.date_json(e.evaluation_date),
    'clientRating', CASE WHEN e.client_rating IS NULL THEN NULL ELSE json_build_object('score', e.client_rating) END,
    'clientNote', e.client_note,
    'professionalRating', CASE WHEN e.professional_rating IS NULL THEN NULL
                               ELSE json_build_object('score', e.professional_rating) END,
    'professionalNote', e.professional_note, 'nextEvaluationDate', careplan.date_json(e.next_evaluation),
    'recordedByOrganization', 'organizations/' || e.recorded_by_org, 'recordedBy', e.recorded_by,
    'recordTime', careplan.time_json(e.record_time), 'kind', e.kind,
    'referral', 'cases/' || e.case_id || '/referrals/' || e.referral_id,
    'referralOutcome', CASE WHEN e.kind = 2 THEN json_build_object(
                         'status', e.referral_status, 'outcome', e.referral_outcome,
                         'receivingOrganization', 'organizations/' || e.referral_receiver) END))
$$;

-- A goal's latest evaluation (GetCarePlan) stays its latest review with the client; the index
-- evaluations_goal_idx still serves it, the filter drops the few referral outcomes on the way.
CREATE OR REPLACE FUNCTION careplan.goal_json(g careplan.goals, with_work boolean) RETURNS json LANGUAGE plpgsql STABLE AS $$
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
                     WHERE e.case_id = g.case_id AND e.goal_id = g.goal_id AND e.kind = 1
                     ORDER BY e.evaluation_date DESC, e.position DESC LIMIT 1) END,
      'etag', g.version::text, 'createTime', careplan.time_json(g.create_time),
      'updateTime', careplan.time_json(g.update_time)));
END $$;
