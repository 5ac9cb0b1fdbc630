-- An entry is named under its case by an id that reveals nothing: a global counter in its name
-- ("accessLog/25") showed every organisation the platform's volume. The sequence stays, for order
-- and paging, inside the server.
ALTER TABLE audit.access_log ADD COLUMN entry_id uuid NOT NULL DEFAULT gen_random_uuid();
