-- First-line zones (eerstelijnszones): the area a zorgraad maps the offer and its gaps for, as the
-- postal codes it covers. Platform administrators maintain them; the gap matrix counts a zone's
-- services through the same GIN index as search (search_keys && the zone's 'p:' keys).
CREATE TABLE socialmap.zones (
  zone_id      text        NOT NULL CHECK (zone_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  position     bigint      GENERATED ALWAYS AS IDENTITY,  -- the order they were added, for pages
  display_name text        NOT NULL CHECK (display_name <> ''),
  postal_codes text[]      NOT NULL CHECK (cardinality(postal_codes) > 0),
  version      integer     NOT NULL DEFAULT 1,
  create_time  timestamptz NOT NULL DEFAULT now(),
  update_time  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT zones_pkey PRIMARY KEY (zone_id),
  CONSTRAINT zones_position_key UNIQUE (position)
);
