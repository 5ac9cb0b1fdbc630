// How other services (and the server host) reach TeamService: one interface, implemented by a
// direct call into TeamService's code when this process hosts it (team/grpc/team_service.cc,
// LocalTeamClient) and over gRPC when it runs elsewhere (RemoteTeamClient). Both run on the
// caller's database worker and throw the statuses the caller answers with (common/peer_call.h).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/db_pool.h"
#include "common/peer_call.h"
#include "kruispunt/team/v1/team.grpc.pb.h"
#include "kruispunt/team/v1/team_internal.grpc.pb.h"

namespace kp::team {

namespace v1 = kruispunt::team::v1;

class TeamClient {
 public:
  virtual ~TeamClient() = default;
  // Records cases (their owner, client and state) in TeamService, or their new state. Hosted
  // here, the registration joins context.transaction when there is one.
  virtual void RegisterCases(const PeerContext& context, const v1::RegisterCasesRequest& request) = 0;
  // facts(i) answers queries(i).
  virtual v1::DescribeTeamsResponse DescribeTeams(const PeerContext& context,
                                                  const v1::DescribeTeamsRequest& request) = 0;
  virtual v1::ListOrganizationCasesResponse ListOrganizationCases(
      const PeerContext& context, const v1::ListOrganizationCasesRequest& request) = 0;
  virtual v1::LookUpOrganizationsResponse LookUpOrganizations(const PeerContext& context,
                                                             const v1::LookUpOrganizationsRequest& request) = 0;
  // The change feed's read of the teams' history.
  virtual v1::ReadTeamChangesResponse ReadTeamChanges(const PeerContext& context,
                                                      const v1::ReadTeamChangesRequest& request) = 0;
  // A professional of an accepted referral's receiver joins the team. Hosted here, the join
  // joins context.transaction when there is one.
  virtual v1::Participant JoinFromReferral(const PeerContext& context, const v1::JoinFromReferralRequest& request) = 0;
  // Whether RegisterCases can write in the caller's transaction (TeamService is hosted in this
  // process, on the same database): then a case and its team commit together.
  virtual bool SharesTransactions() const = 0;
};

// The facts of each query's team, facts[i] answering queries[i].
std::vector<v1::TeamFacts> DescribeTeams(TeamClient& team, const PeerContext& context,
                                         std::vector<v1::TeamQuery> queries);
// A closed case is read-only until it is reopened: its team, consents, care plan and agreements
// take nothing new and change nothing. Two things stay possible, so that access can always be taken
// away: ending a participation and withdrawing a consent. Throws FAILED_PRECONDITION CASE_CLOSED
// for a case whose state (TeamFacts.case_state, kruispunt.cases.v1.CaseState) is CLOSED.
void RequireCaseOpen(int case_state);
// The directory entries (active or not) of those of the organisations that are in the directory,
// by id: one call however many are asked (at most 100).
std::map<std::string, v1::Organization> FindOrganizations(TeamClient& team, const PeerContext& context,
                                                          const std::vector<std::string>& org_ids);
// The ids of the cases the organisation owns or takes part in now.
std::vector<std::string> OrganizationCases(TeamClient& team, const PeerContext& context, const std::string& org_id);
// The same, each with the transaction in which the organisation's part in it began (0: it owns it;
// ListOrganizationCasesResponse.since_transactions).
std::map<std::string, int64_t> OrganizationCasesSince(TeamClient& team, const PeerContext& context,
                                                      const std::string& org_id);
// A page of the cases the organisation takes part in now without owning them, in the order it
// joined them: (case id, position) after `after_position`, at most `limit` (1 to 1000).
std::vector<std::pair<std::string, int64_t>> PartnerCasesPage(TeamClient& team, const PeerContext& context,
                                                              const std::string& org_id, int64_t after_position,
                                                              int limit);

// A person's names. A professional's person id is their token subject, which only their own
// organisation vouches for: it is unique within that organisation, so a professional is stored
// under the key "{org}/{subject}" and named "organizations/{org}/people/{subject}" (no
// organisation can take another's person id). Anyone else has a generated id, stored as is and
// named "people/{id}".
std::string ProfessionalKey(std::string_view org_id, std::string_view subject);
std::string PersonName(std::string_view key);
// The key a name (of either form) stands for, or nullopt when it is neither form.
std::optional<std::string> PersonKey(std::string_view name);

class RemoteTeamClient final : public TeamClient {
 public:
  explicit RemoteTeamClient(Peers& peers) : peers_(peers) {}
  void RegisterCases(const PeerContext& context, const v1::RegisterCasesRequest& request) override;
  v1::DescribeTeamsResponse DescribeTeams(const PeerContext& context, const v1::DescribeTeamsRequest& request) override;
  v1::ListOrganizationCasesResponse ListOrganizationCases(const PeerContext& context,
                                                          const v1::ListOrganizationCasesRequest& request) override;
  v1::LookUpOrganizationsResponse LookUpOrganizations(const PeerContext& context,
                                                     const v1::LookUpOrganizationsRequest& request) override;
  v1::ReadTeamChangesResponse ReadTeamChanges(const PeerContext& context,
                                              const v1::ReadTeamChangesRequest& request) override;
  v1::Participant JoinFromReferral(const PeerContext& context, const v1::JoinFromReferralRequest& request) override;
  bool SharesTransactions() const override { return false; }

 private:
  Peers& peers_;
};

// The partner directory as a gate: an organisation must exist and be active. Answers are cached
// for kTtl, so a deactivation reaches other processes within that time; in the process that
// made the change the cache entry is dropped at once (Forget). A lookup runs on a database worker
// of `pool` (TeamService's own query when it is hosted here).
class DirectoryGate : public OrganizationGate {
 public:
  static constexpr std::chrono::seconds kTtl{5};
  DirectoryGate(TeamClient& team, DbPool& pool) : team_(team), pool_(pool) {}

  void Check(const std::string& organization, std::function<void(const grpc::Status&)> done) override;
  void Forget(const std::string& organization) override;
  std::set<std::string> ActiveAmong(const PeerContext& context, const std::set<std::string>& organizations) override;

 private:
  struct Entry {
    bool exists;
    bool active;
    std::chrono::steady_clock::time_point fetched;
  };
  static grpc::Status Verdict(const Entry& entry);
  // The directory's answer about `organization` among those `found`, as of `fetched`.
  static Entry EntryOf(const std::map<std::string, v1::Organization>& found, const std::string& organization,
                       std::chrono::steady_clock::time_point fetched);
  // The cached entry while it is younger than kTtl; call with mutex_ held.
  const Entry* FreshLocked(const std::string& organization, std::chrono::steady_clock::time_point now) const;
  // Caches an entry (the cache is bounded: full, it is emptied and refilled on demand); call with
  // mutex_ held.
  void RememberLocked(const std::string& organization, const Entry& entry);
  // The directory's answer, looked up on the session's connection: the entry, or the status to answer with.
  grpc::Status LookUp(DbPool::Session& session, const std::string& organization, Entry& entry);

  TeamClient& team_;
  DbPool& pool_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace kp::team
