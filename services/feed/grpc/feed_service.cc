#include "feed/grpc/feed_service.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <optional>
#include <tuple>
#include <mutex>
#include <set>
#include <thread>

#include "agreements/client/agreement_client.h"
#include "careplan/client/careplan_client.h"
#include "common/errors.h"
#include "common/metrics.h"
#include "common/page_token.h"
#include "common/validation.h"
#include "consent/client/access_gate.h"
#include "consent/client/consent_client.h"
#include "feed/domain/feed_cursor.h"
#include "kruispunt/referrals/v1/referrals.grpc.pb.h"
#include "referrals/client/referral_client.h"
#include "kruispunt/feed/v1/feed.grpc.pb.h"
#include "team/client/team_client.h"

namespace kp::feed {

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
namespace v1 = kruispunt::feed::v1;
namespace agreements_v1 = kruispunt::agreements::v1;
namespace consent_v1 = kruispunt::consent::v1;
namespace careplan_v1 = kruispunt::careplan::v1;
namespace team_v1 = kruispunt::team::v1;

const std::vector<PreparedStatement> kStatements = {
    // Every transaction below it has ended: no change can still commit there (feed_cursor.h).
    {"feed.commit_horizon", "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"},
};

v1::ChangeKind KindOf(agreements_v1::EventKind kind) {
  switch (kind) {
    case agreements_v1::EVENT_KIND_PROPOSED: return v1::CHANGE_KIND_AGREEMENT_PROPOSED;
    case agreements_v1::EVENT_KIND_ANSWERED: return v1::CHANGE_KIND_AGREEMENT_ANSWERED;
    case agreements_v1::EVENT_KIND_WITHDRAWN: return v1::CHANGE_KIND_AGREEMENT_ACCEPTANCE_WITHDRAWN;
    case agreements_v1::EVENT_KIND_AMENDED: return v1::CHANGE_KIND_AGREEMENT_AMENDED;
    case agreements_v1::EVENT_KIND_ENDED: return v1::CHANGE_KIND_AGREEMENT_ENDED;
    default: return v1::CHANGE_KIND_UNSPECIFIED;
  }
}

// A page token: the cursor after the page's last change, bound to the request's filters.
std::string PageToken(const FeedCursor& cursor, uint64_t fingerprint) {
  return std::to_string(fingerprint) + "~" + EncodeCursor(cursor);
}
std::optional<FeedCursor> CursorOfPageToken(const std::string& token, uint64_t fingerprint) {
  const auto tilde = token.find('~');
  if (tilde == std::string::npos || token.substr(0, tilde) != std::to_string(fingerprint)) return std::nullopt;
  return DecodeCursor(std::string_view(token).substr(tilde + 1));
}

// What a reader asks for, validated: the same for ListChanges and WatchChanges.
struct Filters {
  std::optional<FeedCursor> after;  // the request's after_cursor
  std::string case_id;  // empty: every case of the organisation
  std::set<v1::ChangeKind> kinds;  // empty: every kind
  std::string key;  // the filters as text, for a page token's fingerprint
};

template <class Request>
Filters ValidateFilters(const Request& req, const std::string& org, Violations& v) {
  Filters f;
  if (req.parent() != "organizations/" + org) {
    if (req.parent().rfind("organizations/", 0) != 0 || req.parent().size() == std::string_view("organizations/").size())
      throw Error::InvalidField("parent", "is organizations/{id}, your own organisation");
    throw Error::PermissionDenied("NOT_YOUR_ORGANIZATION", "an organisation reads only its own changes");
  }
  if (!req.after_cursor().empty()) {
    f.after = DecodeCursor(req.after_cursor());
    if (!f.after) v.Add("after_cursor", "is not a cursor of the change feed");
  }
  for (int i = 0; i < req.kinds_size(); ++i) {
    const auto kind = req.kinds(i);
    if (kind == v1::CHANGE_KIND_UNSPECIFIED || !v1::ChangeKind_IsValid(kind)) {
      v.Add("kinds[" + std::to_string(i) + "]", "is not a kind of change");
      continue;
    }
    f.kinds.insert(static_cast<v1::ChangeKind>(kind));
  }
  if (!req.case_().empty()) {
    if (const auto id = ParseResourceName(req.case_(), "cases")) f.case_id = *id;
    else v.Add("case", "is cases/{uuid}");
  }
  f.key = req.parent() + "|";
  for (const auto kind : f.kinds) f.key += std::to_string(kind) + ",";
  f.key += "|" + f.case_id;
  return f;
}

// A page of changes after a cursor, each with its content or withheld.
struct Page {
  google::protobuf::RepeatedPtrField<v1::Change> changes;
  FeedCursor next;  // after the page: the last change's cursor, or the horizon when all is read
  bool more = false;  // more changes are committed after `next` already
};

// A change read from one source, with where it stands.
struct Sourced {
  FeedCursor at;
  v1::Change change;
  // A consent's withdrawal or expiry: the organisations it named; a participation's end: its
  // organisation. Those whose access to the case it may end.
  std::vector<std::string> may_end_access_of;
  // A change of a referral the reader receives: the kinds of data the referral shares with it.
  std::vector<consent_v1::DataCategory> received_categories;
};

v1::ChangeKind KindOf(const careplan_v1::CarePlanChange& change) {
  switch (change.snapshot_case()) {
    case careplan_v1::CarePlanChange::kGoal: return v1::CHANGE_KIND_GOAL_CHANGED;
    case careplan_v1::CarePlanChange::kAction: return v1::CHANGE_KIND_ACTION_CHANGED;
    case careplan_v1::CarePlanChange::kEvaluation: return v1::CHANGE_KIND_EVALUATION_RECORDED;
    default: return v1::CHANGE_KIND_CARE_PLAN_CHANGED;
  }
}

v1::ChangeKind KindOf(const team_v1::TeamChange& change) {
  if (change.kind() == team_v1::TEAM_CHANGE_KIND_ENDED) return v1::CHANGE_KIND_PARTICIPATION_ENDED;
  // A case's one client joins its team when the case is opened (team.client_participation).
  if (change.role() == team_v1::PARTICIPANT_ROLE_CLIENT) return v1::CHANGE_KIND_CASE_OPENED;
  return v1::CHANGE_KIND_PARTICIPANT_ADDED;
}

// Whether a filter of kinds lets any change of these kinds through.
bool Wants(const Filters& filters, std::initializer_list<v1::ChangeKind> kinds) {
  if (filters.kinds.empty()) return true;
  for (const auto kind : kinds)
    if (filters.kinds.count(kind)) return true;
  return false;
}

// A source's read of its history (ReadLogChanges, ReadPlanChanges, ReadConsentChanges,
// ReadTeamChanges: the same fields): these cases' changes after the cursor's place in that source,
// below the horizon.
template <class Request>
Request HistoryRead(const std::vector<std::string>& cases, const FeedCursor& from, Source source, int64_t horizon,
                    int limit) {
  Request request;
  for (const auto& id : cases) request.add_cases("cases/" + id);
  const auto [after_transaction, after_position] = from.AfterIn(source);
  request.mutable_after()->set_transaction(after_transaction);
  request.mutable_after()->set_position(after_position);
  request.set_horizon(horizon);
  request.set_limit(limit);
  return request;
}

// The one way the feed reads, for a list page and for a stream alike.
class ChangeReader {
 public:
  explicit ChangeReader(Runtime& runtime)
      : rt_(runtime),
        access_(runtime, v1::FeedService::service_full_name(), consent_v1::DATA_CATEGORY_CASE) {}

