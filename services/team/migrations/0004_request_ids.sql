-- Each idempotent create's request_id, bound to its request's content (common/idempotency.h): the
-- same request_id with other content is refused instead of answered with the first result.
CREATE TABLE team.request_ids (
  organization text        NOT NULL,
  method       text        NOT NULL,
  request_id   uuid        NOT NULL,
  fingerprint  text        NOT NULL,  -- SHA-256 of the request without its request_id
  create_time  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT request_ids_pkey PRIMARY KEY (organization, method, request_id)
);
