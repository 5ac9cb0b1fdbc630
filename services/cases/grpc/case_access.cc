#include "cases/grpc/case_access.h"

namespace kp::cases {

namespace consent_v1 = kruispunt::consent::v1;

Error CaseNotFound() {
  return Error::NotFound("CASE_NOT_FOUND", "no such case, or not visible to your organisation");
}

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
  for (const auto& q : questions) {
    consent_v1::AccessQuestion a;
    a.set_case_("cases/" + q.case_id);
    a.mutable_subject()->set_organization(q.org);
    a.mutable_subject()->set_person(q.person);
    a.set_category(consent_v1::DATA_CATEGORY_CASE);
    a.set_action(q.write ? consent_v1::ACTION_WRITE : consent_v1::ACTION_READ);
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

void CaseAccess::DecideAll(const std::vector<Question>& questions, std::function<void(const grpc::Status&)> done) {
  if (questions.empty()) return done(grpc::Status::OK);
  struct Tally {
    std::size_t left;
    grpc::Status first_refusal = grpc::Status::OK;
  };
  // Decide calls every verdict in one loop, on one thread: no lock is needed.
  auto tally = std::make_shared<Tally>(Tally{questions.size()});
  Decide(questions, [tally, done = std::move(done)](std::size_t, const grpc::Status& verdict) {
    if (!verdict.ok() && tally->first_refusal.ok()) tally->first_refusal = verdict;
    if (--tally->left == 0) done(tally->first_refusal);
  });
}

}  // namespace kp::cases
