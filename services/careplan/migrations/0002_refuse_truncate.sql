-- TRUNCATE passes row triggers by: the care plan's history and evaluations refuse it too.
CREATE TRIGGER changes_no_truncate BEFORE TRUNCATE ON careplan.changes
  FOR EACH STATEMENT EXECUTE FUNCTION careplan.refuse_change();
CREATE TRIGGER evaluations_no_truncate BEFORE TRUNCATE ON careplan.evaluations
  FOR EACH STATEMENT EXECUTE FUNCTION careplan.refuse_change();
