#include "cases/grpc/case_access.h"

namespace kp::cases {

namespace consent_v1 = kruispunt::consent::v1;

void CaseAccess::Decide(const std::vector<Question>& questions,
                            std::function<void(std::size_t, const grpc::Status&)> verdict) {
  if (questions.empty()) return;
#ifdef KP_BENCH_UNENFORCED
  // Only in the benchmark's second build (bench/run.sh, -DKP_BENCH_UNENFORCED=ON), to measure
  // what enforcement costs: every access permitted, nothing decided or logged.
  for (std::size_t i = 0; i < questions.size(); ++i) verdict(i, grpc::Status::OK);
  return;
#endif
  std::vector<consent_v1::AccessQuestion> asked;
  for (const auto& q : questions)
    asked.push_back(consent::CaseQuestion(q.case_id, q.org, q.person, consent_v1::DATA_CATEGORY_CASE,
                                          q.write ? consent_v1::ACTION_WRITE : consent_v1::ACTION_READ, q.rpc,
                                          q.request_id));
  const auto count = questions.size();
  consent_.BatchCheckAccess(std::move(asked), [count, verdict = std::move(verdict)](
                                                  const grpc::Status& status,
                                                  const std::vector<consent_v1::AccessDecision>& decisions) {
    const grpc::Status failed = status.ok() ? grpc::Status::OK : consent::ConsentClient::ForCaller(status);
    for (std::size_t i = 0; i < count; ++i) {
      if (!status.ok()) {
        verdict(i, failed);
      } else if (decisions[i].decision() == consent_v1::DECISION_PERMIT) {
        verdict(i, grpc::Status::OK);
      } else if (decisions[i].deny_reason() == consent_v1::DENY_REASON_MANDATE) {
        verdict(i, Error::PermissionDenied("NOT_ALLOWED", "your organisation's mandate in this case does not allow this")
                       .ToStatus());
      } else {
        verdict(i, CaseNotFound().ToStatus());
      }
    }
  });
}

}  // namespace kp::cases
