// A case created with a request_id gets an id derived from its owner and that request_id, so that
// the one rule "an organisation's request_id makes one case" is the case's primary key: no unique
// key without case_id is needed, and the cases can be distributed by case_id (docs/operations.md,
// Citus).
#pragma once

#include <string>

namespace kp::cases {

// A UUID (version 8, RFC 9562: made from a hash) of SHA-256("kruispunt case\0" owner_org "\0"
// request_id): the same for the same owner and request id, unrelated for any other.
std::string CaseIdFor(const std::string& owner_org, const std::string& request_id);

}  // namespace kp::cases