  // The horizon first, then the organisation's cases, then each source's changes after the cursor
  // and below the horizon: every transaction below the horizon ended before the sources read, so
  // they see all of its changes. The sources' changes merge in cursor order. Then the access
  // decisions, logged, at the moment of delivery: per case of the page, may the reader read the
  // case at all (if not, it gets none of the case's changes, but for the one that ended its
  // access); then per case and category, content where they permit, "withheld" where not.
  Page Read(const Call& call, pqxx::connection& db, const Filters& filters, FeedCursor from, int limit) {
    Page page;
    page.next = from;
    const int64_t horizon = Horizon(db);
    const int64_t now = NowSeconds();
    const int64_t window_start = now - int64_t{rt_.config->feed_retention_days} * 86400;
    if (from.time != 0 && from.time < window_start)
      throw Error(grpc::StatusCode::OUT_OF_RANGE, "CURSOR_EXPIRED",
                  "the cursor is older than the feed keeps changes (" + std::to_string(rt_.config->feed_retention_days) +
                      " days): re-read the current state, then continue from the cursor in this error's metadata",
                  {}, {{"cursor", EncodeCursor(FeedCursor::AtHorizon(horizon, now))}});
    if (from >= FeedCursor::AtHorizon(horizon)) {  // nothing has committed since: cheap
      page.next.time = now;  // the position is current now
      return page;
    }
    // The organisation's cases, each with the transaction from which it takes part (0: it owns it).
    const auto since = team::OrganizationCasesSince(*rt_.clients->team, {db, call}, call.caller.organization);
    std::vector<std::string> cases;
    for (const auto& [id, from_transaction] : since)
      if (filters.case_id.empty() || id == filters.case_id) cases.push_back(id);
    const std::string reader = "organizations/" + call.caller.organization;
    std::vector<Sourced> read;
    const PeerContext peer{db, call};
    // Each source gives at most limit + 1: if all of them together give more than `limit`, the
    // first `limit` in cursor order are complete (no source has an earlier one it did not give).
    // The team's also gives the ends of the reader's participations in cases it has left.
    if (Wants(filters, {v1::CHANGE_KIND_CASE_OPENED, v1::CHANGE_KIND_PARTICIPANT_ADDED,
                        v1::CHANGE_KIND_PARTICIPATION_ENDED, v1::CHANGE_KIND_ACCESS_ENDED}))
      ReadTeams(peer, cases, reader, from, horizon, limit + 1, read);
    if (!cases.empty()) {
      if (Wants(filters, {v1::CHANGE_KIND_CARE_PLAN_CHANGED, v1::CHANGE_KIND_GOAL_CHANGED,
                          v1::CHANGE_KIND_ACTION_CHANGED, v1::CHANGE_KIND_EVALUATION_RECORDED}))
        ReadCarePlans(peer, cases, from, horizon, limit + 1, read);
      if (Wants(filters, {v1::CHANGE_KIND_AGREEMENT_PROPOSED, v1::CHANGE_KIND_AGREEMENT_ANSWERED,
                          v1::CHANGE_KIND_AGREEMENT_ACCEPTANCE_WITHDRAWN, v1::CHANGE_KIND_AGREEMENT_AMENDED,
                          v1::CHANGE_KIND_AGREEMENT_ENDED}))
        ReadAgreements(peer, cases, from, horizon, limit + 1, read);
      if (Wants(filters, {v1::CHANGE_KIND_CONSENT_GRANTED, v1::CHANGE_KIND_CONSENT_WITHDRAWN,
                          v1::CHANGE_KIND_CONSENT_EXPIRED, v1::CHANGE_KIND_ACCESS_ENDED}))
        ReadConsents(peer, cases, from, horizon, limit + 1, read);
    }
    // Also the changes of the referrals the reader receives, in cases it takes no part in too.
    if (Wants(filters, {v1::CHANGE_KIND_REFERRAL_CHANGED})) ReadReferrals(peer, cases, reader, from, horizon, limit + 1, read);
    std::sort(read.begin(), read.end(), [](const Sourced& a, const Sourced& b) { return a.at < b.at; });
    page.more = static_cast<int>(read.size()) > limit;
    if (page.more) read.resize(static_cast<std::size_t>(limit));
    if (!read.empty()) page.next = read.back().at;
    // Passed over, without asking about them (the cursor moves on):
    // - older than the feed serves (read from the first, or written by a very long transaction);
    // - of another case than the filter's (the end of a participation in a case the reader left);
    // - from before the reader took part in the case (an organisation that joins a team later
    //   sees its changes from then on, not its history). Per case, transaction ids are in commit
    //   order (common/history_order.h). A referral's receiver gets all of its changes.
    std::erase_if(read, [&](const Sourced& s) {
      if (s.at.time < window_start) return true;
      const auto case_id = *ParseResourceName(s.change.case_(), "cases");
      if (!filters.case_id.empty() && case_id != filters.case_id) return true;
      if (!s.received_categories.empty()) return false;
      const auto it = since.find(case_id);
      return it != since.end() && s.at.transaction < it->second;
    });
    const auto [case_readable, content_readable] = Decide(call, db, read, since);
    for (std::size_t i = 0; i < read.size(); ++i) {
      auto& [at, change, may_end_access_of, received_categories] = read[i];
      if (!content_readable[i]) {  // the reader may read the case but not this category of it
        change.clear_content();
        change.set_withheld(true);
      }
      if (!case_readable[i]) {
        const bool ends_readers_access =
            std::find(may_end_access_of.begin(), may_end_access_of.end(), reader) != may_end_access_of.end();
        if (!ends_readers_access) continue;  // of a case the reader may not read: not even that it changed
        change.set_kind(v1::CHANGE_KIND_ACCESS_ENDED);
        change.clear_content();
        change.set_withheld(false);  // never has content
      }
      if (!filters.kinds.empty() && !filters.kinds.count(change.kind())) continue;  // passed over, the cursor moves on
      change.set_cursor(EncodeCursor(at));
      *page.changes.Add() = std::move(change);
    }
    // Everything below the horizon is read: continue there (a cursor never moves back).
    if (!page.more) {
      page.next = std::max(page.next, FeedCursor::AtHorizon(horizon));
      page.next.time = now;  // the position is current now
    }
    return page;
  }

