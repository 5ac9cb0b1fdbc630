// FeedService through the gRPC API on PostgreSQL: a back office follows the agreements of the
// cases its organisation takes part in, in commit order, from its cursor; a partner without
// consent for agreements sees that changes happened, without their content; each delivery is a
// logged access decision; pages, filters, and bad input.
#include <chrono>
#include <latch>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
using P = team_v1::Permission;
using C = consent_v1::DataCategory;
namespace ag = agreements_v1;
using feed_v1::Change;

class FeedTest : public CaseApiTest {
 protected:
  // Maria's case; the CAW and home nursing may answer agreements. Maria consents to the CAW
  // reading her agreements, and to home nursing reading the case but not its agreements.
  MariasCase Maria() {
    const std::vector<P> answer = {P::PERMISSION_READ_CASE, P::PERMISSION_ANSWER_AGREEMENTS};
    auto m = OpenMariasCase(answer, answer, answer);
    GrantConsent(token_, m.name, {m.caw.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_AGREEMENTS});
    GrantConsent(token_, m.name, {m.nursing.org}, {C::DATA_CATEGORY_CASE});
    return m;
  }

  ag::Agreement Propose(const MariasCase& m, const std::string& text) {
    ag::ProposeAgreementRequest request;
    request.set_parent(m.name);
    request.mutable_content()->set_text(text);
    request.mutable_content()->add_required_parties()->set_organization("organizations/" + m.caw.org);
    ag::Agreement out;
    const auto status = AgreementStub()->ProposeAgreement(Ctx(token_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  void Accept(const MariasCase& m, const ag::Agreement& a) {
    ag::RespondToAgreementRequest request;
    request.set_name(a.name());
    request.set_version(a.current().version());
    request.mutable_party()->set_organization("organizations/" + m.caw.org);
    request.set_answer(ag::ANSWER_ACCEPT);
    ag::Agreement out;
    const auto status = AgreementStub()->RespondToAgreement(Ctx(m.caw.token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  careplan_v1::Goal AddGoal(const MariasCase& m, const std::string& statement) {
    careplan_v1::CreateGoalRequest request;
    request.set_parent(m.name);
    request.mutable_goal()->set_statement(statement);
    request.mutable_goal()->set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_HOUSING);
    request.mutable_goal()->set_held_by(m.client);
    request.mutable_goal()->set_priority(1);
    careplan_v1::Goal out;
    const auto status = CarePlanStub()->CreateGoal(Ctx(token_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  static feed_v1::ListChangesRequest Request(const Partner& reader, const std::string& after_cursor = "") {
    feed_v1::ListChangesRequest request;
    request.set_parent("organizations/" + reader.org);
    request.set_after_cursor(after_cursor);
    return request;
  }

  // The agreements' changes only: a test that reads from the first is not disturbed by the
  // consents its case was set up with.
  // (A stream "from now" may also get changes committed just before it began, while a transaction
  // elsewhere held the horizon back: the tests of streams filter by kind too.)
  template <class Request>
  static Request OnlyAgreements(Request request) {
    for (const auto kind : {feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED, feed_v1::CHANGE_KIND_AGREEMENT_ANSWERED,
                            feed_v1::CHANGE_KIND_AGREEMENT_ACCEPTANCE_WITHDRAWN, feed_v1::CHANGE_KIND_AGREEMENT_AMENDED,
                            feed_v1::CHANGE_KIND_AGREEMENT_ENDED})
      request.add_kinds(kind);
    return request;
  }
  static feed_v1::ListChangesRequest AgreementChanges(const Partner& reader, const std::string& after_cursor = "") {
    return OnlyAgreements(Request(reader, after_cursor));
  }

  static feed_v1::ListChangesResponse List(const std::string& token, const feed_v1::ListChangesRequest& request) {
    feed_v1::ListChangesResponse out;
    const auto status = FeedStub()->ListChanges(Ctx(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_FALSE(out.cursor().empty());
    return out;
  }

  // The changes once at least `count` have arrived (kCommitOrderWait).
  static feed_v1::ListChangesResponse ListOnce(const std::string& token, const feed_v1::ListChangesRequest& request,
                                               int count) {
    auto out = List(token, request);
    const auto until = std::chrono::steady_clock::now() + kCommitOrderWait;
    while (out.changes_size() < count && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      out = List(token, request);
    }
    return out;
  }

  static grpc::Status Refused(const std::string& token, const feed_v1::ListChangesRequest& request) {
    feed_v1::ListChangesResponse out;
    return FeedStub()->ListChanges(Ctx(token).get(), request, &out);
  }

  // The feed's reads in a case's access log: organisation, category, permitted.
  using Read = std::tuple<std::string, C, bool>;
  static std::set<Read> FeedReads(const std::vector<audit_v1::AccessLogEntry>& log, const std::string& method) {
    std::set<Read> reads;
    for (const auto& e : log)
      if (e.rpc() == "kruispunt.feed.v1.FeedService/" + method)
        reads.insert({e.organization(), e.category(), e.decision() == consent_v1::DECISION_PERMIT});
    return reads;
  }
  // Maria's agreements delivered to the CAW and to home nursing: both may read the case, only the
  // CAW its agreements.
  static std::set<Read> ExpectedReads(const MariasCase& m) {
    return {{"organizations/" + m.caw.org, C::DATA_CATEGORY_CASE, true},
            {"organizations/" + m.caw.org, C::DATA_CATEGORY_AGREEMENTS, true},
            {"organizations/" + m.nursing.org, C::DATA_CATEGORY_CASE, true},
            {"organizations/" + m.nursing.org, C::DATA_CATEGORY_AGREEMENTS, false}};
  }

  // A WatchChanges stream of its own (each on a connection of its own when `channel` is given).
  struct Watch {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<feed_v1::FeedService::Stub> stub;
    std::unique_ptr<grpc::ClientReader<feed_v1::WatchChangesResponse>> stream;
    std::string cursor;  // of the last response read

    // The next response (false when the stream ended).
    bool Next(feed_v1::WatchChangesResponse& response) {
      if (!stream->Read(&response)) return false;
      cursor = response.cursor();
      return true;
    }
    // Reads until `count` changes came (or the stream ended, or kCommitOrderWait passed).
    std::vector<Change> Take(std::size_t count) {
      std::vector<Change> changes;
      feed_v1::WatchChangesResponse response;
      const auto until = std::chrono::steady_clock::now() + kCommitOrderWait;
      while (changes.size() < count && std::chrono::steady_clock::now() < until && Next(response))
        for (const auto& c : response.changes()) changes.push_back(c);
      return changes;
    }
    grpc::Status Close() {
      context->TryCancel();
      feed_v1::WatchChangesResponse ignored;
      while (stream->Read(&ignored)) {}
      return stream->Finish();
    }
  };

  static std::unique_ptr<Watch> OpenWatch(const std::string& token, const feed_v1::WatchChangesRequest& request,
                                          std::shared_ptr<grpc::Channel> channel = nullptr) {
    auto w = std::make_unique<Watch>();
    w->context = Ctx(token);
    w->context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    w->stub = feed_v1::FeedService::NewStub(channel ? channel : Harness::Get().Channel(feed_v1::FeedService::service_full_name()));
    w->stream = w->stub->WatchChanges(w->context.get(), request);
    return w;
  }

  static feed_v1::WatchChangesRequest WatchRequest(const Partner& reader, const std::string& after_cursor = "") {
    feed_v1::WatchChangesRequest request;
    request.set_parent("organizations/" + reader.org);
    request.set_after_cursor(after_cursor);
    return request;
  }
};

TEST_F(FeedTest, TheCawFollowsMariasAgreementsAndHomeNursingSeesThemWithheld) {
  const auto m = Maria();
  const auto budget = Propose(m, "CAW start wekelijkse budgetbegeleiding");
  Accept(m, budget);

  // The CAW: both changes with their content, in order, each with who made it.
  const auto caw = ListOnce(m.caw.token, AgreementChanges(m.caw), 2);
  ASSERT_EQ(caw.changes_size(), 2);
  EXPECT_TRUE(caw.next_page_token().empty());
  const Change& proposed = caw.changes(0);
  const Change& accepted = caw.changes(1);
  EXPECT_EQ(proposed.kind(), feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  EXPECT_EQ(accepted.kind(), feed_v1::CHANGE_KIND_AGREEMENT_ANSWERED);
  EXPECT_EQ(proposed.id(), m.name + "/agreementLog/1");
  EXPECT_EQ(accepted.id(), m.name + "/agreementLog/2");
  for (const auto* c : {&proposed, &accepted}) {
    EXPECT_EQ(c->case_(), m.name);
    EXPECT_EQ(c->resource(), budget.name());
    EXPECT_EQ(c->category(), consent_v1::DATA_CATEGORY_AGREEMENTS);
    EXPECT_FALSE(c->withheld());
    EXPECT_TRUE(c->has_agreement_log_entry());
    EXPECT_TRUE(c->has_time());
  }
  EXPECT_EQ(proposed.actor_organization(), "organizations/" + org_);
  EXPECT_EQ(proposed.actor_person(), person_);
  EXPECT_EQ(accepted.actor_organization(), "organizations/" + m.caw.org);
  EXPECT_EQ(accepted.actor_person(), m.caw.person);
  EXPECT_NE(proposed.agreement_log_entry().canonical().find("budgetbegeleiding"), std::string::npos);
  EXPECT_EQ(accepted.agreement_log_entry().previous_hash(), proposed.agreement_log_entry().hash());

  // Home nursing takes part without consent for agreements: the same changes, without content.
  const auto nursing = List(m.nursing.token, AgreementChanges(m.nursing));
  ASSERT_EQ(nursing.changes_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(nursing.changes(i).id(), caw.changes(i).id());
    EXPECT_TRUE(nursing.changes(i).withheld());
    EXPECT_FALSE(nursing.changes(i).has_agreement_log_entry());
    EXPECT_EQ(nursing.changes(i).kind(), caw.changes(i).kind());
  }

  // Each delivery was an access decision, logged in the case's access log.
  EXPECT_EQ(FeedReads(CaseAccessLog(token_, m.name), "ListChanges"), ExpectedReads(m));

  // Resuming from the cursor: nothing until the next change, then only that one.
  EXPECT_EQ(List(m.caw.token, AgreementChanges(m.caw, caw.cursor())).changes_size(), 0);
  const auto second = Propose(m, "OCMW onderzoekt het recht op een verhoogde tegemoetkoming");
  const auto resumed = ListOnce(m.caw.token, AgreementChanges(m.caw, caw.cursor()), 1);
  ASSERT_EQ(resumed.changes_size(), 1);
  EXPECT_EQ(resumed.changes(0).resource(), second.name());
  // From a change's own cursor: the changes after it.
  const auto after_first = List(m.caw.token, AgreementChanges(m.caw, proposed.cursor()));
  ASSERT_EQ(after_first.changes_size(), 2);
  EXPECT_EQ(after_first.changes(0).id(), accepted.id());
}

// A referral's changes reach the organisations that read the case; the receiving organisation
// gets them from the acceptance that added its professional to the team.
// A referral's changes reach the organisations that read the case and its receiver, from the
// sending on and also outside the team, while the client's consent names it for what the referral
// shares; when that consent is withdrawn, nothing more of it.
TEST_F(FeedTest, AReferralsChangesReachTheTeamAndTheReceiver) {
  const auto m = Maria();
  const auto debt = MakePartner("cawschuld", team_v1::ORGANIZATION_KIND_CAW);
  GrantConsent(token_, m.name, {debt.org}, {C::DATA_CATEGORY_CASE});
  referrals_v1::CreateReferralRequest create;
  create.set_parent(m.name);
  auto* r = create.mutable_referral();
  r->set_receiving_organization("organizations/" + debt.org);
  r->set_kind(referrals_v1::REFERRAL_KIND_GUIDED);
  r->set_question("Ik wil van mijn schulden af.");
  r->set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  r->set_client_postal_code("3000");
  r->set_client_age_group(socialmap_v1::AGE_GROUP_65_AND_OLDER);
  r->add_proposed_mandate(P::PERMISSION_READ_CASE);
  referrals_v1::Referral referral;
  ASSERT_TRUE(ReferralStub()->CreateReferral(Ctx(token_).get(), create, &referral).ok());
  referrals_v1::ChangeReferralRequest change;
  change.set_name(referral.name());
  change.set_join_as(debt.person_name());
  referrals_v1::Referral changed;
  auto status = ReferralStub()->AcceptReferral(Ctx(debt.token).get(), change, &changed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  change.clear_join_as();
  ASSERT_TRUE(ReferralStub()->StartReferral(Ctx(debt.token).get(), change, &changed).ok());

  const auto referral_changes = [](const Partner& reader) {
    auto request = Request(reader);
    request.add_kinds(feed_v1::CHANGE_KIND_REFERRAL_CHANGED);
    return request;
  };
  const Partner owner{org_, person_, token_};
  const auto mine = ListOnce(token_, referral_changes(owner), 3);
  ASSERT_EQ(mine.changes_size(), 3);
  const std::vector<referrals_v1::ReferralStatus> statuses = {
      referrals_v1::REFERRAL_STATUS_REQUESTED, referrals_v1::REFERRAL_STATUS_ACCEPTED,
      referrals_v1::REFERRAL_STATUS_IN_PROGRESS};
  for (int i = 0; i < 3; ++i) {
    const auto& c = mine.changes(i);
    EXPECT_EQ(c.resource(), referral.name());
    EXPECT_EQ(c.id(), referral.name() + "/changes/" + std::to_string(i + 1));
    EXPECT_EQ(c.referral_change().status(), statuses[i]) << "in commit order";
    EXPECT_EQ(c.actor_organization(), "organizations/" + (i == 0 ? org_ : debt.org));
  }
  EXPECT_EQ(ListOnce(m.nursing.token, referral_changes(m.nursing), 3).changes_size(), 3) << "reads the case";
  const auto received = ListOnce(debt.token, referral_changes(debt), 3);
  ASSERT_EQ(received.changes_size(), 3) << "from the sending on, before its joining too";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(received.changes(i).id(), mine.changes(i).id());
    EXPECT_EQ(received.changes(i).referral_change().status(), statuses[i]);
  }
  EXPECT_EQ(List(m.ocmw.token, referral_changes(m.ocmw)).changes_size(), 0) << "no consent: nothing of the case";

  // A receiver outside the team gets its referral's changes too, while the consent names it.
  const auto budget = MakePartner("budget", team_v1::ORGANIZATION_KIND_OTHER);
  const auto budget_consent = GrantConsent(token_, m.name, {budget.org}, {C::DATA_CATEGORY_CASE});
  r->set_receiving_organization("organizations/" + budget.org);
  r->clear_proposed_mandate();
  referrals_v1::Referral second;
  ASSERT_TRUE(ReferralStub()->CreateReferral(Ctx(token_).get(), create, &second).ok());
  change.set_name(second.name());
  ASSERT_TRUE(ReferralStub()->WaitlistReferral(Ctx(budget.token).get(), change, &changed).ok());
  const auto outside = ListOnce(budget.token, referral_changes(budget), 2);
  ASSERT_EQ(outside.changes_size(), 2) << "only its own referral's";
  EXPECT_EQ(outside.changes(0).resource(), second.name());
  EXPECT_EQ(outside.changes(1).referral_change().status(), referrals_v1::REFERRAL_STATUS_WAITLISTED);
  EXPECT_EQ(List(budget.token, Request(budget)).changes_size(), 2) << "nothing else of the case";
  EXPECT_EQ(ListOnce(debt.token, referral_changes(debt), 5).changes_size(), 5) << "in the team now: both referrals'";

  consent_v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(budget_consent.name());
  withdraw.set_withdrawn_by(m.client);
  withdraw.set_reason("wil het zelf regelen");
  consent_v1::Consent withdrawn;
  ASSERT_TRUE(ConsentStub()->WithdrawConsent(Ctx(token_).get(), withdraw, &withdrawn).ok());
  EXPECT_EQ(List(budget.token, referral_changes(budget)).changes_size(), 0) << "decided at delivery: nothing now";
}

TEST_F(FeedTest, MariasPlanAndAgreementsArriveTogetherInCommitOrder) {
  // The CAW may also read Maria's care plan (its mandate and her consent); home nursing may not.
  const std::vector<P> answer = {P::PERMISSION_READ_CASE, P::PERMISSION_ANSWER_AGREEMENTS};
  const auto m = OpenMariasCase({P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN, P::PERMISSION_ANSWER_AGREEMENTS},
                                answer, answer);
  GrantConsent(token_, m.name, {m.caw.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_CARE_PLAN, C::DATA_CATEGORY_AGREEMENTS});
  GrantConsent(token_, m.name, {m.nursing.org}, {C::DATA_CATEGORY_CASE});
  auto plan_and_agreements = WatchRequest(m.caw);
  plan_and_agreements.add_kinds(feed_v1::CHANGE_KIND_GOAL_CHANGED);
  plan_and_agreements.add_kinds(feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  auto watch = OpenWatch(m.caw.token, plan_and_agreements);
  feed_v1::WatchChangesResponse now;
  ASSERT_TRUE(watch->Next(now));

  const auto goal = AddGoal(m, "Ik wil in mijn huis blijven wonen");
  const auto agreement = Propose(m, "CAW start wekelijkse budgetbegeleiding");
  careplan_v1::ChangeGoalStateRequest accept;
  accept.set_name(goal.name());
  careplan_v1::Goal accepted;
  ASSERT_TRUE(CarePlanStub()->AcceptGoal(Ctx(token_).get(), accept, &accepted).ok());

  const auto seen = watch->Take(3);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kind(), feed_v1::CHANGE_KIND_GOAL_CHANGED);
  EXPECT_EQ(seen[0].id(), m.name + "/carePlanHistory/1");
  EXPECT_EQ(seen[0].resource(), goal.name());
  EXPECT_EQ(seen[0].category(), consent_v1::DATA_CATEGORY_CARE_PLAN);
  EXPECT_EQ(seen[0].care_plan_change().kind(), careplan_v1::CHANGE_KIND_CREATED);
  EXPECT_EQ(seen[0].care_plan_change().goal().statement(), "Ik wil in mijn huis blijven wonen");
  EXPECT_EQ(seen[0].actor_organization(), "organizations/" + org_);
  EXPECT_EQ(seen[1].kind(), feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  EXPECT_EQ(seen[1].resource(), agreement.name());
  EXPECT_EQ(seen[2].kind(), feed_v1::CHANGE_KIND_GOAL_CHANGED);
  EXPECT_EQ(seen[2].id(), m.name + "/carePlanHistory/2");
  EXPECT_EQ(seen[2].care_plan_change().kind(), careplan_v1::CHANGE_KIND_STATE_CHANGED);
  EXPECT_EQ(seen[2].care_plan_change().goal().state(), careplan_v1::GOAL_STATE_ACCEPTED);
  for (const auto& c : seen) EXPECT_FALSE(c.withheld()) << c.id();

  // The list gives the same, and filters by kind across sources.
  auto request = Request(m.caw, now.cursor());
  request.add_kinds(feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  request.add_kinds(feed_v1::CHANGE_KIND_GOAL_CHANGED);
  const auto listed = ListOnce(m.caw.token, request, 3);
  ASSERT_EQ(listed.changes_size(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(listed.changes(i).id(), seen[i].id());
  request.clear_kinds();
  request.add_kinds(feed_v1::CHANGE_KIND_GOAL_CHANGED);
  EXPECT_EQ(List(m.caw.token, request).changes_size(), 2);
  // Pages of one cross the sources in the same order.
  auto paged = Request(m.caw, now.cursor());
  paged.add_kinds(feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  paged.add_kinds(feed_v1::CHANGE_KIND_GOAL_CHANGED);
  paged.set_page_size(1);
  std::vector<std::string> ids;
  for (int page = 0; page < 5; ++page) {
    const auto out = List(m.caw.token, paged);
    for (const auto& c : out.changes()) ids.push_back(c.id());
    if (out.next_page_token().empty()) break;
    paged.set_page_token(out.next_page_token());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{seen[0].id(), seen[1].id(), seen[2].id()}));

  // Home nursing: the plan's changes and the agreement's, all withheld, in their places.
  auto nursing_request = Request(m.nursing, now.cursor());
  nursing_request.add_kinds(feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  nursing_request.add_kinds(feed_v1::CHANGE_KIND_GOAL_CHANGED);
  const auto nursing = List(m.nursing.token, nursing_request);
  ASSERT_EQ(nursing.changes_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(nursing.changes(i).id(), seen[i].id());
    EXPECT_TRUE(nursing.changes(i).withheld());
    EXPECT_FALSE(nursing.changes(i).has_care_plan_change());
    EXPECT_FALSE(nursing.changes(i).has_agreement_log_entry());
  }
}

TEST_F(FeedTest, WhenMariaWithdrawsTheOcmwsConsentItGetsTheEndOfItsAccessAndNothingAfter) {
  const auto m = Maria();
  const auto ocmw_consent =
      GrantConsent(token_, m.name, {m.ocmw.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_AGREEMENTS});
  auto caw_request = WatchRequest(m.caw);  // not the grants (see OnlyAgreements)
  caw_request.add_kinds(feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  caw_request.add_kinds(feed_v1::CHANGE_KIND_CONSENT_WITHDRAWN);
  auto ocmw_request = WatchRequest(m.ocmw);
  ocmw_request.add_kinds(feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  ocmw_request.add_kinds(feed_v1::CHANGE_KIND_ACCESS_ENDED);
  auto caw = OpenWatch(m.caw.token, caw_request);
  auto ocmw = OpenWatch(m.ocmw.token, ocmw_request);
  feed_v1::WatchChangesResponse now;
  ASSERT_TRUE(caw->Next(now));
  ASSERT_TRUE(ocmw->Next(now));
  const std::string ocmw_start = now.cursor();

  const auto before = Propose(m, "OCMW onderzoekt het recht op een leefloon");
  const auto ocmw_before = ocmw->Take(1);
  ASSERT_EQ(ocmw_before.size(), 1u);
  EXPECT_EQ(ocmw_before[0].resource(), before.name());
  EXPECT_TRUE(ocmw_before[0].has_agreement_log_entry());

  consent_v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(ocmw_consent.name());
  withdraw.set_withdrawn_by(m.client);
  withdraw.set_reason("wil niet dat het OCMW meekijkt");
  consent_v1::Consent withdrawn;
  ASSERT_TRUE(ConsentStub()->WithdrawConsent(Ctx(token_).get(), withdraw, &withdrawn).ok());
  const auto after = Propose(m, "CAW start wekelijkse budgetbegeleiding");

  // The CAW sees the withdrawal (with who, when and why) and the next agreement.
  const auto caw_seen = caw->Take(3);
  ASSERT_EQ(caw_seen.size(), 3u);
  EXPECT_EQ(caw_seen[1].kind(), feed_v1::CHANGE_KIND_CONSENT_WITHDRAWN);
  EXPECT_EQ(caw_seen[1].resource(), ocmw_consent.name());
  EXPECT_EQ(caw_seen[1].consent_event().reason(), "wil niet dat het OCMW meekijkt");
  EXPECT_EQ(caw_seen[1].consent_event().participant(), m.client);
  EXPECT_EQ(caw_seen[2].resource(), after.name());

  // The OCMW: one change that its access ended, without content, with the withdrawal's id; then
  // nothing of the case, though it still takes part in its team.
  const auto ended = ocmw->Take(1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind(), feed_v1::CHANGE_KIND_ACCESS_ENDED);
  EXPECT_EQ(ended[0].id(), caw_seen[1].id());
  EXPECT_EQ(ended[0].case_(), m.name);
  EXPECT_EQ(ended[0].resource(), ocmw_consent.name());
  EXPECT_FALSE(ended[0].has_consent_event());
  const auto listed = List(m.ocmw.token, Request(m.ocmw, ocmw_start));
  ASSERT_EQ(listed.changes_size(), 1) << "the agreement before the withdrawal is no longer delivered either";
  EXPECT_EQ(listed.changes(0).kind(), feed_v1::CHANGE_KIND_ACCESS_ENDED);
    EXPECT_TRUE(List(m.ocmw.token, Request(m.ocmw, ended[0].cursor())).changes().empty());
  // Only the end, by kind; home nursing (no consent named it) sees the withdrawal, not an end.
  auto ends = Request(m.ocmw, ocmw_start);
  ends.add_kinds(feed_v1::CHANGE_KIND_ACCESS_ENDED);
  EXPECT_EQ(List(m.ocmw.token, ends).changes_size(), 1);
  auto nursing = Request(m.nursing, ocmw_start);
  nursing.add_kinds(feed_v1::CHANGE_KIND_ACCESS_ENDED);
  nursing.add_kinds(feed_v1::CHANGE_KIND_CONSENT_WITHDRAWN);
  const auto nursing_seen = List(m.nursing.token, nursing);
  ASSERT_EQ(nursing_seen.changes_size(), 1);
  EXPECT_EQ(nursing_seen.changes(0).kind(), feed_v1::CHANGE_KIND_CONSENT_WITHDRAWN);
}

TEST_F(FeedTest, AMutualityThatJoinsLaterSeesMariasCaseFromThenOnAndIsToldWhenItLeaves) {
  const auto m = Maria();
  const auto before_goal = AddGoal(m, "Ik wil mijn rekeningen op tijd betalen");
  Propose(m, "CAW maakt een budgetplan");

  // The owner sees the case open and its team form, with who did it.
  auto team_kinds = Request(m.caw);
  team_kinds.set_case_(m.name);
  for (const auto kind : {feed_v1::CHANGE_KIND_CASE_OPENED, feed_v1::CHANGE_KIND_PARTICIPANT_ADDED,
                          feed_v1::CHANGE_KIND_PARTICIPATION_ENDED})
    team_kinds.add_kinds(kind);
  auto owners = team_kinds;
  owners.set_parent("organizations/" + org_);
  const auto formed = ListOnce(token_, owners, 6);
  ASSERT_EQ(formed.changes_size(), 6) << "opened, then the coordinator, the daughter and three partners";
  EXPECT_EQ(formed.changes(0).kind(), feed_v1::CHANGE_KIND_CASE_OPENED);
  EXPECT_EQ(formed.changes(0).resource(), m.name);
  EXPECT_EQ(formed.changes(0).team_change().participant(), m.client);
  EXPECT_EQ(formed.changes(0).category(), C::DATA_CATEGORY_CASE);
  EXPECT_EQ(formed.changes(3).resource(), m.caw_participant);
  EXPECT_EQ(formed.changes(3).team_change().role(), team_v1::PARTICIPANT_ROLE_PROFESSIONAL);
  EXPECT_EQ(formed.changes(3).actor_organization(), "organizations/" + org_);
  EXPECT_EQ(formed.changes(3).id().rfind(m.name + "/teamChanges/", 0), 0u);

  // The mutuality joins, with Maria's consent; then the plan changes again.
  const auto mutuality = MakePartner("mutualiteit", team_v1::ORGANIZATION_KIND_MUTUALITY_SOCIAL_SERVICE);
  team_v1::Participant joined;
  ASSERT_TRUE(AddParticipant(token_, m.name, mutuality.person_name(), team_v1::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN}, &joined).ok());
  GrantConsent(token_, m.name, {mutuality.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_CARE_PLAN});
  const auto after_goal = AddGoal(m, "Ik wil weten op welke tegemoetkomingen ik recht heb");

  // From the first, the mutuality gets its own joining, its consent and the goal after: nothing
  // of the case from before it took part (not the first goal, not the agreement).
  const auto seen = ListOnce(mutuality.token, Request(mutuality), 3);
  ASSERT_EQ(seen.changes_size(), 3);
  EXPECT_EQ(seen.changes(0).kind(), feed_v1::CHANGE_KIND_PARTICIPANT_ADDED);
  EXPECT_EQ(seen.changes(0).resource(), joined.name());
  EXPECT_EQ(seen.changes(0).team_change().kind(), team_v1::TEAM_CHANGE_KIND_ADDED);
  EXPECT_EQ(seen.changes(1).kind(), feed_v1::CHANGE_KIND_CONSENT_GRANTED);
  EXPECT_EQ(seen.changes(2).kind(), feed_v1::CHANGE_KIND_GOAL_CHANGED);
  EXPECT_EQ(seen.changes(2).resource(), after_goal.name());
  EXPECT_TRUE(seen.changes(2).has_care_plan_change());
  for (const auto& c : seen.changes()) EXPECT_NE(c.resource(), before_goal.name());

  // The coordinator ends its participation: the mutuality gets one change that its access ended,
  // with the end's id and no content, then nothing of the case.
  team_v1::EndParticipationRequest end;
  end.set_name(joined.name());
  end.set_reason("tegemoetkomingen zijn aangevraagd");
  team_v1::Participant ended;
  ASSERT_TRUE(TeamStub()->EndParticipation(Ctx(token_).get(), end, &ended).ok());
  const auto gone = ListOnce(mutuality.token, Request(mutuality, seen.cursor()), 1);
  ASSERT_EQ(gone.changes_size(), 1);
  EXPECT_EQ(gone.changes(0).kind(), feed_v1::CHANGE_KIND_ACCESS_ENDED);
  EXPECT_EQ(gone.changes(0).case_(), m.name);
  EXPECT_EQ(gone.changes(0).resource(), joined.name());
  EXPECT_FALSE(gone.changes(0).has_team_change());
  auto this_case = Request(mutuality, seen.cursor());
  this_case.set_case_(m.name);
  EXPECT_EQ(List(mutuality.token, this_case).changes_size(), 1) << "also by the case it left";

  // The CAW, still in the team, sees the team from its own joining on: itself, the OCMW, home
  // nursing, and the mutuality join and leave, with why.
  const auto caw = ListOnce(m.caw.token, team_kinds, 5);
  ASSERT_EQ(caw.changes_size(), 5);
  EXPECT_EQ(caw.changes(0).id(), formed.changes(3).id());
  EXPECT_EQ(caw.changes(3).resource(), joined.name());
  EXPECT_EQ(caw.changes(4).kind(), feed_v1::CHANGE_KIND_PARTICIPATION_ENDED);
  EXPECT_EQ(caw.changes(4).id(), gone.changes(0).id());
  EXPECT_EQ(caw.changes(4).team_change().reason(), "tegemoetkomingen zijn aangevraagd");

  // A later change reaches the CAW, not the mutuality.
  const auto later = AddGoal(m, "Ik wil een budgetmeter");
  auto goals = Request(m.caw, gone.changes(0).cursor());
  goals.add_kinds(feed_v1::CHANGE_KIND_GOAL_CHANGED);
  const auto caw_goals = ListOnce(m.caw.token, goals, 1);
  ASSERT_EQ(caw_goals.changes_size(), 1);
  EXPECT_EQ(caw_goals.changes(0).resource(), later.name());
  EXPECT_TRUE(List(mutuality.token, Request(mutuality, gone.changes(0).cursor())).changes().empty());
}

TEST_F(FeedTest, WhenAParticipationsPeriodRunsOutTheFeedSaysTheAccessEnded) {
  const auto m = Maria();
  const auto gp = MakePartner("huisarts", team_v1::ORGANIZATION_KIND_GP_PRACTICE, "huisarts");
  team_v1::AddParticipantRequest add;
  add.set_parent(m.name);
  auto* p = add.mutable_participant();
  p->set_person(gp.person_name());
  p->set_role(team_v1::PARTICIPANT_ROLE_PROFESSIONAL);
  p->add_mandate(P::PERMISSION_READ_CASE);
  p->mutable_valid_until()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 2);
  team_v1::Participant added;
  ASSERT_TRUE(TeamStub()->AddParticipant(Ctx(token_).get(), add, &added).ok());
  GrantConsent(token_, m.name, {gp.org}, {C::DATA_CATEGORY_CASE});
  const auto joined = ListOnce(gp.token, Request(gp), 2);  // its joining and its consent
  ASSERT_EQ(joined.changes_size(), 2);

  // Nobody changes the team: TeamService closes the participation once its period is over
  // (every second here), and the GP practice is told that its access ended.
  const auto gone = ListOnce(gp.token, Request(gp, joined.cursor()), 1);
  ASSERT_EQ(gone.changes_size(), 1);
  EXPECT_EQ(gone.changes(0).kind(), feed_v1::CHANGE_KIND_ACCESS_ENDED);
  EXPECT_EQ(gone.changes(0).resource(), added.name());
  // The owner sees the ending, made by the system: no organisation, no person.
  auto owners = Request(m.caw, joined.cursor());
  owners.set_parent("organizations/" + org_);
  owners.add_kinds(feed_v1::CHANGE_KIND_PARTICIPATION_ENDED);
  const auto ended = ListOnce(token_, owners, 1);
  ASSERT_EQ(ended.changes_size(), 1);
  EXPECT_EQ(ended.changes(0).id(), gone.changes(0).id());
  EXPECT_EQ(ended.changes(0).team_change().reason(), "validity period ended");
  EXPECT_EQ(ended.changes(0).actor_organization(), "");
}

TEST_F(FeedTest, WhenTheOcmwsConsentRunsOutItIsToldItsAccessEnded) {
  const auto m = Maria();
  auto grant = ConsentRequest(token_, m.name, {m.ocmw.org}, {C::DATA_CATEGORY_CASE});
  grant.mutable_consent()->mutable_valid_until()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 2);
  consent_v1::Consent granted;
  ASSERT_TRUE(ConsentStub()->GrantConsent(Ctx(token_).get(), grant, &granted).ok());
  auto ocmw = Request(m.ocmw);
  ocmw.add_kinds(feed_v1::CHANGE_KIND_CONSENT_GRANTED);
  const auto start = ListOnce(m.ocmw.token, ocmw, 3);  // the CAW's, home nursing's, its own
  ASSERT_EQ(start.changes_size(), 3);
  EXPECT_EQ(start.changes(2).resource(), granted.name());

  // Nobody withdraws it: ConsentService records its end once the period is over (every second
  // here). The OCMW is told its access ended; the CAW sees the consent expire.
  const auto gone = ListOnce(m.ocmw.token, Request(m.ocmw, start.cursor()), 1);
  ASSERT_EQ(gone.changes_size(), 1);
  EXPECT_EQ(gone.changes(0).kind(), feed_v1::CHANGE_KIND_ACCESS_ENDED);
  EXPECT_EQ(gone.changes(0).resource(), granted.name());
  auto caw = Request(m.caw, start.cursor());
  caw.add_kinds(feed_v1::CHANGE_KIND_CONSENT_EXPIRED);
  const auto expired = ListOnce(m.caw.token, caw, 1);
  ASSERT_EQ(expired.changes_size(), 1);
  EXPECT_EQ(expired.changes(0).id(), gone.changes(0).id());
  EXPECT_EQ(expired.changes(0).consent_event().kind(), consent_v1::CONSENT_EVENT_KIND_EXPIRED);
  EXPECT_EQ(expired.changes(0).consent_event().time().seconds(), grant.consent().valid_until().seconds());
  EXPECT_EQ(expired.changes(0).actor_organization(), "");
  // The case's consent history shows it too, once.
  consent_v1::ListConsentEventsRequest list;
  list.set_parent(m.name);
  consent_v1::ListConsentEventsResponse events;
  ASSERT_TRUE(ConsentStub()->ListConsentEvents(Ctx(token_).get(), list, &events).ok());
  int expiries = 0;
  for (const auto& e : events.events()) expiries += e.kind() == consent_v1::CONSENT_EVENT_KIND_EXPIRED;
  EXPECT_EQ(expiries, 1);
}

TEST_F(FeedTest, PagesAndFilters) {
  const auto m = Maria();
  const auto a = Propose(m, "Eerste afspraak");
  Accept(m, a);
  Propose(m, "Tweede afspraak");

  ASSERT_EQ(ListOnce(m.caw.token, AgreementChanges(m.caw), 3).changes_size(), 3);  // all three committed and visible
  auto request = AgreementChanges(m.caw);
  request.set_page_size(2);
  const auto first = List(m.caw.token, request);
  ASSERT_EQ(first.changes_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  EXPECT_EQ(first.cursor(), first.changes(1).cursor());
  request.set_page_token(first.next_page_token());
  const auto second = List(m.caw.token, request);
  ASSERT_EQ(second.changes_size(), 1);
  EXPECT_EQ(second.changes(0).id(), m.name + "/agreementLog/3");
  EXPECT_TRUE(second.next_page_token().empty());

  // Only answers; only this case; a case the CAW is not part of (existing or not) reads empty.
  auto answers = Request(m.caw);
  answers.add_kinds(feed_v1::CHANGE_KIND_AGREEMENT_ANSWERED);
  const auto answered = List(m.caw.token, answers);
  ASSERT_EQ(answered.changes_size(), 1);
  EXPECT_EQ(answered.changes(0).id(), m.name + "/agreementLog/2");
  auto this_case = AgreementChanges(m.caw);
  this_case.set_case_(m.name);
  EXPECT_EQ(List(m.caw.token, this_case).changes_size(), 3);
  const auto other = Maria();
  Propose(other, "Afspraak in een andere zaak");
  for (const auto& name : {other.name, std::string("cases/00000000-0000-4000-8000-000000000000")}) {
    this_case.set_case_(name);
    EXPECT_EQ(List(m.caw.token, this_case).changes_size(), 0) << name;
  }
  // An organisation in no case: no changes, and a cursor to resume from.
  const auto stranger = MakePartner("vreemde", team_v1::ORGANIZATION_KIND_OTHER);
  EXPECT_EQ(List(stranger.token, Request(stranger)).changes_size(), 0);
}

TEST_F(FeedTest, TheCawWatchesChangesAsTheyCommitAndResumesAfterADisconnectWithoutAGap) {
  const auto m = Maria();
  auto watch = OpenWatch(m.caw.token, OnlyAgreements(WatchRequest(m.caw)));  // from now
  feed_v1::WatchChangesResponse first;
  ASSERT_TRUE(watch->Next(first));  // at once, without changes: where "now" is
  EXPECT_EQ(first.changes_size(), 0);
  EXPECT_FALSE(first.cursor().empty());

  const auto budget = Propose(m, "CAW start wekelijkse budgetbegeleiding");
  Accept(m, budget);
  const auto seen = watch->Take(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].id(), m.name + "/agreementLog/1");
  EXPECT_EQ(seen[0].kind(), feed_v1::CHANGE_KIND_AGREEMENT_PROPOSED);
  EXPECT_EQ(seen[1].id(), m.name + "/agreementLog/2");
  EXPECT_EQ(seen[1].actor_organization(), "organizations/" + m.caw.org);
  EXPECT_TRUE(seen[1].has_agreement_log_entry());

  // The back office goes away; changes go on; it comes back from its last cursor and gets exactly
  // what it missed, then what follows.
  const std::string kept = watch->cursor;
  EXPECT_EQ(watch->Close().error_code(), StatusCode::CANCELLED);
  const auto second = Propose(m, "OCMW onderzoekt het recht op een verhoogde tegemoetkoming");
  auto again = OpenWatch(m.caw.token, OnlyAgreements(WatchRequest(m.caw, kept)));
  auto missed = again->Take(1);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].id(), m.name + "/agreementLog/3");
  EXPECT_EQ(missed[0].resource(), second.name());
  Accept(m, second);
  const auto next = again->Take(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].id(), m.name + "/agreementLog/4");
  EXPECT_EQ(again->Close().error_code(), StatusCode::CANCELLED);

  // Home nursing watches the same case without consent for agreements: withheld, in the same place.
  auto nursing = OpenWatch(m.nursing.token, OnlyAgreements(WatchRequest(m.nursing, first.cursor())));
  const auto withheld = nursing->Take(4);
  ASSERT_EQ(withheld.size(), 4u);
  for (std::size_t i = 0; i < withheld.size(); ++i) {
    EXPECT_EQ(withheld[i].id(), m.name + "/agreementLog/" + std::to_string(i + 1));
    EXPECT_TRUE(withheld[i].withheld());
    EXPECT_FALSE(withheld[i].has_agreement_log_entry());
  }
  nursing->Close();

  // Each delivery through the stream was a logged access decision.
  EXPECT_EQ(FeedReads(CaseAccessLog(token_, m.name), "WatchChanges"), ExpectedReads(m));
}

TEST_F(FeedTest, AQuietStreamSendsHeartbeatsWithTheCurrentCursor) {
  const auto m = Maria();
  auto request = OnlyAgreements(WatchRequest(m.caw));
  request.mutable_heartbeat_interval()->set_seconds(1);
  auto watch = OpenWatch(m.caw.token, request);
  feed_v1::WatchChangesResponse response;
  ASSERT_TRUE(watch->Next(response));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(watch->Next(response));  // nothing happens in the CAW's cases: a heartbeat
  EXPECT_EQ(response.changes_size(), 0);
  EXPECT_FALSE(response.cursor().empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  // Its cursor is a place to resume from: a later change comes after it.
  Propose(m, "Na de hartslag");
  auto resumed = OpenWatch(m.caw.token, OnlyAgreements(WatchRequest(m.caw, response.cursor())));
  const auto after = resumed->Take(1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id(), m.name + "/agreementLog/1");
}

TEST_F(FeedTest, ConcurrentWritersReachAWatcherOncePerChangeInEachCasesOrder) {
  const auto first = Maria();
  const auto second = Maria();
  // The first case's CAW also takes part in the second, with consent for its agreements.
  team_v1::Participant joined;
  ASSERT_TRUE(AddParticipant(token_, second.name, first.caw.person_name(), team_v1::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE, P::PERMISSION_ANSWER_AGREEMENTS}, &joined).ok());
  GrantConsent(token_, second.name, {first.caw.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_AGREEMENTS});
  auto watch = OpenWatch(first.caw.token, OnlyAgreements(WatchRequest(first.caw)));
  feed_v1::WatchChangesResponse now;
  ASSERT_TRUE(watch->Next(now));
  constexpr int kPerWriter = 6;
  std::vector<std::thread> writers;
  // All at once: two writers race for each case's first change, where PostgreSQL may give the one
  // that commits second the earlier transaction id (common/history_order.h).
  std::latch start(4);
  for (const auto* m : {&first, &second, &first, &second})
    writers.emplace_back([this, m, &start] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerWriter; ++i) Propose(*m, "Afspraak " + std::to_string(i));
    });
  for (auto& w : writers) w.join();
  const auto seen = watch->Take(4 * kPerWriter);
  std::map<std::string, int64_t> last_sequence;  // per case
  std::set<std::string> ids;
  for (const auto& c : seen) {
    EXPECT_TRUE(ids.insert(c.id()).second) << "twice: " << c.id();
    EXPECT_FALSE(c.withheld()) << c.id();
    const int64_t sequence = std::stoll(c.id().substr(c.id().rfind('/') + 1));
    EXPECT_EQ(sequence, last_sequence[c.case_()] + 1) << c.id();  // each case's in order, none skipped
    last_sequence[c.case_()] = sequence;
  }
  EXPECT_EQ(ids.size(), 4u * kPerWriter);
  EXPECT_EQ(last_sequence[first.name], 2 * kPerWriter);
  EXPECT_EQ(last_sequence[second.name], 2 * kPerWriter);
}

TEST_F(FeedTest, ASlowSubscriberIsToldToResumeAndMissesNothing) {
  const auto m = Maria();
  // A subscriber that does not read: a connection with a small receive window, so that what the
  // server writes backs up into its stream's buffer (40 changes in the tests) instead of the socket.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto channel = grpc::CreateCustomChannel(Harness::Get().Address(feed_v1::FeedService::service_full_name()),
                                           grpc::InsecureChannelCredentials(), args);
  auto watch = OpenWatch(m.caw.token, OnlyAgreements(WatchRequest(m.caw)), channel);
  feed_v1::WatchChangesResponse now;
  ASSERT_TRUE(watch->Next(now));
  constexpr int kChanges = 120;
  for (int i = 0; i < kChanges; ++i) Propose(m, "Afspraak " + std::to_string(i) + std::string(200, '.'));

  // It reads at last: what was written, then the end, with the reason and where to resume.
  std::set<std::string> ids;
  feed_v1::WatchChangesResponse response;
  while (watch->Next(response))
    for (const auto& c : response.changes()) ids.insert(c.id());
  const auto status = watch->stream->Finish();
  EXPECT_EQ(status.error_code(), StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(ErrorReason(status), "SLOW_SUBSCRIBER");
  EXPECT_LT(ids.size(), static_cast<std::size_t>(kChanges));
  // Resuming from the last cursor it received: the rest, nothing missing.
  auto resumed = OpenWatch(m.caw.token, OnlyAgreements(WatchRequest(m.caw, watch->cursor)));
  for (const auto& c : resumed->Take(kChanges - ids.size())) ids.insert(c.id());
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kChanges));
}

TEST_F(FeedTest, AnOrganisationHasAtMostEightStreams) {
  const auto m = Maria();
  std::vector<std::unique_ptr<Watch>> open;
  for (int i = 0; i < 8; ++i) {
    open.push_back(OpenWatch(m.caw.token, WatchRequest(m.caw)));
    feed_v1::WatchChangesResponse first;
    ASSERT_TRUE(open.back()->Next(first)) << i;
  }
  auto ninth = OpenWatch(m.caw.token, WatchRequest(m.caw));
  feed_v1::WatchChangesResponse response;
  EXPECT_FALSE(ninth->Next(response));
  const auto refused = ninth->stream->Finish();
  EXPECT_EQ(refused.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorReason(refused), "TOO_MANY_STREAMS");
  // Another organisation is not held back by the CAW's streams; a closed stream frees its place.
  auto nursing = OpenWatch(m.nursing.token, WatchRequest(m.nursing));
  EXPECT_TRUE(nursing->Next(response));
  open.back()->Close();
  open.pop_back();
  bool reopened = false;
  for (int tries = 0; tries < 50 && !reopened; ++tries) {  // the server frees it once gRPC is done with it
    auto again = OpenWatch(m.caw.token, WatchRequest(m.caw));
    reopened = again->Next(response);
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    else again->Close();
  }
  EXPECT_TRUE(reopened);
  for (auto& w : open) w->Close();
}

TEST_F(FeedTest, AnExpiredCursorIsOutOfRangeWithACursorToStartAgainFrom) {
  const auto m = Maria();
  const std::string cursor = List(m.caw.token, AgreementChanges(m.caw)).cursor();
  // What a back office that was away holds: the same cursor, from days ago (the tests' servers keep
  // 30 days; a cursor's last part is when its position was current).
  const auto aged = [&](int days) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    return cursor.substr(0, cursor.rfind('.') + 1) + std::to_string(now - days * 86400);
  };
  EXPECT_TRUE(FeedStub()->ListChanges(Ctx(m.caw.token).get(), AgreementChanges(m.caw, aged(29)),
                                      std::make_unique<feed_v1::ListChangesResponse>().get()).ok());
  const auto expired = Refused(m.caw.token, AgreementChanges(m.caw, aged(31)));
  EXPECT_EQ(expired.error_code(), StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(ErrorReason(expired), "CURSOR_EXPIRED");
  const std::string fresh = ErrorMetadata(expired, "cursor");
  ASSERT_FALSE(fresh.empty());
  // Having re-read the state, it continues from the cursor it was given: what changes next.
  const auto next = Propose(m, "Na de herstart");
  const auto resumed = ListOnce(m.caw.token, AgreementChanges(m.caw, fresh), 1);
  ASSERT_EQ(resumed.changes_size(), 1);
  EXPECT_EQ(resumed.changes(0).resource(), next.name());
  // A stream from the expired cursor ends the same way.
  auto watch = OpenWatch(m.caw.token, WatchRequest(m.caw, aged(31)));
  feed_v1::WatchChangesResponse response;
  EXPECT_FALSE(watch->Next(response));
  const auto ended = watch->stream->Finish();
  EXPECT_EQ(ended.error_code(), StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(ErrorReason(ended), "CURSOR_EXPIRED");
  EXPECT_FALSE(ErrorMetadata(ended, "cursor").empty());
}

TEST_F(FeedTest, BadInput) {
  const auto m = Maria();
  auto request = Request(m.caw);
  request.set_parent("organizations/" + m.nursing.org);  // another organisation's feed
  EXPECT_EQ(Refused(m.caw.token, request).error_code(), StatusCode::PERMISSION_DENIED);
  const auto field_of = [&](const feed_v1::ListChangesRequest& r) {
    const auto status = Refused(m.caw.token, r);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
    return ViolationFields(status);
  };
  request = Request(m.caw);
  request.set_parent("cases/x");
  EXPECT_EQ(field_of(request), std::vector<std::string>{"parent"});
  request = Request(m.caw, "1.2.3");
  EXPECT_EQ(field_of(request), std::vector<std::string>{"after_cursor"});
  request = Request(m.caw);
  request.add_kinds(feed_v1::CHANGE_KIND_UNSPECIFIED);
  request.add_kinds(static_cast<feed_v1::ChangeKind>(99));
  request.set_case_("cases/not-a-uuid");
  request.set_page_size(-1);
  EXPECT_EQ(field_of(request), (std::vector<std::string>{"kinds[0]", "kinds[1]", "case", "page_size"}));
  request = Request(m.caw);
  request.set_page_token(List(m.caw.token, Request(m.caw)).cursor());  // a cursor is not a page token
  EXPECT_EQ(field_of(request), std::vector<std::string>{"page_token"});

  // The stream checks the same, and its heartbeat interval, before it sends anything.
  const auto stream_refused = [&](const feed_v1::WatchChangesRequest& r) {
    auto watch = OpenWatch(m.caw.token, r);
    feed_v1::WatchChangesResponse response;
    EXPECT_FALSE(watch->Next(response));
    return watch->stream->Finish();
  };
  auto watch_request = WatchRequest(m.nursing);
  EXPECT_EQ(stream_refused(watch_request).error_code(), StatusCode::PERMISSION_DENIED);
  watch_request = WatchRequest(m.caw, "1.2.3");
  watch_request.add_kinds(feed_v1::CHANGE_KIND_UNSPECIFIED);
  watch_request.set_case_("cases/not-a-uuid");
  watch_request.mutable_heartbeat_interval()->set_nanos(500000000);
  const auto status = stream_refused(watch_request);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status),
            (std::vector<std::string>{"after_cursor", "kinds[0]", "case", "heartbeat_interval"}));
}

}  // namespace
}  // namespace kp::test
