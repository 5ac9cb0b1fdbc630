// How a service enforces the one access decision on its own calls: it asks ConsentService (one
// BatchCheckAccess for many questions; every decision is logged there) and turns each decision
// into the status its caller gets. Anyone denied gets the same NOT_FOUND as for a missing case,
// except a team member whose mandate does not reach: PERMISSION_DENIED NOT_ALLOWED. CaseService
// asks about the case itself, CarePlanService about the care plan, and so on: one gate per data
// category.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/rpc.h"
#include "consent/client/consent_client.h"

namespace kp::consent {

class AccessGate {
 public:
  // `service` is the full service name ("kruispunt.cases.v1.CaseService"), for the log's RPC.
  AccessGate(ConsentClient& consent, std::string service, kruispunt::consent::v1::DataCategory category)
      : consent_(consent), service_(std::move(service)), category_(category) {}

  struct Question {
    std::string case_id, org, person, rpc, request_id;
    kruispunt::consent::v1::Action action = kruispunt::consent::v1::ACTION_READ;
    int permission = 0;  // kruispunt.team.v1.Permission the access needs; 0: any that allows it
  };

  // The question a call asks about a case: who asks, for which RPC and request (for the log).
  Question For(const PendingCall& call, const std::string& case_id,
               kruispunt::consent::v1::Action action = kruispunt::consent::v1::ACTION_READ,
               int permission = 0) const;

  // Calls verdict(i, status) once per question, all in one loop on one gRPC thread: OK to
  // permit; NOT_FOUND or PERMISSION_DENIED to deny; UNAVAILABLE when no decision could be made
  // (or logged).
  void Decide(const std::vector<Question>& questions, std::function<void(std::size_t, const grpc::Status&)> verdict);

  // For lists: which questions are permitted (permitted[i] answers questions[i]), once all are
  // decided; a denial only leaves an item out, but no decision at all is a failed status.
  void Permitted(const std::vector<Question>& questions,
                 std::function<void(const grpc::Status&, const std::vector<bool>& permitted)> done);

  // Answers a listed page once each listed item's case is decided (each case asked once):
  // items of cases the caller may not read now are left out; no decision at all fails the call.
  // `case_of(item)` gives an item's case id.
  template <class Item, class CaseOf>
  void KeepPermitted(const PendingCall& listed, google::protobuf::RepeatedPtrField<Item>* items, CaseOf case_of) {
    std::vector<std::size_t> question_of;
    std::vector<Question> questions;
    std::map<std::string, std::size_t> asked;
    for (const auto& item : *items) {
      const auto [it, added] = asked.emplace(case_of(item), questions.size());
      if (added) questions.push_back(For(listed, it->first));
      question_of.push_back(it->second);
    }
    Permitted(questions, [listed, items, question_of](const grpc::Status& failure, const std::vector<bool>& permitted) {
      if (!failure.ok()) return listed.Finish(failure);
      google::protobuf::RepeatedPtrField<Item> kept;
      for (std::size_t k = 0; k < question_of.size(); ++k)
        if (permitted[question_of[k]]) kept.Add(std::move(*items->Mutable(static_cast<int>(k))));
      items->Swap(&kept);
      listed.Finish(grpc::Status::OK);
    });
  }

  // Runs `then` once the decision permits the call's question; else finishes the call.
  void Then(const PendingCall& call, const Question& question, std::function<void(PendingCall)> then);
  // The same, running `work` on a database worker (which finishes the call).
  void ThenOnWorker(Runtime& runtime, const PendingCall& call, const Question& question, UnaryHandler work);

 private:
  ConsentClient& consent_;
  std::string service_;
  kruispunt::consent::v1::DataCategory category_;
};

}  // namespace kp::consent