  static int64_t Horizon(pqxx::connection& db) {
    return pqxx::nontransaction(db).exec_prepared1("feed.commit_horizon")[0].as<int64_t>();
  }
  static int64_t NowSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

 private:
  void ReadAgreements(const PeerContext& peer, const std::vector<std::string>& cases, const FeedCursor& from,
                      int64_t horizon, int limit, std::vector<Sourced>& out) {
    auto log = rt_.clients->agreements->ReadLogChanges(
        peer, HistoryRead<agreements_v1::ReadLogChangesRequest>(cases, from, Source::kAgreements, horizon, limit));
    for (auto& change : *log.mutable_changes()) {
      auto& entry = *change.mutable_entry();
      auto& sourced = out.emplace_back();
      auto& c = sourced.change;
      sourced.at = {change.position().transaction(), static_cast<int>(Source::kAgreements), change.position().position(),
                    entry.event_time().seconds()};
      const auto case_name = entry.agreement().substr(0, entry.agreement().find("/agreements/"));
      c.set_id(case_name + "/agreementLog/" + std::to_string(entry.sequence()));
      c.set_case_(case_name);
      c.set_kind(KindOf(entry.kind()));
      c.set_resource(entry.agreement());
      c.set_actor_organization(change.actor_organization());
      c.set_actor_person(change.actor_person());
      *c.mutable_time() = entry.event_time();
      c.set_category(consent_v1::DATA_CATEGORY_AGREEMENTS);
      *c.mutable_agreement_log_entry() = std::move(entry);
    }
  }

