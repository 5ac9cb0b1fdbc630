// Answers access questions: gathers the facts (TeamService's, the consents in force), applies
// Decide, and records every decision in the access log before answering. Concurrent requests are
// coalesced: a batch of them costs one call to TeamService, one query and one call to
// AuditService, and requests arriving while two batches are in flight form the next one. Nothing
// is cached, so a withdrawal or an ended participation counts from the next question on, in every
// process. If the decisions cannot be logged, nobody gets access: the batch fails with
// UNAVAILABLE.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "audit/client/audit_client.h"
#include "common/coalescer.h"
#include "common/rpc.h"
#include "consent/domain/access_decision.h"
#include "kruispunt/consent/v1/consent.pb.h"
#include "team/client/team_client.h"

namespace kp::consent {

class AccessDecider {
 public:
  AccessDecider(Runtime& runtime, team::TeamClient& team, audit::AuditClient& audit);

  // A validated question.
  struct Ask {
    std::string case_id, org, person, rpc, request_id;
    Category category;
    Action action;
    int purpose;
    int permission = 0;
  };
  using Done = std::function<void(const grpc::Status&, std::vector<kruispunt::consent::v1::AccessDecision>)>;

  // Decides the questions `call` asks. `done` runs once, on a gRPC or database thread, unless the
  // call is finished meanwhile (its deadline passed while queued, or the batch failed before
  // gathering: then the call got that status).
  void Decide(const PendingCall& call, std::vector<Ask> asks, Done done);

 private:
  struct Request {
    PendingCall call;
    std::vector<Ask> asks;
    Done done;
  };
  void RunBatch(pqxx::connection& db, std::vector<Request>& batch, Coalescer<Request>::Slot slot);

  team::TeamClient& team_;
  audit::AuditClient& audit_;
  Coalescer<Request> requests_;
};

}  // namespace kp::consent
