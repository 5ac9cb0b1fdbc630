-- A professional's person id is their token subject, which only their own organisation's identity
-- provider vouches for: it is unique within that organisation, not across the platform. So that no
-- organisation can register (and take first) another's professional, a professional is kept under
-- the key "{org}/{subject}", named "organizations/{org}/people/{subject}" in the API; a person
-- without an organisation keeps their generated id, named "people/{id}" (team/client/team_client.h).
ALTER TABLE team.participations DROP CONSTRAINT participations_person_id_fkey;
ALTER TABLE team.people DROP CONSTRAINT people_person_id_check;
UPDATE team.people SET person_id = organization || '/' || person_id WHERE kind = 1;
UPDATE team.participations SET person_id = organization || '/' || person_id
  WHERE person_id IS NOT NULL AND organization IS NOT NULL;
ALTER TABLE team.people ADD CONSTRAINT people_person_id_check CHECK (
  CASE kind
    WHEN 1 THEN person_id ~ '^[A-Za-z0-9._:-]{1,64}/[A-Za-z0-9._:-]{1,64}$'
                AND split_part(person_id, '/', 1) = organization
    ELSE person_id ~ '^[A-Za-z0-9._:-]{1,64}$'
  END);
ALTER TABLE team.participations ADD CONSTRAINT participations_person_id_fkey
  FOREIGN KEY (person_id) REFERENCES team.people (person_id);
