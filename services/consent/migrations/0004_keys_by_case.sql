-- Every unique key of a case's data includes case_id, so that the tables can be distributed by
-- case (Citus; docs/operations.md) without losing a rule. Consents and withdrawals are read per
-- case in event order, which the new keys' indexes serve.
ALTER TABLE consent.consents DROP CONSTRAINT consents_event_seq_key;
ALTER TABLE consent.consents ADD CONSTRAINT consents_case_event_key UNIQUE (case_id, event_seq);
ALTER TABLE consent.withdrawals DROP CONSTRAINT withdrawals_event_seq_key;
ALTER TABLE consent.withdrawals ADD CONSTRAINT withdrawals_case_event_key UNIQUE (case_id, event_seq);