  void ReadTeams(const PeerContext& peer, const std::vector<std::string>& cases, const std::string& reader,
                 const FeedCursor& from, int64_t horizon, int limit, std::vector<Sourced>& out) {
    auto request = HistoryRead<team_v1::ReadTeamChangesRequest>(cases, from, Source::kTeam, horizon, limit);
    request.set_ended_for_organization(reader);
    auto history = rt_.clients->team->ReadTeamChanges(peer, request);
    for (auto& change : *history.mutable_changes()) {
      auto& entry = *change.mutable_change();
      auto& [at, c, may_end_access_of, received_categories] = out.emplace_back();
      at = {change.position().transaction(), static_cast<int>(Source::kTeam), change.position().position(),
            entry.change_time().seconds()};
      if (entry.kind() == team_v1::TEAM_CHANGE_KIND_ENDED && !change.participant_organization().empty())
        may_end_access_of.push_back(change.participant_organization());
      c.set_id(change.case_() + "/teamChanges/" + std::to_string(change.position().position()));
      c.set_case_(change.case_());
      c.set_kind(KindOf(entry));
      c.set_resource(c.kind() == v1::CHANGE_KIND_CASE_OPENED ? change.case_() : entry.participant());
      c.set_actor_organization(entry.changed_by_organization());
      c.set_actor_person(entry.changed_by_person());
      *c.mutable_time() = entry.change_time();
      c.set_category(consent_v1::DATA_CATEGORY_CASE);
      *c.mutable_team_change() = std::move(entry);
    }
  }

  void ReadConsents(const PeerContext& peer, const std::vector<std::string>& cases, const FeedCursor& from,
                    int64_t horizon, int limit, std::vector<Sourced>& out) {
    auto events = rt_.clients->consent->ReadConsentChanges(
        peer, HistoryRead<consent_v1::ReadConsentChangesRequest>(cases, from, Source::kConsent, horizon, limit));
    for (auto& change : *events.mutable_changes()) {
      auto& event = *change.mutable_event();
      auto& [at, c, may_end_access_of, received_categories] = out.emplace_back();
      at = {change.position().transaction(), static_cast<int>(Source::kConsent), change.position().position(),
            event.time().seconds()};
      const bool granted = event.kind() == consent_v1::CONSENT_EVENT_KIND_GRANTED;
      if (!granted)  // a withdrawal or an expiry
        may_end_access_of.assign(change.recipient_organizations().begin(), change.recipient_organizations().end());
      c.set_id(change.case_() + "/consentEvents/" + std::to_string(change.position().position()));
      c.set_case_(change.case_());
      c.set_kind(granted ? v1::CHANGE_KIND_CONSENT_GRANTED
                         : event.kind() == consent_v1::CONSENT_EVENT_KIND_EXPIRED ? v1::CHANGE_KIND_CONSENT_EXPIRED
                                                                                  : v1::CHANGE_KIND_CONSENT_WITHDRAWN);
      c.set_resource(event.consent());
      c.set_actor_organization(event.recorded_by_organization());
      c.set_actor_person(event.recorded_by_person());
      *c.mutable_time() = event.time();
      c.set_category(consent_v1::DATA_CATEGORY_CASE);
      *c.mutable_consent_event() = std::move(event);
    }
  }

