#include "consent/client/access_gate.h"

#include "common/errors.h"
#ifdef KP_BENCH_BUILD
#include "common/bench_shortcut.h"
#endif

namespace kp::consent {

namespace v1 = kruispunt::consent::v1;

AccessGate::Question AccessGate::For(const PendingCall& call, const std::string& case_id, v1::Action action,
                                     int permission) const {
  const auto& c = call.call();
  return {case_id, c.caller.organization, c.caller.person, service_ + "/" + call.method(), c.request_id, action,
          permission};
}

void AccessGate::Decide(const std::vector<Question>& questions,
                        std::function<void(std::size_t, const grpc::Status&)> verdict) {
  if (questions.empty()) return;
#ifdef KP_BENCH_BUILD
  if (BenchSkipping() == BenchSkip::kDecision) {
    for (std::size_t i = 0; i < questions.size(); ++i) verdict(i, grpc::Status::OK);
    return;
  }
#endif
  std::vector<v1::AccessQuestion> asked;
  for (const auto& q : questions) {
    asked.push_back(CaseQuestion(q.case_id, q.org, q.person, category_, q.action, q.rpc, q.request_id));
    asked.back().set_permission(q.permission);
  }
  const auto count = questions.size();
  consent_.BatchCheckAccess(std::move(asked), [count, verdict = std::move(verdict)](
                                                  const grpc::Status& status,
                                                  const std::vector<v1::AccessDecision>& decisions) {
    const grpc::Status failed = status.ok() ? grpc::Status::OK : ConsentClient::ForCaller(status);
    for (std::size_t i = 0; i < count; ++i) {
      if (!status.ok()) {
        verdict(i, failed);
      } else if (decisions[i].decision() == v1::DECISION_PERMIT) {
        verdict(i, grpc::Status::OK);
      } else if (decisions[i].deny_reason() == v1::DENY_REASON_MANDATE) {
        verdict(i, Error::PermissionDenied("NOT_ALLOWED", "your organisation's mandate in this case does not allow this")
                       .ToStatus());
      } else {
        verdict(i, CaseNotFound().ToStatus());
      }
    }
  });
}

void AccessGate::Permitted(const std::vector<Question>& questions,
                           std::function<void(const grpc::Status&, const std::vector<bool>&)> done) {
  if (questions.empty()) return done(grpc::Status::OK, {});
  struct Tally {
    std::vector<bool> permitted;
    std::size_t left;
    grpc::Status failure = grpc::Status::OK;
  };
  auto tally = std::make_shared<Tally>(Tally{std::vector<bool>(questions.size()), questions.size()});
  // Decide calls every verdict in one loop, on one thread: no lock is needed.
  Decide(questions, [tally, done = std::move(done)](std::size_t i, const grpc::Status& verdict) {
    const auto code = verdict.error_code();
    tally->permitted[i] = verdict.ok();
    if (code != grpc::StatusCode::OK && code != grpc::StatusCode::NOT_FOUND &&
        code != grpc::StatusCode::PERMISSION_DENIED && tally->failure.ok())
      tally->failure = verdict;
    if (--tally->left > 0) return;
    done(tally->failure, tally->permitted);
  });
}

void AccessGate::Then(const PendingCall& call, const Question& question, std::function<void(PendingCall)> then) {
  Decide({question}, [call, then = std::move(then)](std::size_t, const grpc::Status& verdict) {
    if (!verdict.ok()) return call.Finish(verdict);
    then(call);
  });
}

void AccessGate::ThenOnWorker(Runtime& runtime, const PendingCall& call, const Question& question, UnaryHandler work) {
  Then(call, question, [&runtime, work = std::move(work)](PendingCall permitted) { RunOnWorker(runtime, permitted, work); });
}

}  // namespace kp::consent
