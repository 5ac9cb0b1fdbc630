-- The access log partitioned by month (issue 23): a query for a time window reads only the months
-- it spans, a case's log newest first reads the newest month first and stops at a full page, and
-- entries past the retention period leave the log only as whole months (`kruispuntd --job
-- expire-access-log`, docs/operations.md), never row by row. Months are in UTC.
--
-- The rows are copied into the new table: an upgrade rewrites the log once (CHANGELOG.md).
ALTER TABLE audit.access_log RENAME TO access_log_unpartitioned;

-- The same columns, defaults and identity (a sequence of its own, set past the copied rows below).
CREATE TABLE audit.access_log (LIKE audit.access_log_unpartitioned INCLUDING DEFAULTS INCLUDING IDENTITY)
  PARTITION BY RANGE (entry_time);

-- A case's log newest first (and the key: a partitioned table's key includes its partition key).
ALTER INDEX audit.access_log_pkey RENAME TO access_log_unpartitioned_pkey;
ALTER TABLE audit.access_log ADD CONSTRAINT access_log_pkey PRIMARY KEY (case_id, entry_time, entry_seq);
-- The DPO's search by time window: all entries; one organisation's; denials (few: their own index).
ALTER INDEX audit.access_log_time_idx RENAME TO access_log_unpartitioned_time_idx;
ALTER INDEX audit.access_log_organization_time_idx RENAME TO access_log_unpartitioned_organization_time_idx;
ALTER INDEX audit.access_log_denied_time_idx RENAME TO access_log_unpartitioned_denied_time_idx;
CREATE INDEX access_log_time_idx ON audit.access_log (entry_time, entry_seq);
CREATE INDEX access_log_organization_time_idx ON audit.access_log (organization, entry_time, entry_seq);
CREATE INDEX access_log_denied_time_idx ON audit.access_log (entry_time, entry_seq) WHERE decision = 2;

-- Append-only: row triggers on the partitioned table hold for every partition, also one created
-- later; TRUNCATE of a partition fires only that partition's triggers, so each gets its own.
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON audit.access_log
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON audit.access_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

-- The name of the partition of the month `month` falls in (UTC): access_log_yYYYYmMM, e.g.
-- access_log_y2026m12. The one place that names them: the server and the tests ask it too.
CREATE FUNCTION audit.access_log_partition_name(month timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT to_char(date_trunc('month', month AT TIME ZONE 'UTC'), '"access_log_y"YYYY"m"MM')
$$;

-- The partition of the month `month` falls in, with its TRUNCATE guard, unless it exists. Only
-- the schema's owner may create tables here.
CREATE FUNCTION audit.create_access_log_partition(month timestamptz) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  first timestamp := date_trunc('month', month AT TIME ZONE 'UTC');
  name  text := audit.access_log_partition_name(month);
BEGIN
  IF to_regclass(format('audit.%I', name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE audit.%I PARTITION OF audit.access_log FOR VALUES FROM (%L) TO (%L)', name,
                 first AT TIME ZONE 'UTC', (first + interval '1 month') AT TIME ZONE 'UTC');
  EXECUTE format('CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON audit.%I '
                 'FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()', name);
  RETURN true;
END $$;
REVOKE EXECUTE ON FUNCTION audit.create_access_log_partition(timestamptz) FROM PUBLIC;

-- The months ahead: this month and the next three. An entry for a month without a partition
-- fails to be written, and so does the access it records, so AuditService calls this at start and
-- every hour with the owner's rights (SECURITY DEFINER: the run-time role creates no tables).
-- The run-time role gets EXECUTE on it from the migration step (common/migrations.cc).
-- Creating a partition locks the whole log: behind a long read of it, that lock would hold up
-- every append queued after it, so it gives up after a second and is tried again an hour later.
CREATE FUNCTION audit.create_access_log_partitions_ahead() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s' AS $$
DECLARE
  created integer := 0;
BEGIN
  -- Two servers starting at once: one creates, the other then finds the partitions there.
  PERFORM pg_advisory_xact_lock(hashtext('audit.access_log partitions'));
  FOR ahead IN 0..3 LOOP
    IF audit.create_access_log_partition(now() + make_interval(months => ahead)) THEN
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END $$;
REVOKE EXECUTE ON FUNCTION audit.create_access_log_partitions_ahead() FROM PUBLIC;

-- Partitions for every month the log already spans, then the months ahead, then the rows.
SELECT audit.create_access_log_partition(month)
  FROM generate_series(date_trunc('month', (SELECT min(entry_time) FROM audit.access_log_unpartitioned)
                                           AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
                       now(), interval '1 month') AS month;
SELECT audit.create_access_log_partitions_ahead();
INSERT INTO audit.access_log (case_id, entry_seq, organization, person, category, action, purpose, decision,
                              ground, deny_reason, consents, rpc, request_id, entry_time, entry_id)
  OVERRIDING SYSTEM VALUE
  SELECT case_id, entry_seq, organization, person, category, action, purpose, decision, ground, deny_reason,
         consents, rpc, request_id, entry_time, entry_id
    FROM audit.access_log_unpartitioned;
SELECT setval(pg_get_serial_sequence('audit.access_log', 'entry_seq'),
              (SELECT coalesce(max(entry_seq), 0) + 1 FROM audit.access_log_unpartitioned), false);
DROP TABLE audit.access_log_unpartitioned;
