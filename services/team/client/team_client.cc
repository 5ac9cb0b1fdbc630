#include "team/client/team_client.h"

#include "common/auth.h"
#include "common/errors.h"
#include "common/validation.h"

namespace kp::team {

namespace {
constexpr const char* kPeer = "the team service";
constexpr const char* kUnavailable = "TEAM_UNAVAILABLE";
}  // namespace

std::vector<v1::TeamFacts> DescribeTeams(TeamClient& team, const PeerContext& context,
                                         std::vector<v1::TeamQuery> queries) {
  if (queries.empty()) return {};
  v1::DescribeTeamsRequest request;
  const auto asked = queries.size();
  for (auto& q : queries) *request.add_queries() = std::move(q);
  auto response = team.DescribeTeams(context, request);
  RequireOneAnswerEach(response.facts_size(), asked, kPeer);
  return {std::make_move_iterator(response.mutable_facts()->begin()),
          std::make_move_iterator(response.mutable_facts()->end())};
}

std::string ProfessionalKey(std::string_view org_id, std::string_view subject) {
  return std::string(org_id) + "/" + std::string(subject);
}

std::string PersonName(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return "people/" + std::string(key);
  return OrganizationName(key.substr(0, slash)) + "/people/" + std::string(key.substr(slash + 1));
}

std::optional<std::string> PersonKey(std::string_view name) {
  constexpr std::string_view kPeople = "people/", kOrganizations = "organizations/", kInfix = "/people/";
  if (name.rfind(kPeople, 0) == 0) {
    const auto id = name.substr(kPeople.size());
    if (IsValidPrincipalId(id)) return std::string(id);
    return std::nullopt;
  }
  if (name.rfind(kOrganizations, 0) != 0) return std::nullopt;
  const auto rest = name.substr(kOrganizations.size());
  const auto infix = rest.find(kInfix);
  if (infix == std::string_view::npos) return std::nullopt;
  const auto org = rest.substr(0, infix), subject = rest.substr(infix + kInfix.size());
  if (!IsValidPrincipalId(org) || !IsValidPrincipalId(subject)) return std::nullopt;
  return ProfessionalKey(org, subject);
}

void RequireCaseOpen(int case_state) {
  constexpr int kClosed = 4;  // kruispunt.cases.v1.CASE_STATE_CLOSED
  if (case_state == kClosed)
    throw Error::FailedPrecondition("CASE_CLOSED", "a closed case is read-only; reopen it first");
}

std::vector<std::string> OrganizationCases(TeamClient& team, const PeerContext& context, const std::string& org_id) {
  v1::ListOrganizationCasesRequest request;
  request.set_organization(OrganizationName(org_id));
  const auto response = team.ListOrganizationCases(context, request);
  std::vector<std::string> ids;
  for (const auto& name : response.cases())
    ids.push_back(name.substr(std::string_view("cases/").size()));
  return ids;
}

std::map<std::string, int64_t> OrganizationCasesSince(TeamClient& team, const PeerContext& context,
                                                      const std::string& org_id) {
  v1::ListOrganizationCasesRequest request;
  request.set_organization(OrganizationName(org_id));
  request.set_with_since(true);
  const auto response = team.ListOrganizationCases(context, request);
  RequireOneAnswerEach(response.since_transactions_size(), static_cast<std::size_t>(response.cases_size()),
                       "the team service");
  std::map<std::string, int64_t> since;
  for (int i = 0; i < response.cases_size(); ++i)
    since.emplace(response.cases(i).substr(std::string_view("cases/").size()), response.since_transactions(i));
  return since;
}

std::vector<std::pair<std::string, int64_t>> PartnerCasesPage(TeamClient& team, const PeerContext& context,
                                                              const std::string& org_id, int64_t after_position,
                                                              int limit) {
  v1::ListOrganizationCasesRequest request;
  request.set_organization(OrganizationName(org_id));
  request.set_partner_only(true);
  request.set_limit(limit);
  request.set_after_position(after_position);
  const auto response = team.ListOrganizationCases(context, request);
  RequireOneAnswerEach(response.positions_size(), static_cast<std::size_t>(response.cases_size()), "the team service");
  std::vector<std::pair<std::string, int64_t>> page;
  for (int i = 0; i < response.cases_size(); ++i)
    page.emplace_back(response.cases(i).substr(std::string_view("cases/").size()), response.positions(i));
  return page;
}

std::map<std::string, v1::Organization> FindOrganizations(TeamClient& team, const PeerContext& context,
                                                          const std::vector<std::string>& org_ids) {
  std::map<std::string, v1::Organization> found;
  if (org_ids.empty()) return found;
  v1::LookUpOrganizationsRequest request;
  for (const auto& id : org_ids) request.add_names(OrganizationName(id));
  auto response = team.LookUpOrganizations(context, request);
  for (auto& organization : *response.mutable_organizations())
    if (auto id = ParseOrganizationName(organization.name())) found[*id] = std::move(organization);
  return found;
}

void RemoteTeamClient::RegisterCases(const PeerContext& context, const v1::RegisterCasesRequest& request) {
  CallRemote<v1::TeamInternalService, v1::RegisterCasesRequest, v1::RegisterCasesResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.RegisterCases(args...); }, kPeer,
      kUnavailable);
}

v1::DescribeTeamsResponse RemoteTeamClient::DescribeTeams(const PeerContext& context,
                                                          const v1::DescribeTeamsRequest& request) {
  return CallRemote<v1::TeamInternalService, v1::DescribeTeamsRequest, v1::DescribeTeamsResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.DescribeTeams(args...); }, kPeer,
      kUnavailable);
}

