-- Every unique key of a case's data includes case_id, so that the tables can be distributed by
-- case (Citus; docs/operations.md) without losing a rule. Goals are listed per case (or for a set
-- of cases) in position order, which the new key's index serves.
ALTER TABLE careplan.goals DROP CONSTRAINT goals_position_key;
ALTER TABLE careplan.goals ADD CONSTRAINT goals_case_position_key UNIQUE (case_id, position);
DROP INDEX careplan.goals_case_position_idx;  -- the new key's index, the same columns
