-- Organisations are named by their resource name everywhere in the API ("organizations/{id}"),
-- here too. The snapshots already in careplan.changes keep the bare id they were written with.
CREATE OR REPLACE FUNCTION careplan.evaluation_json(e careplan.evaluations) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_strip_nulls(json_build_object(
    'name', 'cases/' || e.case_id || '/evaluations/' || e.evaluation_id,
    'goal', 'cases/' || e.case_id || '/goals/' || e.goal_id, 'evaluationDate', careplan.date_json(e.evaluation_date),
    'clientRating', json_build_object('score', e.client_rating), 'clientNote', e.client_note,
    'professionalRating', CASE WHEN e.professional_rating IS NULL THEN NULL
                               ELSE json_build_object('score', e.professional_rating) END,
    'professionalNote', e.professional_note, 'nextEvaluationDate', careplan.date_json(e.next_evaluation),
    'recordedByOrganization', 'organizations/' || e.recorded_by_org, 'recordedBy', e.recorded_by,
    'recordTime', careplan.time_json(e.record_time)))
$$;
