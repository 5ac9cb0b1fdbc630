-- The cases an organisation owns, for ListOrganizationCases (lists across an organisation's cases).
CREATE INDEX team_cases_owner_idx ON team.cases (owner_org);
