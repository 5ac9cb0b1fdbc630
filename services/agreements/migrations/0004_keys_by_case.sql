-- Every unique key of a case's data includes case_id, so that the tables can be distributed by
-- case (Citus; docs/operations.md) without losing a rule. A position is unique through its
-- identity column anyway; the plain index keeps the lists across cases in position order.
ALTER TABLE agreements.agreements DROP CONSTRAINT agreements_position_key;
ALTER TABLE agreements.agreements ADD CONSTRAINT agreements_case_position_key UNIQUE (case_id, position);
DROP INDEX agreements.agreements_case_idx;  -- the new key's index, the same columns
CREATE INDEX agreements_position_idx ON agreements.agreements (position);
ALTER TABLE agreements.log DROP CONSTRAINT log_position_key;
ALTER TABLE agreements.log ADD CONSTRAINT log_case_position_key UNIQUE (case_id, position);
CREATE INDEX log_position_idx ON agreements.log (position);
