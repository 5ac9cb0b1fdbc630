#include "team/client/team_client.h"

#include <spdlog/spdlog.h>

#include "common/errors.h"

namespace kp::team {

template <class Request, class Response, class Method, class Done>
void TeamClient::Call(Request request, Method method, Done done) {
  auto channel = peers_.Get(v1::TeamService::service_full_name());
  if (!channel) {
    done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "TeamService is not reachable yet"), Response{});
    return;
  }
  // Everything the call needs lives until its callback has run.
  struct State {
    std::unique_ptr<v1::TeamService::Stub> stub;
    std::unique_ptr<grpc::ClientContext> context;
    Request request;
    Response response;
  };
  auto state = std::make_shared<State>(
      State{v1::TeamService::NewStub(channel), peers_.NewContext(), std::move(request), Response{}});
  method(state->stub->async(), state->context.get(), &state->request, &state->response,
         [state, done = std::move(done)](grpc::Status status) { done(status, state->response); });
}

void TeamClient::RegisterCases(std::vector<v1::CaseRegistration> cases,
                               std::function<void(const grpc::Status&)> done) {
  v1::RegisterCasesRequest request;
  for (auto& c : cases) *request.add_cases() = std::move(c);
  Call<v1::RegisterCasesRequest, v1::RegisterCasesResponse>(
      std::move(request), [](auto* async, auto... args) { async->RegisterCases(args...); },
      [done = std::move(done)](const grpc::Status& status, const v1::RegisterCasesResponse&) { done(status); });
}

void TeamClient::CheckTeamAccess(std::vector<v1::TeamAccessQuery> queries,
                                 std::function<void(const grpc::Status&, const std::vector<bool>&)> done) {
  v1::CheckTeamAccessRequest request;
  const auto count = queries.size();
  for (auto& q : queries) *request.add_queries() = std::move(q);
  Call<v1::CheckTeamAccessRequest, v1::CheckTeamAccessResponse>(
      std::move(request), [](auto* async, auto... args) { async->CheckTeamAccess(args...); },
      [count, done = std::move(done)](const grpc::Status& status, const v1::CheckTeamAccessResponse& response) {
        if (status.ok() && static_cast<std::size_t>(response.granted_size()) != count) {
          done(grpc::Status(grpc::StatusCode::INTERNAL, "TeamService answered the wrong number of queries"), {});
          return;
        }
        done(status, std::vector<bool>(response.granted().begin(), response.granted().end()));
      });
}

void TeamClient::GetOrganization(const std::string& org_id,
                                 std::function<void(const grpc::Status&, const v1::Organization&)> done) {
  v1::GetOrganizationRequest request;
  request.set_name("organizations/" + org_id);
  Call<v1::GetOrganizationRequest, v1::Organization>(
      std::move(request), [](auto* async, auto... args) { async->GetOrganization(args...); }, std::move(done));
}

grpc::Status TeamClient::ForCaller(const grpc::Status& status) {
  const bool about_our_credentials = status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                                     status.error_code() == grpc::StatusCode::PERMISSION_DENIED;
  // TeamService's own answers carry google.rpc details (a rule, a lost database, overload): the
  // caller gets them as they are. A refusal of our service token, or no answer at all, is not the
  // caller's doing: log it and say the team service is unavailable.
  if (!status.error_details().empty() && !about_our_credentials) return status;
  spdlog::warn("peer=TeamService code={} message={}", static_cast<int>(status.error_code()),
               status.error_message());
  return Error::Unavailable("TEAM_UNAVAILABLE", "the team service did not answer; retry").ToStatus();
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
