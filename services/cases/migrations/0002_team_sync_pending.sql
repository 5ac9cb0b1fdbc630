-- Cases whose owner, client or state TeamService has not confirmed yet. Only used where
-- TeamService runs in another process: the mark is written in the transaction of the case's
-- change and cleared once TeamService confirmed that version (or a later one); what a failed or
-- lost confirmation leaves is re-sent by CaseService's reconciler (cases/grpc/case_service.cc).
-- Where both services share one process and database, the case and its team commit together and
-- nothing is marked.
CREATE TABLE cases.team_sync_pending (
  case_id   uuid        NOT NULL,
  version   integer     NOT NULL,
  mark_time timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT team_sync_pending_pkey PRIMARY KEY (case_id),
  CONSTRAINT team_sync_pending_case_fkey FOREIGN KEY (case_id) REFERENCES cases.cases (case_id)
);
CREATE INDEX team_sync_pending_time_idx ON cases.team_sync_pending (mark_time);
