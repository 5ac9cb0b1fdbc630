-- Who made a service's last change or confirmation: the caller's organisation (its "org" claim) and
-- person (its token subject). Records from before this migration name nobody ('').
ALTER TABLE socialmap.services
  ADD COLUMN changed_by_org    text NOT NULL DEFAULT '',
  ADD COLUMN changed_by_person text NOT NULL DEFAULT '';