  void ReadCarePlans(const PeerContext& peer, const std::vector<std::string>& cases, const FeedCursor& from,
                     int64_t horizon, int limit, std::vector<Sourced>& out) {
    auto history = rt_.clients->careplan->ReadPlanChanges(
        peer, HistoryRead<careplan_v1::ReadPlanChangesRequest>(cases, from, Source::kCarePlan, horizon, limit));
    for (auto& change : *history.mutable_changes()) {
      auto& entry = *change.mutable_change();
      auto& sourced = out.emplace_back();
      auto& c = sourced.change;
      sourced.at = {change.position().transaction(), static_cast<int>(Source::kCarePlan), change.position().position(),
                    entry.change_time().seconds()};
      c.set_id(change.case_() + "/carePlanHistory/" + std::to_string(entry.revision()));
      c.set_case_(change.case_());
      c.set_kind(KindOf(entry));
      c.set_resource(entry.target());
      c.set_actor_organization(entry.organization());
      c.set_actor_person(entry.person());
      *c.mutable_time() = entry.change_time();
      c.set_category(consent_v1::DATA_CATEGORY_CARE_PLAN);
      *c.mutable_care_plan_change() = std::move(entry);
    }
  }

  void ReadReferrals(const PeerContext& peer, const std::vector<std::string>& cases, const std::string& reader,
                     const FeedCursor& from, int64_t horizon, int limit, std::vector<Sourced>& out) {
    auto request =
        HistoryRead<kruispunt::referrals::v1::ReadReferralChangesRequest>(cases, from, Source::kReferrals, horizon, limit);
    request.set_received_by(reader);
    auto history = rt_.clients->referrals->ReadReferralChanges(peer, request);
    for (auto& change : *history.mutable_changes()) {
      auto& entry = *change.mutable_change();
      auto& sourced = out.emplace_back();
      for (int category : change.received_categories())
        sourced.received_categories.push_back(static_cast<consent_v1::DataCategory>(category));
      auto& c = sourced.change;
      sourced.at = {change.position().transaction(), static_cast<int>(Source::kReferrals), change.position().position(),
                    entry.time().seconds()};
      c.set_id(change.referral() + "/changes/" + std::to_string(change.position().position()));
      c.set_case_(change.case_());
      c.set_kind(v1::CHANGE_KIND_REFERRAL_CHANGED);
      c.set_resource(change.referral());
      c.set_actor_organization(entry.organization());
      c.set_actor_person(entry.person());
      *c.mutable_time() = entry.time();
      c.set_category(consent_v1::DATA_CATEGORY_CASE);
      *c.mutable_referral_change() = std::move(entry);
    }
  }

  // The access decisions for a page, asked in one batch at delivery and logged by ConsentService
  // as reads through the feed: per case, may the reader read the case at all (category case); per
  // case and category of a change's content, may it read that. A change of a referral the reader
  // receives is given, content and all, also where the client's consent names the reader for every
  // kind of data the referral shares (RECEIVE, as ReferralService decides a receiver's read); of a
  // case it takes no part in, only that is asked. Returns, per change, whether its case and whether
  // its content may be read.
  std::pair<std::vector<bool>, std::vector<bool>> Decide(const Call& call, pqxx::connection& db,
                                                        const std::vector<Sourced>& read,
                                                        const std::map<std::string, int64_t>& takes_part) {
    std::vector<consent::AccessGate::Question> questions;
    // (case, category, action) -> question
    std::map<std::tuple<std::string, int, int>, std::size_t> asked;
    const auto ask = [&](const std::string& case_id, consent_v1::DataCategory category,
                         consent_v1::Action action = consent_v1::ACTION_READ) {
      const auto [it, added] =
          asked.emplace(std::make_tuple(case_id, static_cast<int>(category), static_cast<int>(action)), questions.size());
      if (added) {
        questions.push_back(access_.For(call, case_id, action));
        questions.back().category = category;
      }
      return it->second;
    };
    struct Asked {
      std::optional<std::size_t> case_question, content_question;
      std::vector<std::size_t> receive_questions;
    };
    std::vector<Asked> of_change;
    for (const auto& s : read) {
      const auto case_id = *ParseResourceName(s.change.case_(), "cases");
      auto& a = of_change.emplace_back();
      if (s.received_categories.empty() || takes_part.count(case_id)) {
        a.case_question = ask(case_id, consent_v1::DATA_CATEGORY_CASE);
        a.content_question = ask(case_id, s.change.category());
      }
      for (const auto category : s.received_categories)
        a.receive_questions.push_back(ask(case_id, category, consent_v1::ACTION_RECEIVE));
    }
    const auto verdicts = access_.Verdicts(call, db, questions);
    std::vector<bool> case_readable, content_readable;
    for (const auto& a : of_change) {
      bool received = !a.receive_questions.empty();
      for (const auto q : a.receive_questions) received = received && verdicts[q].ok();
      case_readable.push_back(received || (a.case_question && verdicts[*a.case_question].ok()));
      content_readable.push_back(received || (a.content_question && verdicts[*a.content_question].ok()));
    }
    return {case_readable, content_readable};
  }

