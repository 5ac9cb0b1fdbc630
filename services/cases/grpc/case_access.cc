#include "cases/grpc/case_access.h"

namespace kp::cases {

namespace consent_v1 = kruispunt::consent::v1;

Error CaseNotFound() {
  return Error::NotFound("CASE_NOT_FOUND", "no such case, or not visible to your organisation");
}

void CaseReadAccess::Decide(const std::vector<Question>& questions,
                            std::function<void(std::size_t, const grpc::Status&)> verdict) {
  if (questions.empty()) return;
  std::vector<consent_v1::AccessQuestion> asked;
  for (const auto& q : questions) {
    consent_v1::AccessQuestion a;
    a.set_case_("cases/" + q.case_id);
    a.mutable_subject()->set_organization(q.org);
    a.mutable_subject()->set_person(q.person);
    a.set_category(consent_v1::DATA_CATEGORY_CASE);
    a.set_action(consent_v1::ACTION_READ);
    a.set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
    a.set_rpc(q.rpc);
    a.set_request_id(q.request_id);
    asked.push_back(std::move(a));
  }
  const auto count = questions.size();
  consent_.BatchCheckAccess(std::move(asked), [count, verdict = std::move(verdict)](
                                                  const grpc::Status& status,
                                                  const std::vector<consent_v1::AccessDecision>& decisions) {
    const grpc::Status failed = status.ok() ? grpc::Status::OK : consent::ConsentClient::ForCaller(status);
    const grpc::Status denied = CaseNotFound().ToStatus();
    for (std::size_t i = 0; i < count; ++i)
      verdict(i, !status.ok() ? failed
                 : decisions[i].decision() == consent_v1::DECISION_PERMIT ? grpc::Status::OK : denied);
  });
}

}  // namespace kp::cases
