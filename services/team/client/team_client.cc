#include "team/client/team_client.h"

#include "common/errors.h"
#include "common/peer_call.h"

namespace kp::team {

void TeamClient::RegisterCases(std::vector<v1::CaseRegistration> cases,
                               std::function<void(const grpc::Status&)> done) {
  v1::RegisterCasesRequest request;
  for (auto& c : cases) *request.add_cases() = std::move(c);
  CallPeer<v1::TeamService, v1::RegisterCasesRequest, v1::RegisterCasesResponse>(
      peers_, 
      std::move(request), [](auto* async, auto... args) { async->RegisterCases(args...); },
      [done = std::move(done)](const grpc::Status& status, const v1::RegisterCasesResponse&) { done(status); });
}

void TeamClient::DescribeTeams(std::vector<v1::TeamQuery> queries,
                               std::function<void(const grpc::Status&, const std::vector<v1::TeamFacts>&)> done) {
  v1::DescribeTeamsRequest request;
  const auto count = queries.size();
  for (auto& q : queries) *request.add_queries() = std::move(q);
  CallPeer<v1::TeamService, v1::DescribeTeamsRequest, v1::DescribeTeamsResponse>(
      peers_, 
      std::move(request), [](auto* async, auto... args) { async->DescribeTeams(args...); },
      [count, done = std::move(done)](const grpc::Status& status, const v1::DescribeTeamsResponse& response) {
        DeliverBatch(status, response.facts(), count, done);
      });
}

void TeamClient::OrganizationCases(
    const std::string& org_id, std::function<void(const grpc::Status&, const std::vector<std::string>&)> done) {
  v1::ListOrganizationCasesRequest request;
  request.set_organization("organizations/" + org_id);
  CallPeer<v1::TeamService, v1::ListOrganizationCasesRequest, v1::ListOrganizationCasesResponse>(
      peers_, std::move(request), [](auto* async, auto... args) { async->ListOrganizationCases(args...); },
      [done = std::move(done)](const grpc::Status& status, const v1::ListOrganizationCasesResponse& response) {
        std::vector<std::string> ids;
        for (const auto& name : response.cases()) ids.push_back(name.substr(std::string_view("cases/").size()));
        done(status, ids);
      });
}

void TeamClient::GetOrganization(const std::string& org_id,
                                 std::function<void(const grpc::Status&, const v1::Organization&)> done) {
  v1::GetOrganizationRequest request;
  request.set_name("organizations/" + org_id);
  CallPeer<v1::TeamService, v1::GetOrganizationRequest, v1::Organization>(
      peers_, 
      std::move(request), [](auto* async, auto... args) { async->GetOrganization(args...); }, std::move(done));
}

grpc::Status TeamClient::ForCaller(const grpc::Status& status) {
  return PeerStatusForCaller(status, "the team service", "TEAM_UNAVAILABLE");
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

void DirectoryGate::Check(const std::string& organization, std::function<void(const grpc::Status&)> done) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(organization);
    if (it != cache_.end() && now - it->second.fetched < kTtl) {
      const auto verdict = Verdict(it->second);
      done(verdict);
      return;
    }
  }
  team_.GetOrganization(organization, [this, organization, done = std::move(done)](
                                          const grpc::Status& status, const v1::Organization& org) {
    if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
      done(TeamClient::ForCaller(status));
      return;
    }
    const Entry entry{status.ok(), org.active(), std::chrono::steady_clock::now()};
    {
      std::lock_guard lock(mutex_);
      if (cache_.size() >= 10000) cache_.clear();  // bounded; refilled on demand
      cache_[organization] = entry;
    }
    done(Verdict(entry));
  });
}

void DirectoryGate::Forget(const std::string& organization) {
  std::lock_guard lock(mutex_);
  cache_.erase(organization);
}

}  // namespace kp::team
