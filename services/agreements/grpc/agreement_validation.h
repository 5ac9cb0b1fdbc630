// Turns AgreementService requests into validated inputs, collecting every field violation (throws
// kp::Error INVALID_ARGUMENT). Pure: no database, unit-tested directly.
#pragma once

#include <optional>
#include <string>

#include "agreements/repo/agreement_repository.h"
#include "common/validation.h"

namespace kp::agreements {

struct Proposal {
  std::string case_id;
  Content content;
  std::optional<std::string> request_id;
};
Proposal ValidatePropose(const v1::ProposeAgreementRequest& request);

struct Amendment {
  std::string case_id, agreement_id;
  Content content;
  std::optional<int> etag;
};
Amendment ValidateAmend(const v1::AmendAgreementRequest& request);

// An answer or a withdrawal by a party.
struct PartyAct {
  std::string case_id, agreement_id, party;  // party as a key
  int version = 0;
  v1::Answer answer = v1::ANSWER_UNSPECIFIED;  // an answer only
  std::string text;                            // the comment, or the withdrawal's reason
};
PartyAct ValidateRespond(const v1::RespondToAgreementRequest& request);
PartyAct ValidateWithdraw(const v1::WithdrawAcceptanceRequest& request);

struct Ending {
  std::string case_id, agreement_id, reason;
  std::optional<int> etag;
};
Ending ValidateEnd(const v1::EndAgreementRequest& request);

// The head a caller kept to verify against (none when neither field is set).
std::optional<ChainHead> ValidateKeptHead(const v1::VerifyAgreementLogRequest& request);

// The party a request names, as a key ("organizations/{id}" or "participants/{id}" of this case).
std::string PartyKey(Violations& v, const std::string& field, const v1::Party& party, const std::string& case_id);

}  // namespace kp::agreements