  Runtime& rt_;
  consent::AccessGate access_;
};

class FeedServiceImpl;

// One WatchChanges stream. It reads on the database workers like any call, a page at a time, when
// its poll is due (FeedServiceImpl's ticker), and writes one response at a time. What it has read
// and not yet handed to gRPC waits in `queue_`, at most the feed's buffer of changes: past that, the
// subscriber reads too slowly, and the stream ends (SLOW_SUBSCRIBER) instead of holding memory.
// It lives until gRPC's OnDone and until its last read came back, whichever is later.
class WatchStream final : public grpc::ServerWriteReactor<v1::WatchChangesResponse> {
 public:
  WatchStream(FeedServiceImpl& feed, CallbackServerContext* context, const v1::WatchChangesRequest& request);

  // From the ticker, with the feed's registry locked: polls when due, ends at shutdown, sends a
  // heartbeat after a quiet period.
  void Tick(std::chrono::steady_clock::time_point now);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void Admitted(Call call);
  void Polled(const grpc::Status& status, Page page);
  void EndLocked(const grpc::Status& status);
  void WriteLocked();
  void EnqueueLocked(google::protobuf::RepeatedPtrField<v1::Change> changes);
  // Deletes the stream once gRPC is done with it and no read is in flight; call unlocked.
  void ReleaseIfUnused();

  FeedServiceImpl& feed_;
  CallbackServerContext* context_;
  const v1::WatchChangesRequest request_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  Call call_;  // set once admitted
  Filters filters_;
  std::chrono::milliseconds heartbeat_{30000};

  std::mutex mutex_;
  bool admitting_ = true;    // the caller's admission is not decided yet
  bool registered_ = false;  // counted among the organisation's streams
  bool polled_ = false;      // a first read came back
  bool started_ = false;     // its cursor is known (the request's, or the horizon at the first poll)
  FeedCursor cursor_;        // after the last change queued
  std::deque<v1::WatchChangesResponse> queue_;  // front: being written while writing_
  int queued_changes_ = 0;   // in queue_, not counting the one being written
  bool writing_ = false;
  bool polling_ = false;
  bool deferred_ = false;    // its due poll waits for calls (counted once)
  std::optional<grpc::Status> ending_;
  bool finished_ = false, done_ = false, released_ = false;
  std::chrono::steady_clock::time_point next_poll_{}, last_sent_ = start_, write_started_{};
};

class FeedServiceImpl final : public v1::FeedService::CallbackService {
 public:
  explicit FeedServiceImpl(Runtime& runtime)
      : rt_(runtime), reader_(runtime), ticker_([this] { RunTicker(); }) {}

  ~FeedServiceImpl() override {
    {
      std::lock_guard lock(registry_mutex_);
      stop_ = true;
    }
    tick_.notify_all();
    ticker_.join();
  }

  ServerUnaryReactor* ListChanges(CallbackServerContext* ctx, const v1::ListChangesRequest* req,
                                  v1::ListChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListChanges", [this, req, resp](const Call& call, pqxx::connection& db) {
      Violations v;
      const Filters filters = ValidateFilters(*req, call.caller.organization, v);
      FeedCursor from = filters.after.value_or(FeedCursor{});
      const int page_size = NormalizePageSize(v, "page_size", req->page_size());
      v.ThrowIfAny();
      const uint64_t fingerprint = FilterFingerprint("feed|" + req->after_cursor() + "|" + filters.key);
      if (!req->page_token().empty()) {
        const auto cursor = CursorOfPageToken(req->page_token(), fingerprint);
        if (!cursor) throw Error::InvalidField("page_token", "is not a token from this list with these filters");
        from = *cursor;
      }
      Page page = reader_.Read(call, db, filters, from, page_size);
      resp->mutable_changes()->Swap(&page.changes);
      resp->set_next_page_token(page.more ? PageToken(page.next, fingerprint) : "");
      resp->set_cursor(EncodeCursor(page.next));
    });
  }

  grpc::ServerWriteReactor<v1::WatchChangesResponse>* WatchChanges(CallbackServerContext* ctx,
                                                                   const v1::WatchChangesRequest* req) override {
    return new WatchStream(*this, ctx, *req);
  }

 private:
  friend class WatchStream;

  // Counts the stream among its organisation's; false past the limit.
  bool Register(WatchStream* stream, const std::string& org) {
    std::lock_guard lock(registry_mutex_);
    auto& open = streams_per_org_[org];
    if (open >= rt_.config->feed_streams_per_organization) return false;
    ++open;
    streams_.insert(stream);
    return true;
  }
  void Unregister(WatchStream* stream, const std::string& org) {
    std::lock_guard lock(registry_mutex_);
    streams_.erase(stream);
    if (--streams_per_org_[org] == 0) streams_per_org_.erase(org);
  }

  void RunTicker() {
    std::unique_lock lock(registry_mutex_);
    while (!stop_) {
      tick_.wait_for(lock, kTick);
      calls_waiting_ = rt_.db->CurrentLoad().queued > static_cast<std::size_t>(polls_in_flight_.load());
      const auto now = std::chrono::steady_clock::now();
      for (auto* stream : streams_) stream->Tick(now);
    }
  }

  static constexpr std::chrono::milliseconds kTick{10};

  Runtime& rt_;
  ChangeReader reader_;
  std::mutex registry_mutex_;
  std::condition_variable tick_;
  bool stop_ = false;
  std::set<WatchStream*> streams_;
  std::map<std::string, int> streams_per_org_;
  bool calls_waiting_ = false;  // at the last tick, more jobs waited for a database worker than polls
  std::atomic<int> polls_in_flight_{0};  // submitted to the database workers, not come back
  std::thread ticker_;  // last: it starts once everything it uses is built
};

