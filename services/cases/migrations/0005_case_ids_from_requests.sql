-- A case created with a request_id now gets an id derived from its owner and that request_id
-- (cases/domain/case_id.h), so the primary key keeps one case per request and the unique key
-- without case_id goes: every unique key of a case's data includes case_id. Cases created before
-- keep their ids; a retry of their requests still finds them by owner and request_id.
ALTER TABLE cases.cases DROP CONSTRAINT uniq_case_request;
CREATE INDEX cases_request_idx ON cases.cases (owner_org, request_id) WHERE request_id IS NOT NULL;
