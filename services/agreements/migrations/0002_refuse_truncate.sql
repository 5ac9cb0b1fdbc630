-- TRUNCATE passes row triggers by: the agreement log and versions refuse it too.
CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON agreements.log
  FOR EACH STATEMENT EXECUTE FUNCTION agreements.refuse_change();
CREATE TRIGGER versions_no_truncate BEFORE TRUNCATE ON agreements.versions
  FOR EACH STATEMENT EXECUTE FUNCTION agreements.refuse_change();