v1::ListOrganizationCasesResponse RemoteTeamClient::ListOrganizationCases(
    const PeerContext& context, const v1::ListOrganizationCasesRequest& request) {
  return CallRemote<v1::TeamInternalService, v1::ListOrganizationCasesRequest, v1::ListOrganizationCasesResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.ListOrganizationCases(args...); },
      kPeer, kUnavailable);
}

v1::LookUpOrganizationsResponse RemoteTeamClient::LookUpOrganizations(const PeerContext& context,
                                                                      const v1::LookUpOrganizationsRequest& request) {
  return CallRemote<v1::TeamInternalService, v1::LookUpOrganizationsRequest, v1::LookUpOrganizationsResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.LookUpOrganizations(args...); }, kPeer,
      kUnavailable);
}

v1::ReadTeamChangesResponse RemoteTeamClient::ReadTeamChanges(const PeerContext& context,
                                                              const v1::ReadTeamChangesRequest& request) {
  return CallRemote<v1::TeamInternalService, v1::ReadTeamChangesRequest, v1::ReadTeamChangesResponse>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.ReadTeamChanges(args...); }, kPeer,
      kUnavailable);
}

v1::Participant RemoteTeamClient::JoinFromReferral(const PeerContext& context, const v1::JoinFromReferralRequest& request) {
  return CallRemote<v1::TeamInternalService, v1::JoinFromReferralRequest, v1::Participant>(
      peers_, context, request, [](auto& stub, auto... args) { return stub.JoinFromReferral(args...); }, kPeer,
      kUnavailable);
}

grpc::Status DirectoryGate::Verdict(const Entry& entry) {
  if (!entry.exists)
    return Error::PermissionDenied("ORGANIZATION_UNKNOWN",
                                   "the organisation in your token is not in Kruispunt's partner directory")
        .ToStatus();
  if (!entry.active)
    return Error::PermissionDenied("ORGANIZATION_INACTIVE", "the organisation in your token is not active")
        .ToStatus();
  return grpc::Status::OK;
}

DirectoryGate::Entry DirectoryGate::EntryOf(const std::map<std::string, v1::Organization>& found,
                                            const std::string& organization,
                                            std::chrono::steady_clock::time_point fetched) {
  const auto it = found.find(organization);
  return Entry{it != found.end(), it != found.end() && it->second.active(), fetched};
}

const DirectoryGate::Entry* DirectoryGate::FreshLocked(const std::string& organization,
                                                       std::chrono::steady_clock::time_point now) const {
  const auto it = cache_.find(organization);
  return it != cache_.end() && now - it->second.fetched < kTtl ? &it->second : nullptr;
}

void DirectoryGate::RememberLocked(const std::string& organization, const Entry& entry) {
  if (cache_.size() >= 10000) cache_.clear();
  cache_[organization] = entry;
}

grpc::Status DirectoryGate::LookUp(DbPool::Session& session, const std::string& organization, Entry& entry) {
  Call lookup;
  lookup.request_id = "directory";
  lookup.deadline = std::chrono::system_clock::now() + Peers::kCallTimeout;
  std::map<std::string, v1::Organization> found;
  const grpc::Status status =
      RunMapped("DirectoryGate", [&] { found = FindOrganizations(team_, {session.conn(), lookup}, {organization}); });
  if (!status.ok()) return status;
  entry = EntryOf(found, organization, std::chrono::steady_clock::now());
  return grpc::Status::OK;
}

void DirectoryGate::Check(const std::string& organization, std::function<void(const grpc::Status&)> done) {
  {
    std::lock_guard lock(mutex_);
    if (const auto* known = FreshLocked(organization, std::chrono::steady_clock::now())) {
      const auto verdict = Verdict(*known);
      done(verdict);
      return;
    }
  }
  auto lookup = [this, organization, done](DbPool::Session& session) {
    Entry entry{};
    const auto failed = LookUp(session, organization, entry);
    if (!failed.ok()) return done(failed);
    {
      std::lock_guard lock(mutex_);
      RememberLocked(organization, entry);
    }
    done(Verdict(entry));
  };
  if (!pool_.Submit(std::move(lookup))) done(OverloadedStatus());
}

std::set<std::string> DirectoryGate::ActiveAmong(const PeerContext& context,
                                                const std::set<std::string>& organizations) {
  std::set<std::string> active;
  std::vector<std::string> unknown;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    for (const auto& id : organizations) {
      const auto* known = FreshLocked(id, now);
      if (!known) unknown.push_back(id);
      else if (known->active) active.insert(id);
    }
  }
  for (std::size_t from = 0; from < unknown.size(); from += 100) {  // LookUpOrganizations takes 100
    const std::vector<std::string> batch(unknown.begin() + static_cast<std::ptrdiff_t>(from),
                                         unknown.begin() + static_cast<std::ptrdiff_t>(std::min(from + 100, unknown.size())));
    const auto found = FindOrganizations(team_, context, batch);
    std::lock_guard lock(mutex_);
    for (const auto& id : batch) {
      const auto entry = EntryOf(found, id, now);
      RememberLocked(id, entry);
      if (entry.active) active.insert(id);
    }
  }
  return active;
}

void DirectoryGate::Forget(const std::string& organization) {
  std::lock_guard lock(mutex_);
  cache_.erase(organization);
}

}  // namespace kp::team
