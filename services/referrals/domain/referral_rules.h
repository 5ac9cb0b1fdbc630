// The rules of a referral that need no database: which change each side may make from which
// status, what a change must say, and when an answer is overdue. The one place that says who may
// change a referral; unit-tested directly.
#pragma once

#include <optional>
#include <string_view>

namespace kp::referrals {

// Values equal the proto enums of kruispunt.referrals.v1; stored as smallint.
enum class Status { kRequested = 1, kAccepted, kWaitlisted, kRejected, kInProgress, kCompleted, kCancelled, kFailed };
enum class Outcome { kNone = 0, kServiceStarted, kClientDeclined, kClientNotReachable, kNotEligible, kNoCapacity };

// The changes of the API (ReferralService's methods of the same names).
enum class Change { kAccept, kWaitlist, kReject, kStart, kComplete, kFail, kCancel, kHold, kResume };

// Who makes a change: the receiving organisation, or the referring one.
enum class Side { kReceiver, kReferrer };
Side SideOf(Change change);

// Requested, accepted, wait-listed or in progress.
bool IsOpen(Status status);

// What the change asks of its request.
struct ChangeNeeds {
  bool reason = false;          // a reason is required
  bool outcome = false;         // an outcome is required
  bool outcome_allowed = false; // an outcome may be given
};
ChangeNeeds NeedsOf(Change change);
// Whether `outcome` may be given with `change` (ReferralOutcome values; kNone: none given).
bool OutcomeFits(Change change, Outcome outcome);

// A referral as a change finds it.
struct Standing {
  Status status;
  Outcome outcome;
  bool on_hold;
};

// Why a change is refused in its referral's standing (ErrorInfo reasons), or nullopt when it may be
// made.
std::optional<std::string_view> Refusal(Change change, const Standing& standing);

// The standing after the change (given an outcome that fits).
Standing After(Change change, const Standing& standing, Outcome given);

// Whether the answer is overdue on `today`: still requested, not on hold, after its due day. Days
// as ISO text, which compares as the days do (common/calendar.h).
bool IsOverdue(const Standing& standing, std::string_view due, std::string_view today);

}  // namespace kp::referrals
