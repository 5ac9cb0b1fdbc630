// The status of an agreement and the rules for a party's answer, as pure functions. Unit-tested
// directly; AgreementService applies them inside the transaction that holds the case's lock.
#pragma once

#include <optional>
#include <vector>

#include "kruispunt/agreements/v1/agreements.pb.h"

namespace kp::agreements {

namespace v1 = kruispunt::agreements::v1;

// The current version's status: ENDED once ended; DECLINED when any required party declined;
// IN_FORCE when every required party accepted; PROPOSED otherwise (also after an acceptance was
// withdrawn). `answers` holds each required party's standing (UNSPECIFIED: none).
v1::AgreementStatus DeriveStatus(bool ended, const std::vector<v1::Answer>& answers);

enum class AnswerOutcome { kRecord, kAlreadyGiven, kConflicts };
// A party whose standing is `current` answers `answer`: recorded when it had none (or withdrew
// its acceptance); the same answer again is a retry; another answer is refused (an acceptance is
// withdrawn, a decline answered by amending the agreement).
AnswerOutcome ConsiderAnswer(v1::Answer current, v1::Answer answer);

}  // namespace kp::agreements
