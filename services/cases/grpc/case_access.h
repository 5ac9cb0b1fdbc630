// Who may read or change a case: CaseService asks ConsentService's access decision (the one place
// Kruispunt decides access) for every read and change of a case, the owner's included, so that
// each is decided on a ground and logged. The owning organisation reads by its ownership; a partner organisation by an active
// participation whose mandate allows it and a consent in force that covers it. Reads of one batch
// share one call. Anyone denied gets the same NOT_FOUND as for a missing case. Writes to a case's
// own data stay with its owner (the repository's statements match the owner).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/errors.h"
#include "consent/client/consent_client.h"

namespace kp::cases {

class CaseAccess {
 public:
  explicit CaseAccess(consent::ConsentClient& consent) : consent_(consent) {}

  struct Question {
    std::string case_id, org, person, rpc, request_id;
    bool write = false;
  };
  // Calls verdict(i, status) once per question, on a gRPC thread: OK to permit; NOT_FOUND to deny
  // (PERMISSION_DENIED when a team member may see the case but not change it); UNAVAILABLE when
  // no decision could be made (or logged).
  void Decide(const std::vector<Question>& questions,
              std::function<void(std::size_t, const grpc::Status&)> verdict);

 private:
  consent::ConsentClient& consent_;
};

}  // namespace kp::cases
