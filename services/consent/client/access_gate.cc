#include "consent/client/access_gate.h"

#include "common/errors.h"
#ifdef KP_BENCH_BUILD
#include "common/bench_shortcut.h"
#endif

namespace kp::consent {

namespace v1 = kruispunt::consent::v1;

AccessGate::Question AccessGate::For(const Call& call, const std::string& case_id, v1::Action action,
                                     int permission) const {
  return {case_id, call.caller.organization, call.caller.person, service_ + "/" + call.method, call.request_id,
          action, permission};
}

std::vector<grpc::Status> AccessGate::Verdicts(const Call& call, pqxx::connection& db,
                                               const std::vector<Question>& questions) {
  if (questions.empty()) return {};
#ifdef KP_BENCH_BUILD
  if (BenchSkipping() == BenchSkip::kDecision) return std::vector<grpc::Status>(questions.size());
#endif
  v1::BatchCheckAccessRequest request;
  for (const auto& q : questions) {
    const auto category = q.category == v1::DATA_CATEGORY_UNSPECIFIED ? category_ : q.category;
    *request.add_questions() = CaseQuestion(q.case_id, q.org, q.person, category, q.action, q.rpc, q.request_id);
    request.mutable_questions()->rbegin()->set_permission(q.permission);
  }
  const auto response = runtime_.clients->consent->BatchCheckAccess({db, call}, request);
  RequireOneAnswerEach(response.decisions_size(), questions.size(), "the consent service");
  std::vector<grpc::Status> verdicts;
  for (int i = 0; i < response.decisions_size(); ++i) {
    const auto& d = response.decisions(i);
    const auto& q = request.questions(i);
    if (d.decision() == v1::DECISION_PERMIT) verdicts.push_back(grpc::Status::OK);
    // Whoever discloses may know the case: they are told which consent is missing.
    else if (q.action() == v1::ACTION_RECEIVE && d.deny_reason() == v1::DENY_REASON_NO_CONSENT)
      verdicts.push_back(Error(grpc::StatusCode::FAILED_PRECONDITION, "NO_CONSENT_FOR_RECEIVER",
                               "no consent in force names the receiving organisation for " +
                                   v1::DataCategory_Name(q.category()) + " data",
                               {}, {{"category", v1::DataCategory_Name(q.category())}})
                             .ToStatus());
    else if (d.deny_reason() == v1::DENY_REASON_MANDATE)
      verdicts.push_back(
          Error::PermissionDenied("NOT_ALLOWED", "your organisation's mandate in this case does not allow this").ToStatus());
    else verdicts.push_back(CaseNotFound().ToStatus());
  }
  return verdicts;
}

void AccessGate::Require(const Call& call, pqxx::connection& db, const Question& question) {
  RequireAll(call, db, {question});
}

void AccessGate::RequireAll(const Call& call, pqxx::connection& db, const std::vector<Question>& questions) {
  for (const auto& verdict : Verdicts(call, db, questions))
    if (!verdict.ok()) throw StatusError(verdict);
}

void AccessGate::RequireOrNotFound(const Call& call, pqxx::connection& db, const Question& question) {
  if (!Verdicts(call, db, {question}).front().ok()) throw CaseNotFound();
}

}  // namespace kp::consent
