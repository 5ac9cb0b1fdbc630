-- AuditService schema: the access log. Append-only: every access decision, never changed.
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE audit.access_log (
  case_id      uuid        NOT NULL,
  entry_seq    bigint      GENERATED ALWAYS AS IDENTITY,
  organization text        NOT NULL,
  person       text        NOT NULL,
  category     smallint    NOT NULL,
  action       smallint    NOT NULL,
  purpose      smallint    NOT NULL,
  decision     smallint    NOT NULL,
  ground       smallint    NOT NULL,
  deny_reason  smallint    NOT NULL,
  consents     uuid[]      NOT NULL DEFAULT '{}',
  rpc          text        NOT NULL,
  request_id   text        NOT NULL,
  entry_time   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT access_log_pkey PRIMARY KEY (case_id, entry_seq)
);
CREATE INDEX access_log_seq_idx ON audit.access_log (entry_seq);
CREATE INDEX access_log_org_idx ON audit.access_log (organization, entry_seq);

CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table %.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON audit.access_log
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
