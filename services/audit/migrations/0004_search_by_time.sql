-- The DPO's search reads a time window newest first (issue 23): indexes that bound each of its
-- statements by the window instead of walking the whole log by sequence. They replace the
-- sequence indexes, which only that search used (a case's log has its primary key).
CREATE INDEX access_log_time_idx ON audit.access_log (entry_time, entry_seq);
CREATE INDEX access_log_organization_time_idx ON audit.access_log (organization, entry_time, entry_seq);
-- Denials are few: their own small index, so a search for them reads only them.
CREATE INDEX access_log_denied_time_idx ON audit.access_log (entry_time, entry_seq) WHERE decision = 2;
DROP INDEX audit.access_log_seq_idx;
DROP INDEX audit.access_log_org_idx;
