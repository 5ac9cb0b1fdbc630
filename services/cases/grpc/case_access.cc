#include "cases/grpc/case_access.h"

namespace kp::cases {

Error CaseNotFound() {
  return Error::NotFound("CASE_NOT_FOUND", "no such case, or not visible to your organisation");
}

void CaseReadAccess::Decide(const std::vector<Question>& questions,
                            std::function<void(std::size_t, const grpc::Status&)> verdict) {
  std::vector<team::v1::TeamAccessQuery> queries;
  std::vector<std::size_t> asked;  // question index of each query
  for (std::size_t i = 0; i < questions.size(); ++i) {
    const auto& q = questions[i];
    if (q.caller_org == q.owner_org) {
      verdict(i, grpc::Status::OK);
      continue;
    }
    team::v1::TeamAccessQuery query;
    query.set_case_("cases/" + q.case_id);
    query.set_organization(q.caller_org);
    query.set_permission(team::v1::PERMISSION_READ_CASE);
    queries.push_back(std::move(query));
    asked.push_back(i);
  }
  if (queries.empty()) return;
  team_.CheckTeamAccess(std::move(queries), [asked = std::move(asked), verdict = std::move(verdict)](
                                                const grpc::Status& status, const std::vector<bool>& granted) {
    const grpc::Status failed = status.ok() ? grpc::Status::OK : team::TeamClient::ForCaller(status);
    const grpc::Status denied = CaseNotFound().ToStatus();
    for (std::size_t k = 0; k < asked.size(); ++k)
      verdict(asked[k], !status.ok() ? failed : granted[k] ? grpc::Status::OK : denied);
  });
}

}  // namespace kp::cases
