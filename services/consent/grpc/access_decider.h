// Answers access questions: gathers the facts (TeamService's, the consents in force), applies
// Decide, and records every decision in the access log before answering. Nothing is cached, so a
// withdrawal or an ended participation counts from the next question on, in every process. If the
// decisions cannot be logged, nobody gets access: DecideAccess throws instead of answering.
#pragma once

#include <string>
#include <vector>

#include "common/peer_call.h"
#include "consent/domain/access_decision.h"
#include "kruispunt/consent/v1/consent.pb.h"
#include "kruispunt/consent/v1/consent_internal.pb.h"

namespace kp::consent {

// A validated question.
struct Ask {
  std::string case_id, org, person, rpc, request_id;
  Category category;
  Action action;
  int purpose;
  int permission = 0;
};

// decisions[i] answers asks[i]. Runs on the worker of `context`: the consents in force are read
// on its connection, the team's facts and the log are asked of TeamService and AuditService
// through `peers` (on the same connection when they are hosted here).
std::vector<kruispunt::consent::v1::AccessDecision> DecideAccess(PeerClients& peers, const PeerContext& context,
                                                                 const std::vector<Ask>& asks);

}  // namespace kp::consent
