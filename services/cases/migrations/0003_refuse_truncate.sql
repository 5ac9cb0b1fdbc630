-- TRUNCATE passes row triggers by: the history of case states refuses it too.
CREATE TRIGGER case_status_changes_no_truncate BEFORE TRUNCATE ON cases.case_status_changes
  FOR EACH STATEMENT EXECUTE FUNCTION cases.refuse_change();
