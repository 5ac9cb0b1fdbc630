-- TRUNCATE passes row triggers by: emptying the withdrawals would bring every withdrawn consent
-- back into force. Consents and withdrawals refuse it too.
CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consent.consents
  FOR EACH STATEMENT EXECUTE FUNCTION consent.refuse_change();
CREATE TRIGGER withdrawals_no_truncate BEFORE TRUNCATE ON consent.withdrawals
  FOR EACH STATEMENT EXECUTE FUNCTION consent.refuse_change();
