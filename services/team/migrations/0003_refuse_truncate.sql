-- TRUNCATE passes row triggers by: the history of team changes refuses it too.
CREATE TRIGGER team_changes_no_truncate BEFORE TRUNCATE ON team.team_changes
  FOR EACH STATEMENT EXECUTE FUNCTION team.refuse_change();
