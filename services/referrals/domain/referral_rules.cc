#include "referrals/domain/referral_rules.h"

namespace kp::referrals {

Side SideOf(Change change) {
  switch (change) {
    case Change::kCancel:
    case Change::kHold:
    case Change::kResume:
      return Side::kReferrer;
    default:
      return Side::kReceiver;
  }
}

bool IsOpen(Status status) {
  return status == Status::kRequested || status == Status::kAccepted || status == Status::kWaitlisted ||
         status == Status::kInProgress;
}

ChangeNeeds NeedsOf(Change change) {
  switch (change) {
    case Change::kReject:
    case Change::kFail:
      return {true, true, true};
    case Change::kCancel:
      return {true, false, true};
    case Change::kHold:
      return {true, false, false};
    default:
      return {false, false, false};
  }
}

bool OutcomeFits(Change change, Outcome outcome) {
  if (outcome == Outcome::kNone) return !NeedsOf(change).outcome;
  switch (change) {
    case Change::kReject:  // the receiver's reasons not to take the client
      return outcome == Outcome::kNotEligible || outcome == Outcome::kNoCapacity || outcome == Outcome::kClientDeclined;
    case Change::kFail:
      return outcome != Outcome::kServiceStarted;
    case Change::kCancel:  // what the referring side observed
      return outcome == Outcome::kClientDeclined || outcome == Outcome::kClientNotReachable;
    default:
      return false;
  }
}

std::optional<std::string_view> Refusal(Change change, const Standing& s) {
  if (!IsOpen(s.status)) return "REFERRAL_CLOSED";
  if (change == Change::kResume) return s.on_hold ? std::nullopt : std::optional<std::string_view>("REFERRAL_NOT_ON_HOLD");
  if (change == Change::kHold && s.on_hold) return "REFERRAL_ON_HOLD";
  // The client's pace: while on hold, the receiver waits; the referring side may still cancel.
  if (SideOf(change) == Side::kReceiver && s.on_hold) return "REFERRAL_ON_HOLD";
  bool from_ok = true;
  switch (change) {
    case Change::kAccept:
    case Change::kReject:
      from_ok = s.status == Status::kRequested || s.status == Status::kWaitlisted;
      break;
    case Change::kWaitlist:
      from_ok = s.status == Status::kRequested;
      break;
    case Change::kStart:
      from_ok = s.status == Status::kAccepted;
      break;
    case Change::kComplete:
      from_ok = s.status == Status::kInProgress;
      break;
    case Change::kFail:
      from_ok = s.status != Status::kRequested;
      break;
    case Change::kCancel:
    case Change::kHold:
    case Change::kResume:
      break;
  }
  if (!from_ok) return "REFERRAL_STATUS";
  return std::nullopt;
}

Standing After(Change change, const Standing& s, Outcome given) {
  Standing next = s;
  switch (change) {
    case Change::kAccept: next.status = Status::kAccepted; break;
    case Change::kWaitlist: next.status = Status::kWaitlisted; break;
    case Change::kReject: next.status = Status::kRejected; break;
    case Change::kStart:
      next.status = Status::kInProgress;
      next.outcome = Outcome::kServiceStarted;
      break;
    case Change::kComplete: next.status = Status::kCompleted; break;
    case Change::kFail: next.status = Status::kFailed; break;
    case Change::kCancel:
      next.status = Status::kCancelled;
      next.on_hold = false;
      break;
    case Change::kHold: next.on_hold = true; break;
    case Change::kResume: next.on_hold = false; break;
  }
  if (given != Outcome::kNone) next.outcome = given;
  return next;
}

bool IsOverdue(const Standing& s, std::string_view due, std::string_view today) {
  return s.status == Status::kRequested && !s.on_hold && today > due;
}

}  // namespace kp::referrals
