// ReferralService's request validation: every field checked, every violation reported at once
// (INVALID_ARGUMENT with field violations).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kruispunt/referrals/v1/referrals.pb.h"
#include "kruispunt/referrals/v1/referrals_internal.pb.h"
#include "referrals/domain/referral_rules.h"

namespace kp::referrals {

namespace v1 = kruispunt::referrals::v1;

// At most this many goals on one referral.
inline constexpr int kMaxGoals = 20;

struct NewReferral {
  std::string case_id, receiving_org;
  std::optional<std::string> service_id;
  int kind = 0, life_domain = 0, answer_days = 2;
  std::string question;
  std::vector<std::string> goal_ids;   // uuids of the case's goals
  std::vector<int> shared_categories;  // kruispunt.consent.v1.DataCategory, CASE first
  int32_t proposed_mandate = 0;        // bit n: kruispunt.team.v1.Permission n
  std::string client_postal_code;
  int client_age_group = 0;  // kruispunt.socialmap.v1.AgeGroup
  std::optional<std::string> request_id;
};
NewReferral ValidateCreateReferral(const v1::CreateReferralRequest& request);

struct NewUnmetNeed {
  std::string case_id, client_postal_code;
  int life_domain = 0, client_age_group = 0;
};
NewUnmetNeed ValidateRecordUnmetNeed(const v1::RecordUnmetNeedRequest& request);

// Whose demand is counted: of clients living in these postal codes, referred and recorded in
// [start_micros, end_micros).
struct DemandQuery {
  std::vector<std::string> postal_codes;
  int64_t start_micros = 0, end_micros = 0;
};
// A demand count's postal codes and period, each checked and all required (INVALID_ARGUMENT on
// postal_codes, start_time, end_time).
DemandQuery ValidateCountDemand(const v1::CountReferralDemandRequest& request);

// "cases/{case}/referrals/{uuid}".
struct ReferralKey {
  std::string case_id, referral_id;
};
ReferralKey RequireReferralName(const std::string& name, const char* field);

struct ChangeRequest {
  ReferralKey key;
  std::optional<int> etag;
  std::string reason;
  Outcome outcome = Outcome::kNone;
  std::optional<std::string> join_as;  // the professional's key ("org/subject")
};
ChangeRequest ValidateChangeReferral(const v1::ChangeReferralRequest& request, Change change);

}  // namespace kp::referrals
