// TeamService's SQL: named prepared statements and the mapping of their rows to messages. Team
// changes run in one transaction that first locks the case's row, so that concurrent changes to
// one team are serialised and the team's rules are checked against what is committed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/db_pool.h"
#include "common/validation.h"
#include "kruispunt/team/v1/team.pb.h"
#include "kruispunt/team/v1/team_internal.pb.h"
#include "team/domain/team_rules.h"

namespace kp::team {

namespace v1 = kruispunt::team::v1;

const std::vector<PreparedStatement>& Statements();

struct NewOrganization {
  std::string org_id, kbo_number, display_name;
  int kind;
  ContactValues contact;
};

struct OrganizationChanges {
  std::optional<std::string> display_name;
  std::optional<int> kind;
  ContactChanges contact;
  std::optional<bool> active;
};

struct NewPerson {
  std::string person_id;  // empty: generate one
  PersonKind kind;
  std::optional<std::string> organization;
  std::string profession, given_name, family_name;
  ContactValues contact;
  std::string registering_org, created_by;
  std::optional<std::string> request_id;
};

struct NewParticipation {
  std::string case_id, person_id;
  Role role;
  int32_t permissions;
  std::string life_domains;                      // smallint[] literal
  std::optional<int64_t> valid_from_micros, valid_until_micros;
  std::optional<std::string> request_id;
  std::string reason, added_by_org, added_by_person;
};

// The case as TeamService knows it, and where the caller stands in its team.
struct TeamCase {
  std::string owner_org;
  int case_state;
  TeamStanding standing;
  std::optional<std::string> current_coordinator;  // participant id
};

struct PersonFacts {
  PersonKind kind;
  std::optional<std::string> organization;
  bool organization_active;
};

struct ParticipationFacts {
  Role role;
  bool ended;  // by hand or by its period
};

// --- directory ---
void InsertOrganization(pqxx::connection& conn, const NewOrganization& org, v1::Organization& out);
bool GetOrganization(pqxx::connection& conn, const std::string& org_id, v1::Organization& out);
// Those of the organisations (validated ids) that are in the directory, in one statement.
void LookUpOrganizations(pqxx::connection& conn, const std::vector<std::string>& org_ids,
                         v1::LookUpOrganizationsResponse& out);
std::optional<int64_t> ListOrganizations(pqxx::connection& conn, std::optional<int> kind,
                                         bool active_only, int64_t after_seq, int limit,
                                         v1::ListOrganizationsResponse& out);
// False when nothing matched (missing, or a stale expected_version).
bool UpdateOrganization(pqxx::connection& conn, const std::string& org_id,
                        const OrganizationChanges& changes, std::optional<int> expected_version,
                        v1::Organization& out);
std::optional<int> OrganizationVersion(pqxx::connection& conn, const std::string& org_id);

// False when the person's organisation is not in the directory.
bool InsertPerson(pqxx::connection& conn, const NewPerson& person, v1::Person& out);
// Also gives the registering organisation, which decides who may see an informal person.
bool GetPerson(pqxx::connection& conn, const std::string& person_id, v1::Person& out,
               std::string& registering_org);

// --- teams (in the caller's transaction) ---
// Locks the case's team row until commit, then reads the case and the caller's standing.
std::optional<TeamCase> LockTeamCase(pqxx::transaction_base& tx, const std::string& case_id,
                                     const std::string& caller_org, const std::string& caller_person);
std::optional<PersonFacts> FindPerson(pqxx::transaction_base& tx, const std::string& person_id);
std::optional<ParticipationFacts> FindParticipation(pqxx::transaction_base& tx,
                                                    const std::string& case_id,
                                                    const std::string& participant_id);
std::optional<std::string> ParticipantByRequest(pqxx::transaction_base& tx, const std::string& case_id,
                                                const std::string& request_id);
// Returns the new participant's id; the team's history records it.
std::string InsertParticipation(pqxx::transaction_base& tx, const NewParticipation& p);
// Ends a participation not yet ended; the history records it. False if it was already ended.
// Ends (at their valid_until) the case's participations whose validity period has passed, recorded
// as changes by the caller whose change to the team came first.
void CloseExpiredParticipations(pqxx::transaction_base& tx, const std::string& case_id, const std::string& by_org,
                                const std::string& by_person);
// Closes, as the system, the expired participations of at most `limit` of the cases that have some,
// each case in a transaction of its own; returns how many cases it looked at.
std::size_t CloseDueExpiries(pqxx::connection& conn, int limit);
bool EndParticipation(pqxx::transaction_base& tx, const std::string& case_id,
                      const std::string& participant_id, const std::string& reason,
                      const std::string& by_org, const std::string& by_person);
void ReadParticipant(pqxx::transaction_base& tx, const std::string& case_id,
                     const std::string& participant_id, v1::Participant& out);

std::optional<int64_t> ListParticipants(pqxx::connection& conn, const std::string& case_id,
                                        bool include_ended, int64_t after_seq, int limit,
                                        v1::ListParticipantsResponse& out);
std::optional<int64_t> ListTeamChanges(pqxx::connection& conn, const std::string& case_id,
                                       int64_t after_seq, int limit, v1::ListTeamChangesResponse& out);
// For the change feed: the cases' team changes after (transaction, sequence) and below the horizon,
// in commit order, at most `limit`; with an organisation id, also the endings of its participations
// in any case.
void ReadTeamChanges(pqxx::connection& conn, const std::vector<std::string>& case_ids,
                     const std::string& ended_for_org, int64_t after_transaction, int64_t after_seq, int64_t horizon,
                     int limit, v1::ReadTeamChangesResponse& out);
// Current (active or pending) participations of a person, or of an organisation.
std::optional<int64_t> ListParticipationsOfPerson(pqxx::connection& conn, const std::string& person_id,
                                                  int64_t after_seq, int limit,
                                                  v1::ListParticipationsResponse& out);
std::optional<int64_t> ListParticipationsOfOrganization(pqxx::connection& conn, const std::string& org_id,
                                                        int64_t after_seq, int limit,
                                                        v1::ListParticipationsResponse& out);

// --- for Kruispunt's services ---
struct CaseRegistration {
  std::string case_id, owner_org, client_id, created_by;
  int case_state;
};
// Records the case (and its client as a participant) or its new state. Moving a case to the
// active state needs an active care coordinator: throws FAILED_PRECONDITION otherwise.
void RegisterCase(pqxx::transaction_base& tx, const CaseRegistration& c);

// What a case's team grants an organisation and a person now (see TeamFacts in team.proto).
struct TeamQuery {
  std::string case_id, org, person;
  std::vector<std::string> participant_ids;
};
struct ParticipantFact {
  bool found = false;
  Role role = Role::kClient;
  bool active = false;
  std::string member;  // the person's name (PersonName) or "clients/{uuid}"
};
struct TeamFact {
  bool case_known = false;
  std::string owner_org;
  int case_state = 0;
  int32_t org_permissions = 0;                     // bit set of the org's active participations
  std::vector<std::string> person_participations;  // participant ids
  TeamStanding standing;
  std::optional<std::string> current_coordinator;  // participant id
  std::vector<ParticipantFact> participants;       // per asked id, in order
};
std::vector<TeamFact> DescribeTeams(pqxx::connection& conn, const std::vector<TeamQuery>& queries);
// The cases the organisation owns or has an active participation in (case ids).
std::vector<std::string> OrganizationCases(pqxx::connection& conn, const std::string& org_id);
// The same, each with the transaction in which the organisation's part in it began (0: it owns it).
std::map<std::string, int64_t> OrganizationCasesSince(pqxx::connection& conn, const std::string& org_id);
// A page of the cases the organisation takes part in now without owning them, in the order it
// joined them: (case id, position) after `after_position`, at most `limit`.
std::vector<std::pair<std::string, int64_t>> PartnerCasesPage(pqxx::connection& conn, const std::string& org_id,
                                                              int64_t after_position, int limit);
// The same, in the caller's transaction.
std::vector<TeamFact> Describe(pqxx::transaction_base& tx, const std::vector<TeamQuery>& queries);

}  // namespace kp::team
