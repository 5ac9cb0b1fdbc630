-- SocialMapService schema: the services partner organisations offer (the social map). It holds no
-- client data: no case, no client, no person.
CREATE SCHEMA IF NOT EXISTS socialmap;

-- What search matches on, as one array that one GIN index serves whatever the filters: 'listed'
-- (active or temporarily closed), 'd:{life domain}', 'p:{postal code served}', 'l:{language}'. An
-- inactive service has no keys, so search never finds it. Search asks `search_keys @> keys` with
-- one key per filter given, or 'listed' when none is.
CREATE FUNCTION socialmap.search_keys(life_domains smallint[], postal_codes text[], languages text[],
                                      status smallint)
  RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN status = 3 THEN '{}'::text[] ELSE
    ARRAY['listed'] || ARRAY(SELECT 'd:' || d FROM unnest(life_domains) d)
                    || ARRAY(SELECT 'p:' || p FROM unnest(postal_codes) p)
                    || ARRAY(SELECT 'l:' || l FROM unnest(languages) l) END
$$;

-- What words search matches on: every start of every word of the text, stemmed in Dutch ('schuld',
-- 'schuldb', ... 'schuldbemiddel' for "Schuldbemiddeling"), so that a searched word finds the
-- compounds it begins ("schulden" finds "Schuldbemiddeling") by an exact match in the index. (A
-- prefix match in the index, 'schuld':*, walks every entry it matches: four times the cost of the
-- whole search, bench/socialmap.sh.)
CREATE FUNCTION socialmap.word_starts(document text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT left(word.lexeme, n))), ''::tsvector)
  FROM unnest(to_tsvector('dutch', document)) AS word, generate_series(1, length(word.lexeme)) AS n
$$;

CREATE TABLE socialmap.services (
  organization text        NOT NULL CHECK (organization ~ '^[A-Za-z0-9._:-]{1,64}$'),  -- TeamService's org id
  service_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
  -- The order of the map, for pages. No index of its own: a search starts from its keys (or words)
  -- and sorts what it found; walking the whole map in this order, filtering, would cost a scan of
  -- the map for every search whose matches are few. ListServices reads it per organisation.
  position     bigint      GENERATED ALWAYS AS IDENTITY,
  display_name text        NOT NULL CHECK (display_name <> ''),
  description  text        NOT NULL DEFAULT '',
  life_domains smallint[]  NOT NULL CHECK (cardinality(life_domains) > 0),
  minimum_age  smallint    NOT NULL DEFAULT 0 CHECK (minimum_age BETWEEN 0 AND 120),
  maximum_age  smallint,  -- NULL: no upper limit
  eligibility  text        NOT NULL DEFAULT '',
  postal_codes text[]      NOT NULL CHECK (cardinality(postal_codes) > 0),  -- the area served
  locations    jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(locations) = 'array'),
  email        text        NOT NULL DEFAULT '',
  phone        text        NOT NULL DEFAULT '',
  website      text        NOT NULL DEFAULT '',
  how_to_apply text        NOT NULL DEFAULT '',
  languages    text[]      NOT NULL DEFAULT '{}',
  cost         text        NOT NULL DEFAULT '',
  status       smallint    NOT NULL DEFAULT 1 CHECK (status BETWEEN 1 AND 3),  -- ServiceStatus
  search_keys  text[]      GENERATED ALWAYS AS (socialmap.search_keys(life_domains, postal_codes, languages, status)) STORED,
  search_text  tsvector    GENERATED ALWAYS AS (socialmap.word_starts(display_name || ' ' || description || ' ' || eligibility)) STORED,
  request_id   uuid,
  version      integer     NOT NULL DEFAULT 1,
  assure_time  timestamptz NOT NULL DEFAULT now(),  -- when the organisation last confirmed the record
  create_time  timestamptz NOT NULL DEFAULT now(),
  update_time  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT services_pkey PRIMARY KEY (organization, service_id),
  CONSTRAINT uniq_service_request UNIQUE (organization, request_id),
  CONSTRAINT services_age_range CHECK (maximum_age BETWEEN minimum_age AND 120)
);
CREATE INDEX services_organization_idx ON socialmap.services (organization, position);
-- One GIN index over both, so that a search by keys and words finds the services that match both in
-- the index and reads only those (two indexes read every service of the keys, bench/socialmap.sh).
-- Without a pending list (fastupdate): the map is read far more often than written, and every
-- search would walk what the list holds.
CREATE INDEX services_search_idx ON socialmap.services USING gin (search_keys, search_text) WITH (fastupdate = off);

-- Each idempotent create's request_id, bound to its request's content (common/idempotency.h).
CREATE TABLE socialmap.request_ids (
  organization text        NOT NULL,
  method       text        NOT NULL,
  request_id   uuid        NOT NULL,
  fingerprint  text        NOT NULL,  -- SHA-256 of the request without its request_id
  create_time  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT request_ids_pkey PRIMARY KEY (organization, method, request_id)
);