// How long a stream that ends may wait for its subscriber to take the response being written
// before it is cancelled: a subscriber that stopped reading cannot hold a stream forever.
constexpr std::chrono::seconds kStuckWrite{30};

WatchStream::WatchStream(FeedServiceImpl& feed, CallbackServerContext* context, const v1::WatchChangesRequest& request)
    : feed_(feed), context_(context), request_(request) {
  AdmitCall(feed_.rt_, context, "WatchChanges", Callers::kOrganizations,
            [this](Call call) {
              Admitted(std::move(call));
              ReleaseIfUnused();
            },
            [this](const Call& call, const grpc::Status& status) {
              {
                std::lock_guard lock(mutex_);
                admitting_ = false;
                call_ = call;
                EndLocked(status);
              }
              ReleaseIfUnused();
            });
}

void WatchStream::Admitted(Call call) {
  {
    std::lock_guard lock(mutex_);
    call_ = std::move(call);
    try {
      Violations v;
      filters_ = ValidateFilters(request_, call_.caller.organization, v);
      if (filters_.after) {
        cursor_ = *filters_.after;
        started_ = true;
      }
      if (request_.has_heartbeat_interval()) {
        const auto& d = request_.heartbeat_interval();
        const int64_t ms = d.seconds() * 1000 + d.nanos() / 1000000;
        if (ms < 1000 || ms > 600000) v.Add("heartbeat_interval", "is from 1 s to 10 min");
        else heartbeat_ = std::chrono::milliseconds(ms);
      }
      v.ThrowIfAny();
    } catch (...) {
      admitting_ = false;
      return EndLocked(StatusFromException(std::current_exception(), "WatchChanges"));
    }
    if (ending_) {  // cancelled while the directory answered
      admitting_ = false;
      return;
    }
  }
  // Unlocked: the ticker locks the registry, then a stream. The stream stays `admitting_` until it
  // knows whether it is registered, so that it cannot be released in between.
  const bool registered = feed_.Register(this, call_.caller.organization);
  std::lock_guard lock(mutex_);
  admitting_ = false;
  registered_ = registered;
  if (!registered)
    EndLocked(Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS",
                    "your organisation has the most change streams open that this server allows; "
                    "close one, or poll with ListChanges").ToStatus());
}

void WatchStream::Tick(std::chrono::steady_clock::time_point now) {
  std::unique_lock lock(mutex_);
  if (ending_) {
    if (writing_ && now - write_started_ > kStuckWrite) {
      lock.unlock();
      context_->TryCancel();
    }
    return;
  }
  if (feed_.rt_.stopping->load())
    return EndLocked(Error(grpc::StatusCode::UNAVAILABLE, "SHUTTING_DOWN",
                           "the server is stopping; resume from the last cursor you received").ToStatus());
  // Polls yield to calls: while calls wait for a database worker (more jobs wait than the feed's
  // own polls), a due poll waits too, at most --feed-poll-max-delay-ms. Under load the feed then
  // delivers later and in larger pages, instead of taking the writers' workers.
  const auto max_delay = std::chrono::milliseconds(feed_.rt_.config->feed_poll_max_delay_ms);
  if (!polling_ && now >= next_poll_ && feed_.calls_waiting_ && now < next_poll_ + max_delay) {
    if (!deferred_) ProcessMetrics().CountDeferredFeedPoll();
    deferred_ = true;
  } else if (!polling_ && now >= next_poll_) {
    deferred_ = false;
    polling_ = true;
    ++feed_.polls_in_flight_;
    const FeedCursor from = cursor_;
    const bool started = started_;
    const int limit = std::min(100, feed_.rt_.config->feed_stream_buffer);
    const bool submitted = feed_.rt_.db->Submit([this, from, started, limit](DbPool::Session& session) {
      Page page;
      const auto status = RunMapped("WatchChanges", [&] {
        if (started) page = feed_.reader_.Read(call_, session.conn(), filters_, from, limit);
        else page.next = FeedCursor::AtHorizon(ChangeReader::Horizon(session.conn()), ChangeReader::NowSeconds());  // "from now"
      });
      Polled(status, std::move(page));
    });
    if (!submitted) {  // the workers are busy: try again at the next poll
      polling_ = false;
      --feed_.polls_in_flight_;
      next_poll_ = now + std::chrono::milliseconds(feed_.rt_.config->feed_poll_interval_ms);
    }
  }
  if (started_ && !writing_ && queue_.empty() && now - last_sent_ >= heartbeat_) {
    EnqueueLocked({});
    WriteLocked();
  }
}

