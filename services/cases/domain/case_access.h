// Who may see a case: the one place CaseService decides it. Today only the owning organisation;
// the team and consent issues extend this decision (and the list queries' owner filter) rather
// than adding checks elsewhere. Writes to a case's own data stay with its owner.
#pragma once

#include <string>

namespace kp::cases {

inline bool MayReadCase(const std::string& caller_org, const std::string& owner_org) {
  return caller_org == owner_org;
}

}  // namespace kp::cases
