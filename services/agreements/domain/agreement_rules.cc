#include "agreements/domain/agreement_rules.h"

#include <algorithm>

namespace kp::agreements {

v1::AgreementStatus DeriveStatus(bool ended, const std::vector<v1::Answer>& answers) {
  if (ended) return v1::AGREEMENT_STATUS_ENDED;
  if (std::find(answers.begin(), answers.end(), v1::ANSWER_DECLINE) != answers.end())
    return v1::AGREEMENT_STATUS_DECLINED;
  if (!answers.empty() &&
      std::all_of(answers.begin(), answers.end(), [](v1::Answer a) { return a == v1::ANSWER_ACCEPT; }))
    return v1::AGREEMENT_STATUS_IN_FORCE;
  return v1::AGREEMENT_STATUS_PROPOSED;
}

AnswerOutcome ConsiderAnswer(v1::Answer current, v1::Answer answer) {
  if (current == v1::ANSWER_UNSPECIFIED) return AnswerOutcome::kRecord;
  if (current == answer) return AnswerOutcome::kAlreadyGiven;
  return AnswerOutcome::kConflicts;
}

}  // namespace kp::agreements