void WatchStream::Polled(const grpc::Status& status, Page page) {
  --feed_.polls_in_flight_;
  {
    std::lock_guard lock(mutex_);
    polling_ = false;
    if (!done_ && !ending_) {
      if (!status.ok()) {
        EndLocked(status);
      } else {
        const bool first = !polled_;
        polled_ = started_ = true;
        cursor_ = page.next;
        // The first response comes at once, also without changes: the stream is live from its cursor.
        if (first || !page.changes.empty()) EnqueueLocked(std::move(page.changes));
        const auto now = std::chrono::steady_clock::now();
        next_poll_ = page.more ? now : now + std::chrono::milliseconds(feed_.rt_.config->feed_poll_interval_ms);
        if (queued_changes_ > feed_.rt_.config->feed_stream_buffer) {
          // Drop what waits (the subscriber resumes from the last cursor it received) and end.
          if (writing_) queue_.erase(queue_.begin() + 1, queue_.end());
          else queue_.clear();
          queued_changes_ = 0;
          EndLocked(Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "SLOW_SUBSCRIBER",
                          "changes came faster than the stream was read; resume from the last cursor you "
                          "received (ListChanges catches up by pages)").ToStatus());
        } else {
          WriteLocked();
        }
      }
    }
  }
  ReleaseIfUnused();
}

void WatchStream::EnqueueLocked(google::protobuf::RepeatedPtrField<v1::Change> changes) {
  auto& response = queue_.emplace_back();
  queued_changes_ += changes.size();
  response.mutable_changes()->Swap(&changes);
  response.set_cursor(EncodeCursor(cursor_));
}

void WatchStream::WriteLocked() {
  if (!writing_ && !queue_.empty()) {
    writing_ = true;
    queued_changes_ -= queue_.front().changes_size();
    write_started_ = std::chrono::steady_clock::now();
    StartWrite(&queue_.front());
  } else if (!writing_ && ending_ && !finished_) {
    finished_ = true;
    RecordAnswer("WatchChanges", call_, start_, *ending_);
    Finish(*ending_);
  }
}

void WatchStream::EndLocked(const grpc::Status& status) {
  if (!ending_) ending_ = status;
  WriteLocked();
}

void WatchStream::OnWriteDone(bool ok) {
  std::lock_guard lock(mutex_);
  writing_ = false;
  last_sent_ = std::chrono::steady_clock::now();
  queue_.pop_front();
  if (!ok) {  // the subscriber is gone
    queue_.clear();
    queued_changes_ = 0;
    EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the subscriber went away"));
  }
  WriteLocked();
}

void WatchStream::OnCancel() {
  std::lock_guard lock(mutex_);
  if (writing_) queue_.erase(queue_.begin() + 1, queue_.end());
  else queue_.clear();
  queued_changes_ = 0;
  EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
}

void WatchStream::OnDone() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  ReleaseIfUnused();
}

void WatchStream::ReleaseIfUnused() {
  {
    std::lock_guard lock(mutex_);
    if (!done_ || polling_ || admitting_ || released_) return;
    released_ = true;
  }
  if (registered_) feed_.Unregister(this, call_.caller.organization);
  delete this;
}

}  // namespace

ServiceModule FeedServiceModule() {
  return ServiceModule{v1::FeedService::service_full_name(), nullptr, kStatements,
                       [](Runtime& runtime) { return std::make_unique<FeedServiceImpl>(runtime); },
                       {kruispunt::team::v1::TeamService::service_full_name(),
                        consent_v1::ConsentService::service_full_name(),
                        careplan_v1::CarePlanService::service_full_name(),
                        agreements_v1::AgreementService::service_full_name(),
                        kruispunt::referrals::v1::ReferralService::service_full_name()},
                       nullptr, nullptr, {}};  // no other service calls the feed; no jobs
}

}  // namespace kp::feed
