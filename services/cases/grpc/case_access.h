// Who may read a case: the one place CaseService decides it. The owning organisation by
// ownership, at once; a partner organisation by an active participation in the case's team whose
// mandate includes READ_CASE, asked of TeamService on every request (nothing is cached, so an
// ended participation denies the very next request). Anyone else gets the same NOT_FOUND as for
// a missing case. Writes to a case's own data stay with its owner (the repository's statements
// match the owner). The consent issue tightens this decision here, not elsewhere.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/errors.h"
#include "team/client/team_client.h"

namespace kp::cases {

Error CaseNotFound();

class CaseReadAccess {
 public:
  explicit CaseReadAccess(team::TeamClient& team) : team_(team) {}

  struct Question {
    std::string caller_org, case_id, owner_org;
  };
  // Calls verdict(i, status) once per question: OK to permit, NOT_FOUND to deny, UNAVAILABLE when
  // TeamService could not answer. Owners are answered before Decide returns; partners (all in
  // one TeamService call) later, on a gRPC thread.
  void Decide(const std::vector<Question>& questions,
              std::function<void(std::size_t, const grpc::Status&)> verdict);

 private:
  team::TeamClient& team_;
};

}  // namespace kp::cases
