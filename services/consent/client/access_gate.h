// How a service enforces the one access decision on its own calls: it asks ConsentService (one
// BatchCheckAccess for many questions; every decision is logged there) and turns each decision
// into the status its caller gets. Anyone denied gets the same NOT_FOUND as for a missing case,
// except a team member whose mandate does not reach: PERMISSION_DENIED NOT_ALLOWED. CaseService
// asks about the case itself, CarePlanService about the care plan, and so on: one gate per data
// category. It runs on the handler's database worker: where ConsentService is hosted in the same
// process, the whole decision (the team's facts, the consents in force, the log entry) runs there
// on the handler's own connection.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/rpc.h"
#include "consent/client/consent_client.h"

namespace kp::consent {

class AccessGate {
 public:
  // `service` is the full service name ("kruispunt.cases.v1.CaseService"), for the log's RPC.
  AccessGate(Runtime& runtime, std::string service, kruispunt::consent::v1::DataCategory category)
      : runtime_(runtime), service_(std::move(service)), category_(category) {}

  struct Question {
    std::string case_id, org, person, rpc, request_id;
    kruispunt::consent::v1::Action action = kruispunt::consent::v1::ACTION_READ;
    int permission = 0;  // kruispunt.team.v1.Permission the access needs; 0: any that allows it
    // The category of data asked for; unspecified: the gate's own. A service whose answers carry
    // data of more than one category asks about each (CaseService: the case, the client's identity).
    kruispunt::consent::v1::DataCategory category = kruispunt::consent::v1::DATA_CATEGORY_UNSPECIFIED;
  };

  // The question a call asks about a case: who asks, for which RPC and request (for the log).
  Question For(const Call& call, const std::string& case_id,
               kruispunt::consent::v1::Action action = kruispunt::consent::v1::ACTION_READ,
               int permission = 0) const;

  // One status per question: OK to permit; NOT_FOUND or PERMISSION_DENIED to deny. Throws (the
  // status to answer the call with) when no decision could be made or logged.
  std::vector<grpc::Status> Verdicts(const Call& call, pqxx::connection& db, const std::vector<Question>& questions);

  // Returns when the decision permits the question; else throws the denial.
  void Require(const Call& call, pqxx::connection& db, const Question& question);
  // The same for several questions, asked at once: the first denial, in their order, is thrown.
  void RequireAll(const Call& call, pqxx::connection& db, const std::vector<Question>& questions);
  // The same, but any denial is the NOT_FOUND of a missing case, a mandate's too: for the reads of
  // a case's team and consents, of which a participant without the mandate learns nothing.
  void RequireOrNotFound(const Call& call, pqxx::connection& db, const Question& question);

  // Whether the caller may read each listed item's case now (each case asked once, each decision
  // logged); no decision at all fails the call. `case_of(item)` gives an item's case id.
  template <class Item, class CaseOf>
  std::vector<bool> Permitted(const Call& call, pqxx::connection& db,
                              const google::protobuf::RepeatedPtrField<Item>& items, CaseOf case_of) {
    std::vector<std::size_t> question_of;
    std::vector<Question> questions;
    std::map<std::string, std::size_t> asked;
    for (const auto& item : items) {
      const auto [it, added] = asked.emplace(case_of(item), questions.size());
      if (added) questions.push_back(For(call, it->first));
      question_of.push_back(it->second);
    }
    std::vector<bool> permitted;
    if (questions.empty()) return permitted;
    const auto verdicts = Verdicts(call, db, questions);
    for (const auto question : question_of) permitted.push_back(verdicts[question].ok());
    return permitted;
  }

  // Keeps only the listed items whose case the caller may read now (Permitted): a denial leaves
  // an item out.
  template <class Item, class CaseOf>
  void KeepPermitted(const Call& call, pqxx::connection& db, google::protobuf::RepeatedPtrField<Item>* items,
                     CaseOf case_of) {
    const auto permitted = Permitted(call, db, *items, case_of);
    google::protobuf::RepeatedPtrField<Item> kept;
    for (std::size_t k = 0; k < permitted.size(); ++k)
      if (permitted[k]) kept.Add(std::move(*items->Mutable(static_cast<int>(k))));
    items->Swap(&kept);
  }

 private:
  Runtime& runtime_;
  std::string service_;
  kruispunt::consent::v1::DataCategory category_;
};

}  // namespace kp::consent
