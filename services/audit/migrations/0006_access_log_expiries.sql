-- The record of entries that left the log: one row per month removed past retention, with the
-- archive it was exported to (if any) and its checksum. Append-only like the log it accounts for.
CREATE TABLE audit.access_log_expiries (
  expiry_seq     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partition_name text        NOT NULL,
  range_start    timestamptz NOT NULL,
  range_end      timestamptz NOT NULL,
  entry_count    bigint      NOT NULL,
  retention      interval    NOT NULL,
  archive_file   text,
  archive_sha256 text        CHECK (archive_sha256 ~ '^[0-9a-f]{64}$'),
  expired_by     text        NOT NULL DEFAULT current_user,
  expired_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((archive_file IS NULL) = (archive_sha256 IS NULL))
);
-- Only the owner writes or reads it: the run-time role gets no privilege on it (common/migrations.cc).
COMMENT ON TABLE audit.access_log_expiries IS 'Owner only: the months removed from the access log past retention.';
CREATE TRIGGER access_log_expiries_append_only BEFORE UPDATE OR DELETE ON audit.access_log_expiries
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER access_log_expiries_no_truncate BEFORE TRUNCATE ON audit.access_log_expiries
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
