// ConsentService and AuditService through the gRPC API: the scenario's consents, the one access
// decision, withdrawal effective at once (also in a second server process), the access log, bad
// input, and a randomized comparison of decisions against a small reference model of the rules.
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <google/protobuf/util/time_util.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "common/sha256.h"
#include "common/validation.h"
#include "host/server.h"
#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
using google::protobuf::util::TimeUtil;
using T = team_v1::ParticipantRole;
using P = team_v1::Permission;
using C = consent_v1::DataCategory;


consent_v1::AccessDecision Check(const std::string& token, const std::string& case_name, C category,
                                 consent_v1::Action action = consent_v1::ACTION_READ,
                                 grpc::Status* status_out = nullptr) {
  consent_v1::CheckAccessRequest request;
  request.set_case_(case_name);
  request.set_category(category);
  request.set_action(action);
  request.set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
  consent_v1::AccessDecision decision;
  const auto status = ConsentStub()->CheckAccess(Ctx(token).get(), request, &decision);
  if (status_out) *status_out = status;
  else EXPECT_TRUE(status.ok()) << status.error_message();
  return decision;
}

class ConsentTest : public CaseApiTest {
 protected:
  grpc::Status GetCase(const std::string& token, const std::string& name) {
    v1::GetCaseRequest request;
    request.set_name(name);
    v1::Case out;
    return stub_->GetCase(Ctx(token).get(), request, &out);
  }

  grpc::Status Withdraw(const std::string& token, const std::string& consent, const std::string& by,
                        const std::string& reason, consent_v1::Consent* out = nullptr) {
    consent_v1::WithdrawConsentRequest request;
    request.set_name(consent);
    request.set_withdrawn_by(by);
    request.set_reason(reason);
    consent_v1::Consent ignored;
    return ConsentStub()->WithdrawConsent(Ctx(token).get(), request, out ? out : &ignored);
  }

  // A case of the fixture's organisation in whose team the partner may read the case (mandate
  // READ_CASE), with the client's consent for the case only.
  v1::Case CaseTheyMayRead(const Partner& partner) {
    const auto c = CreateCase(token_, CreateClient(token_).name());
    AppointCoordinator(c.name());
    team_v1::Participant added;
    EXPECT_TRUE(AddParticipant(token_, c.name(), partner.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                               {P::PERMISSION_READ_CASE}, &added).ok());
    GrantConsent(token_, c.name(), {partner.org}, {C::DATA_CATEGORY_CASE});
    return c;
  }
};

// Maria grants CAW, OCMW and home nursing the care plan and agreements (and the case); only the
// GP and home nursing medical data. Later she withdraws the OCMW's consent: from that request on
// the OCMW reads nothing, also through a second server process; her access log shows every access
// and denial.
TEST_F(ConsentTest, MariasConsentsFromTheScenario) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto ocmw = MakePartner("ocmw", team_v1::ORGANIZATION_KIND_OCMW);
  const auto nursing = MakePartner("thuisverpleging", team_v1::ORGANIZATION_KIND_HOME_NURSING);
  const auto gp = MakePartner("huisarts", team_v1::ORGANIZATION_KIND_GP_PRACTICE);
  const auto c = CreateCase(token_, CreateClient(token_).name(), "Onbetaalde rekeningen, vochtige woning");
  AppointCoordinator(c.name());
  const std::vector<P> mandate = {P::PERMISSION_READ_CASE, P::PERMISSION_READ_CARE_PLAN,
                                  P::PERMISSION_PROPOSE_AGREEMENTS, P::PERMISSION_ANSWER_AGREEMENTS};
  team_v1::Participant added;
  for (const auto* p : {&caw, &ocmw, &nursing, &gp})
    ASSERT_TRUE(AddParticipant(token_, c.name(), p->person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL, mandate, &added).ok());

  // Team membership alone gives no access: there is no consent yet.
  auto d = Check(caw.token, c.name(), C::DATA_CATEGORY_CARE_PLAN);
  EXPECT_EQ(d.decision(), consent_v1::DECISION_DENY);
  EXPECT_EQ(d.deny_reason(), consent_v1::DENY_REASON_NO_CONSENT);
  EXPECT_EQ(GetCase(caw.token, c.name()).error_code(), StatusCode::NOT_FOUND);

  const std::vector<C> plan = {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_CARE_PLAN, C::DATA_CATEGORY_AGREEMENTS};
  const auto for_caw_and_nursing = GrantConsent(token_, c.name(), {caw.org, nursing.org}, plan);
  const auto for_ocmw = GrantConsent(token_, c.name(), {ocmw.org}, plan);
  const auto medical = GrantConsent(token_, c.name(), {gp.org, nursing.org}, {C::DATA_CATEGORY_MEDICAL});
  EXPECT_EQ(for_ocmw.state(), consent_v1::CONSENT_STATE_ACTIVE);
  EXPECT_EQ(for_ocmw.verified_by(), person_);
  EXPECT_EQ(for_ocmw.grantor_role(), T::PARTICIPANT_ROLE_CLIENT);

  // The one decision, with its grounds.
  d = Check(caw.token, c.name(), C::DATA_CATEGORY_CARE_PLAN);
  EXPECT_EQ(d.decision(), consent_v1::DECISION_PERMIT);
  EXPECT_EQ(d.ground(), consent_v1::GROUND_PARTICIPATION_AND_CONSENT);
  EXPECT_EQ(d.permission(), P::PERMISSION_READ_CARE_PLAN);
  EXPECT_EQ(std::vector<std::string>(d.consents().begin(), d.consents().end()),
            std::vector<std::string>{for_caw_and_nursing.name()});
  // Its log entry is named under the case by an id that says nothing of the log's size.
  const std::string entry_prefix = c.name() + "/accessLogEntries/";
  ASSERT_EQ(d.log_entry().rfind(entry_prefix, 0), 0u) << d.log_entry();
  EXPECT_TRUE(kp::IsUuid(d.log_entry().substr(entry_prefix.size()))) << d.log_entry();
  const std::string care_plan_check_entry = d.log_entry();
  d = Check(caw.token, c.name(), C::DATA_CATEGORY_MEDICAL);
  EXPECT_EQ(d.deny_reason(), consent_v1::DENY_REASON_NO_CONSENT) << "CAW is denied medical data";
  EXPECT_EQ(Check(gp.token, c.name(), C::DATA_CATEGORY_MEDICAL).decision(), consent_v1::DECISION_PERMIT);
  EXPECT_EQ(Check(nursing.token, c.name(), C::DATA_CATEGORY_MEDICAL).consents_size(), 1);
  EXPECT_EQ(Check(gp.token, c.name(), C::DATA_CATEGORY_CARE_PLAN).deny_reason(), consent_v1::DENY_REASON_NO_CONSENT);
  d = Check(caw.token, c.name(), C::DATA_CATEGORY_CARE_PLAN, consent_v1::ACTION_WRITE);
  EXPECT_EQ(d.deny_reason(), consent_v1::DENY_REASON_MANDATE) << "reading the plan is not editing it";
  d = Check(token_, c.name(), C::DATA_CATEGORY_MEDICAL);
  EXPECT_EQ(d.ground(), consent_v1::GROUND_OWNER);
  // To an outsider an existing case and a missing one look the same.
  const auto stranger = Token(UniqueOrg("stranger"), "x");
  const auto told = Check(stranger, c.name(), C::DATA_CATEGORY_CASE);
  const auto missing = Check(stranger, "cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58", C::DATA_CATEGORY_CASE);
  EXPECT_EQ(told.deny_reason(), consent_v1::DENY_REASON_CASE_UNKNOWN);
  EXPECT_EQ(told.decision(), missing.decision());
  EXPECT_EQ(told.deny_reason(), missing.deny_reason());
  EXPECT_EQ(told.ground(), missing.ground());
  ASSERT_TRUE(GetCase(ocmw.token, c.name()).ok());

  // A second server process on the same database, to see that no cache outlives a withdrawal.
  ServerApp second(TestServerConfig(), AllModules());
  auto second_channel = LocalChannel(second.Start());
  auto second_cases = v1::CaseService::NewStub(second_channel);
  v1::GetCaseRequest get;
  get.set_name(c.name());
  v1::Case seen;
  ASSERT_TRUE(second_cases->GetCase(Ctx(ocmw.token).get(), get, &seen).ok());

  consent_v1::Consent withdrawn;
  const auto maria = ClientParticipant(token_, c.name());
  // A withdrawal is recorded by who may record a grant (her care coordinator, or a participant who
  // manages the team): a partner who reads the case may not, and an outsider does not learn of it.
  const auto by_partner = Withdraw(caw.token, for_ocmw.name(), maria, "");
  EXPECT_EQ(by_partner.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(by_partner), "NOT_TEAM_MANAGER");
  EXPECT_EQ(Withdraw(Token(UniqueOrg("stranger"), "x"), for_ocmw.name(), maria, "").error_code(), StatusCode::NOT_FOUND);
  ASSERT_TRUE(Withdraw(token_, for_ocmw.name(), maria, "wil het OCMW er niet meer bij", &withdrawn).ok());
  EXPECT_EQ(withdrawn.state(), consent_v1::CONSENT_STATE_WITHDRAWN);
  EXPECT_EQ(withdrawn.withdrawn_by(), maria);
  // From the very next request, in both processes.
  EXPECT_EQ(GetCase(ocmw.token, c.name()).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(second_cases->GetCase(Ctx(ocmw.token).get(), get, &seen).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(Check(ocmw.token, c.name(), C::DATA_CATEGORY_CARE_PLAN).deny_reason(), consent_v1::DENY_REASON_NO_CONSENT);
  EXPECT_TRUE(GetCase(caw.token, c.name()).ok()) << "other consents are untouched";
  second.Shutdown();
  EXPECT_EQ(ErrorReason(Withdraw(token_, for_ocmw.name(), maria, "")), "ALREADY_WITHDRAWN");

  // Maria's access log: who looked, on what ground; the denials too.
  const auto log = CaseAccessLog(token_, c.name());
  EXPECT_EQ(std::count_if(log.begin(), log.end(), [&](const auto& e) { return e.name() == care_plan_check_entry; }), 1);
  std::map<std::string, std::pair<int, int>> by_org;  // org -> (permits, denies)
  for (const auto& e : log) {
    // Each GetCase also asks about the client's identity (a test of its own below): counted here
    // are the decisions about the case and the categories the checks name.
    if (e.category() == C::DATA_CATEGORY_IDENTITY_AND_CONTACT) continue;
    auto& counts = by_org[e.organization()];
    (e.decision() == consent_v1::DECISION_PERMIT ? counts.first : counts.second)++;
    if (e.organization() == "organizations/" + ocmw.org && e.decision() == consent_v1::DECISION_PERMIT) {
      EXPECT_EQ(e.ground(), consent_v1::GROUND_PARTICIPATION_AND_CONSENT);
      EXPECT_EQ(std::vector<std::string>(e.consents().begin(), e.consents().end()),
                std::vector<std::string>{for_ocmw.name()});
      EXPECT_EQ(e.rpc(), "kruispunt.cases.v1.CaseService/GetCase");
    }
  }
  // OCMW: two reads (one per process) permitted; after the withdrawal two reads and a check denied.
  EXPECT_EQ(by_org["organizations/" + ocmw.org], std::make_pair(2, 3));
  // CAW: a check and a read before any consent, medical data and editing the plan denied; a
  // check and a read permitted.
  EXPECT_EQ(by_org["organizations/" + caw.org], std::make_pair(2, 4));
  EXPECT_GE(by_org["organizations/" + org_].first, 1);
  EXPECT_EQ(log.front().rpc(), "kruispunt.audit.v1.AuditService/ListCaseAccessLog") << "newest first";

  // The log is the owner's to read (for the client); a partner is told the case does not exist.
  grpc::Status status;
  CaseAccessLog(caw.token, c.name(), &status);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);

  // The history of her consents.
  consent_v1::ListConsentEventsRequest events_request;
  events_request.set_parent(c.name());
  consent_v1::ListConsentEventsResponse events;
  ASSERT_TRUE(ConsentStub()->ListConsentEvents(Ctx(token_).get(), events_request, &events).ok());
  ASSERT_EQ(events.events_size(), 4);
  EXPECT_EQ(events.events(3).kind(), consent_v1::CONSENT_EVENT_KIND_WITHDRAWN);
  EXPECT_EQ(events.events(3).reason(), "wil het OCMW er niet meer bij");
  EXPECT_EQ(events.events(3).recorded_by_person(), person_);
  consent_v1::ListConsentsRequest list;
  list.set_parent(c.name());
  list.set_state(consent_v1::CONSENT_STATE_ACTIVE);
  consent_v1::ListConsentsResponse current;
  ASSERT_TRUE(ConsentStub()->ListConsents(Ctx(token_).get(), list, &current).ok());
  EXPECT_EQ(current.consents_size(), 2);
}

TEST_F(ConsentTest, ARepresentativeConsentsForAClientWithoutCapacity) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto c = CreateCase(token_, CreateClient(token_).name());
  AppointCoordinator(c.name());
  const auto representative = RegisterInformal(token_, "Luc", "Peeters");
  const auto daughter = RegisterInformal(token_, "An", "Peeters");
  team_v1::Participant rep, carer, partner;
  ASSERT_TRUE(AddParticipant(token_, c.name(), representative.name(), T::PARTICIPANT_ROLE_LEGAL_REPRESENTATIVE,
                             {P::PERMISSION_READ_CASE}, &rep).ok());
  ASSERT_TRUE(AddParticipant(token_, c.name(), daughter.name(), T::PARTICIPANT_ROLE_INFORMAL_CARER,
                             {P::PERMISSION_READ_CASE}, &carer).ok());
  ASSERT_TRUE(AddParticipant(token_, c.name(), caw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                             {P::PERMISSION_READ_CASE}, &partner).ok());

  // An informal carer cannot consent for the client; the legal representative can.
  consent_v1::GrantConsentRequest request;
  request.set_parent(c.name());
  auto* consent = request.mutable_consent();
  consent->set_granted_by(carer.name());
  consent->add_recipient_organizations("organizations/" + caw.org);
  consent->add_categories(C::DATA_CATEGORY_CASE);
  consent->set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
  consent->set_method(consent_v1::CONSENT_METHOD_VERBAL);
  consent->set_verification_note("Vertegenwoordiger ter plaatse; geïnformeerd en vrijwillig.");
  consent->set_legal_basis(consent_v1::LEGAL_BASIS_EXPLICIT_CONSENT);
  consent_v1::Consent granted;
  auto status = ConsentStub()->GrantConsent(Ctx(token_).get(), request, &granted);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "GRANTOR_NOT_ENTITLED");
  consent->set_granted_by(rep.name());
  ASSERT_TRUE(ConsentStub()->GrantConsent(Ctx(token_).get(), request, &granted).ok());
  EXPECT_EQ(granted.grantor_role(), T::PARTICIPANT_ROLE_LEGAL_REPRESENTATIVE);
  EXPECT_TRUE(GetCase(caw.token, c.name()).ok());

  // Only a team manager records consent, given or withdrawn; the withdrawal is on behalf of the
  // grantor or the client.
  status = ConsentStub()->GrantConsent(Ctx(caw.token).get(), request, &granted);
  EXPECT_EQ(ErrorReason(status), "NOT_TEAM_MANAGER");
  EXPECT_EQ(ErrorReason(Withdraw(caw.token, granted.name(), rep.name(), "")), "NOT_TEAM_MANAGER");
  EXPECT_EQ(ErrorReason(Withdraw(token_, granted.name(), carer.name(), "")), "WITHDRAWER_NOT_ENTITLED");
  ASSERT_TRUE(Withdraw(token_, granted.name(), rep.name(), "").ok());
  EXPECT_EQ(GetCase(caw.token, c.name()).error_code(), StatusCode::NOT_FOUND);
}

TEST_F(ConsentTest, BadInputGetsFieldViolationsAndRecordsCannotBeChanged) {
  const auto c = CreateCase(token_, CreateClient(token_).name());
  AppointCoordinator(c.name());
  consent_v1::GrantConsentRequest request;
  request.set_parent(c.name());
  auto* consent = request.mutable_consent();
  consent->set_granted_by("cases/other/participants/x");
  consent->add_recipient_organizations("caw");
  consent->add_categories(static_cast<C>(42));
  const auto now = TimeUtil::GetCurrentTime();
  *consent->mutable_valid_from() = now + TimeUtil::SecondsToDuration(7200);
  *consent->mutable_valid_until() = now + TimeUtil::SecondsToDuration(3600);
  consent_v1::Consent out;
  auto status = ConsentStub()->GrantConsent(Ctx(token_).get(), request, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status),
            (std::vector<std::string>{"consent.granted_by", "consent.recipient_organizations", "consent.categories",
                                      "consent.purpose", "consent.valid_until", "consent.method",
                                      "consent.verification_note", "consent.legal_basis"}));
  consent_v1::CheckAccessRequest check;
  check.set_case_("cases/x");
  consent_v1::AccessDecision decision;
  EXPECT_EQ(ViolationFields(ConsentStub()->CheckAccess(Ctx(token_).get(), check, &decision)),
            std::vector<std::string>{"case"});
  check.set_case_(c.name());
  EXPECT_EQ(ViolationFields(ConsentStub()->CheckAccess(Ctx(token_).get(), check, &decision)),
            (std::vector<std::string>{"category", "action", "purpose"}));

  // A recipient organisation must be in the partner directory (a typo is not recorded).
  const auto unknown_org = UniqueOrg("typo", /*registered=*/false);
  consent_v1::GrantConsentRequest typo;
  typo.set_parent(c.name());
  *typo.mutable_consent() = *consent;
  typo.mutable_consent()->clear_valid_from();
  typo.mutable_consent()->clear_valid_until();
  typo.mutable_consent()->clear_categories();
  typo.mutable_consent()->add_categories(C::DATA_CATEGORY_CASE);
  typo.mutable_consent()->clear_recipient_organizations();
  typo.mutable_consent()->add_recipient_organizations("organizations/" + org_);
  typo.mutable_consent()->add_recipient_organizations("organizations/" + unknown_org);
  typo.mutable_consent()->set_granted_by(ClientParticipant(token_, c.name()));
  typo.mutable_consent()->set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
  typo.mutable_consent()->set_method(consent_v1::CONSENT_METHOD_WRITTEN);
  typo.mutable_consent()->set_verification_note("Geïnformeerd en vrijwillig.");
  typo.mutable_consent()->set_legal_basis(consent_v1::LEGAL_BASIS_EXPLICIT_CONSENT);
  const auto refused = ConsentStub()->GrantConsent(Ctx(token_).get(), typo, &out);
  EXPECT_EQ(refused.error_code(), StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_EQ(ViolationFields(refused), std::vector<std::string>{"consent.recipient_organizations"});

  // A timestamp out of google.protobuf.Timestamp's range is refused on its field (it used to
  // reach PostgreSQL and come back as INTERNAL), in every service that takes one.
  google::protobuf::Timestamp far_past;
  far_past.set_seconds(-1000000000000);
  *consent->mutable_valid_from() = far_past;
  EXPECT_EQ(ViolationFields(ConsentStub()->GrantConsent(Ctx(token_).get(), request, &out))[4], "consent.valid_from");
  team_v1::AddParticipantRequest add;
  add.set_parent(c.name());
  add.mutable_participant()->set_person(RegisterInformal(token_, "An", "Peeters").name());
  add.mutable_participant()->set_role(T::PARTICIPANT_ROLE_INFORMAL_CARER);
  add.mutable_participant()->add_mandate(P::PERMISSION_READ_CARE_PLAN);
  *add.mutable_participant()->mutable_valid_from() = far_past;
  team_v1::Participant added;
  const auto bad_from = TeamStub()->AddParticipant(Ctx(token_).get(), add, &added);
  EXPECT_EQ(bad_from.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(bad_from), std::vector<std::string>{"participant.valid_from"});
  audit_v1::SearchAccessLogRequest search;
  *search.mutable_start_time() = far_past;
  search.mutable_end_time()->set_nanos(-1);
  audit_v1::ListAccessLogResponse found;
  const auto dpo = Token("kruispunt-platform", "dpo-1", 300, "kruispunt", "", "dpo");
  EXPECT_EQ(ViolationFields(AuditStub()->SearchAccessLog(Ctx(dpo).get(), search, &found)),
            (std::vector<std::string>{"start_time", "end_time"}));

  // Consents, withdrawals and the access log are append-only, even for SQL run by hand.
  const auto granted = GrantConsent(token_, c.name(), {org_}, {C::DATA_CATEGORY_CASE});
  pqxx::connection db(Harness::Get().database_url());
  pqxx::nontransaction tx(db);
  EXPECT_THROW(tx.exec("UPDATE consent.consents SET categories = 4"), pqxx::sql_error);
  EXPECT_THROW(tx.exec("DELETE FROM audit.access_log"), pqxx::sql_error);
}

// A reference model of the rules: the owner sees everything; a partner organisation only with an
// active participation whose mandate allows the access and a consent in force covering it. A
// random sequence of joins, departures, grants, withdrawals and checks runs against the API and
// every decision is compared with the model's.
TEST_F(ConsentTest, DecisionsAgreeWithAReferenceModel) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  const auto c = CreateCase(token_, CreateClient(token_).name());
  AppointCoordinator(c.name());
  const std::string client = ClientParticipant(token_, c.name());
  std::vector<Partner> partners;
  for (int i = 0; i < 3; ++i) partners.push_back(MakePartner("p" + std::to_string(i), team_v1::ORGANIZATION_KIND_OTHER));
  const std::vector<C> categories = {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_CARE_PLAN, C::DATA_CATEGORY_MEDICAL};

  struct Membership { std::string participant; std::set<P> mandate; };
  struct ConsentModel { std::string name; std::set<std::string> orgs; std::set<C> categories; };
  std::map<std::string, Membership> members;  // org -> active membership
  std::vector<ConsentModel> consents;          // in force

  auto model_permits = [&](const std::string& org, C category) {
    if (org == org_) return true;
    auto m = members.find(org);
    if (m == members.end()) return false;
    const bool mandate = category == C::DATA_CATEGORY_CARE_PLAN ? m->second.mandate.count(P::PERMISSION_READ_CARE_PLAN) > 0
                                                                : m->second.mandate.count(P::PERMISSION_READ_CASE) > 0;
    if (!mandate) return false;
    for (const auto& k : consents)
      if (k.orgs.count(org) && k.categories.count(category)) return true;
    return false;
  };

  int checks = 0, permits = 0;
  for (int step = 0; step < 120; ++step) {
    const auto& p = partners[random() % partners.size()];
    switch (random() % 5) {
      case 0: {  // join, or leave if already in the team
        auto m = members.find(p.org);
        if (m == members.end()) {
          std::set<P> mandate;
          if (random() % 2) mandate.insert(P::PERMISSION_READ_CASE);
          if (random() % 2 || mandate.empty()) mandate.insert(P::PERMISSION_READ_CARE_PLAN);
          team_v1::Participant added;
          ASSERT_TRUE(AddParticipant(token_, c.name(), p.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                                     std::vector<P>(mandate.begin(), mandate.end()), &added).ok());
          members[p.org] = {added.name(), mandate};
        } else {
          team_v1::EndParticipationRequest end;
          end.set_name(m->second.participant);
          team_v1::Participant ended;
          ASSERT_TRUE(TeamStub()->EndParticipation(Ctx(token_).get(), end, &ended).ok());
          members.erase(m);
        }
        break;
      }
      case 1: {  // grant to one or two organisations, one or two kinds of data
        std::set<std::string> orgs = {p.org};
        if (random() % 2) orgs.insert(partners[random() % partners.size()].org);
        std::set<C> covered = {categories[random() % categories.size()]};
        if (random() % 2) covered.insert(categories[random() % categories.size()]);
        const auto granted = GrantConsent(token_, c.name(), std::vector<std::string>(orgs.begin(), orgs.end()),
                                          std::vector<C>(covered.begin(), covered.end()));
        consents.push_back({granted.name(), orgs, covered});
        break;
      }
      case 2: {  // withdraw one in force
        if (consents.empty()) break;
        const auto k = random() % consents.size();
        ASSERT_TRUE(Withdraw(token_, consents[k].name, client, "").ok());
        consents.erase(consents.begin() + static_cast<long>(k));
        break;
      }
      default: {  // check a random organisation (the owner included) and kind of data
        const bool owner = random() % 6 == 0;
        const std::string& org = owner ? org_ : p.org;
        const std::string& token = owner ? token_ : p.token;
        const C category = categories[random() % categories.size()];
        const auto decision = Check(token, c.name(), category);
        const bool expected = model_permits(org, category);
        EXPECT_EQ(decision.decision() == consent_v1::DECISION_PERMIT, expected)
            << "step " << step << ": " << org << " reading category " << category;
        ++checks;
        permits += expected;
      }
    }
  }
  EXPECT_GT(checks, 20);
  RecordProperty("permits", permits);
}

TEST_F(ConsentTest, ChangesAndListsAreDecidedAndLoggedToo) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto c = CaseTheyMayRead(caw);

  v1::UpdateCaseRequest update;
  update.mutable_case_()->set_name(c.name());
  update.mutable_case_()->set_title("Schulden, woning en eenzaamheid");
  update.mutable_update_mask()->add_paths("title");
  v1::Case updated;
  auto status = stub_->UpdateCase(Ctx(caw.token).get(), update, &updated);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED) << "a partner may read, not change, the case";
  EXPECT_EQ(ErrorReason(status), "NOT_ALLOWED");
  ASSERT_TRUE(stub_->UpdateCase(Ctx(token_).get(), update, &updated).ok());
  v1::ListCasesResponse listed;
  ASSERT_TRUE(stub_->ListCases(Ctx(token_).get(), v1::ListCasesRequest(), &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);

  int owner_writes = 0, partner_write_denials = 0;
  std::multiset<C> owner_list_reads;  // by category: the case, and its client's identity
  for (const auto& e : CaseAccessLog(token_, c.name())) {
    if (e.organization() == "organizations/" + org_ && e.action() == consent_v1::ACTION_WRITE && e.ground() == consent_v1::GROUND_OWNER)
      ++owner_writes;
    if (e.organization() == "organizations/" + org_ && e.rpc() == "kruispunt.cases.v1.CaseService/ListCases")
      owner_list_reads.insert(e.category());
    if (e.organization() == "organizations/" + caw.org && e.action() == consent_v1::ACTION_WRITE &&
        e.deny_reason() == consent_v1::DENY_REASON_MANDATE)
      ++partner_write_denials;
  }
  EXPECT_EQ(owner_writes, 1);
  EXPECT_EQ(owner_list_reads, (std::multiset<C>{C::DATA_CATEGORY_IDENTITY_AND_CONTACT, C::DATA_CATEGORY_CASE}));
  EXPECT_EQ(partner_write_denials, 1);
}

// Each category of data in an answer is decided on its own. A partner whose consent covers the
// case but not the client's identity reads the case without the client's INSZ, names and birth
// date, and is told they were withheld; the log records both decisions, each under its category.
// Once the client consents to share the identity too, the partner reads it.
TEST_F(ConsentTest, AClientsIdentityIsShownOnlyWhereItsOwnCategoryIsConsentedTo) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto c = CaseTheyMayRead(caw);

  v1::GetCaseRequest get;
  get.set_name(c.name());
  v1::Case read;
  ASSERT_TRUE(stub_->GetCase(Ctx(caw.token).get(), get, &read).ok());
  EXPECT_EQ(read.title(), c.title());
  EXPECT_FALSE(read.has_client_summary()) << read.client_summary().DebugString();
  EXPECT_EQ(std::vector<int>(read.withheld_categories().begin(), read.withheld_categories().end()),
            std::vector<int>{C::DATA_CATEGORY_IDENTITY_AND_CONTACT});
  std::map<C, consent_v1::Decision> partner_reads;
  for (const auto& e : CaseAccessLog(token_, c.name()))
    if (e.organization() == "organizations/" + caw.org && e.rpc() == "kruispunt.cases.v1.CaseService/GetCase")
      partner_reads[e.category()] = e.decision();
  EXPECT_EQ(partner_reads, (std::map<C, consent_v1::Decision>{
                               {C::DATA_CATEGORY_IDENTITY_AND_CONTACT, consent_v1::DECISION_DENY},
                               {C::DATA_CATEGORY_CASE, consent_v1::DECISION_PERMIT}}));

  GrantConsent(token_, c.name(), {caw.org}, {C::DATA_CATEGORY_IDENTITY_AND_CONTACT});
  read.Clear();
  ASSERT_TRUE(stub_->GetCase(Ctx(caw.token).get(), get, &read).ok());
  EXPECT_EQ(read.client_summary().insz(), c.client_summary().insz());
  EXPECT_FALSE(read.client_summary().family_name().empty());
  EXPECT_EQ(read.withheld_categories_size(), 0);
  // The owner reads everything of its own case.
  read.Clear();
  ASSERT_TRUE(stub_->GetCase(Ctx(token_).get(), get, &read).ok());
  EXPECT_EQ(read.client_summary().insz(), c.client_summary().insz());
  EXPECT_EQ(read.withheld_categories_size(), 0);
}

// A partner's ListCases holds the cases it takes part in and may read (their reads logged like any
// read), with the client's identity only where that is consented to; never those without a
// consent, and never found by the client's INSZ.
TEST_F(ConsentTest, APartnerListsTheCasesItMayRead) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto readable = CreateCase(token_, CreateClient(token_).name(), "Schulden");
  const auto unconsented = CreateCase(token_, CreateClient(token_).name(), "Woning");
  for (const auto* c : {&readable, &unconsented}) {
    AppointCoordinator(c->name());
    team_v1::Participant added;
    ASSERT_TRUE(AddParticipant(token_, c->name(), caw.person_name(), T::PARTICIPANT_ROLE_PROFESSIONAL,
                               {P::PERMISSION_READ_CASE}, &added).ok());
  }
  const auto consent = GrantConsent(token_, readable.name(), {caw.org}, {C::DATA_CATEGORY_CASE});

  const auto list = [&](const std::string& insz = "") {
    v1::ListCasesRequest request;
    request.set_client_insz(insz);
    v1::ListCasesResponse response;
    const auto status = stub_->ListCases(Ctx(caw.token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return std::vector<v1::Case>(response.cases().begin(), response.cases().end());
  };
  auto listed = list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name(), readable.name());
  EXPECT_FALSE(listed[0].has_client_summary());
  EXPECT_EQ(listed[0].withheld_categories_size(), 1);
  EXPECT_TRUE(list(readable.client_summary().insz()).empty()) << "a partner does not search the owner's clients";
  int listed_reads = 0;
  for (const auto& e : CaseAccessLog(token_, readable.name()))
    if (e.organization() == "organizations/" + caw.org && e.rpc() == "kruispunt.cases.v1.CaseService/ListCases" &&
        e.category() == C::DATA_CATEGORY_CASE && e.decision() == consent_v1::DECISION_PERMIT)
      ++listed_reads;
  EXPECT_EQ(listed_reads, 1);

  ASSERT_TRUE(Withdraw(token_, consent.name(), ClientParticipant(token_, readable.name()), "ingetrokken").ok());
  EXPECT_TRUE(list().empty());
}

TEST_F(ConsentTest, ADataProtectionOfficerSearchesTheWholeLog) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto c = CreateCase(token_, CreateClient(token_).name());
  EXPECT_EQ(GetCase(caw.token, c.name()).error_code(), StatusCode::NOT_FOUND);
  audit_v1::SearchAccessLogRequest search;
  search.set_organization("organizations/" + caw.org);
  search.set_decision(consent_v1::DECISION_DENY);
  audit_v1::ListAccessLogResponse found;
  auto status = AuditStub()->SearchAccessLog(Ctx(token_).get(), search, &found);
  EXPECT_EQ(ErrorReason(status), "DPO_ONLY");
  const auto dpo = Token("kruispunt-platform", "dpo-1", 300, "kruispunt", "", "dpo");
  ASSERT_TRUE(AuditStub()->SearchAccessLog(Ctx(dpo).get(), search, &found).ok());
  // One GetCase: the case and the client's identity, each denied.
  ASSERT_EQ(found.entries_size(), 2);
  std::set<C> categories;
  for (const auto& e : found.entries()) {
    EXPECT_EQ(e.case_(), c.name());
    EXPECT_EQ(e.organization(), "organizations/" + caw.org);
    EXPECT_EQ(e.deny_reason(), consent_v1::DENY_REASON_NOT_IN_TEAM);
    categories.insert(e.category());
  }
  EXPECT_EQ(categories, (std::set<C>{C::DATA_CATEGORY_IDENTITY_AND_CONTACT, C::DATA_CATEGORY_CASE}));
  search.set_decision(consent_v1::DECISION_PERMIT);
  found.Clear();
  ASSERT_TRUE(AuditStub()->SearchAccessLog(Ctx(dpo).get(), search, &found).ok());
  EXPECT_EQ(found.entries_size(), 0) << "the CAW was never permitted";
  // An organisation is named one way everywhere: the bare id is refused.
  search.set_organization(caw.org);
  EXPECT_EQ(ViolationFields(AuditStub()->SearchAccessLog(Ctx(dpo).get(), search, &found)),
            std::vector<std::string>{"organization"});
}

// The DPO's search pages through a time window newest first, in each of its shapes (all entries,
// a decision, denials, an organisation, an organisation's denials): one entry per page gives the
// same entries as one big page, each once, although the decisions of one call share their time.
// The access log is kept by month (audit/0005): a case's log pages newest first across months,
// and entries leave it only as whole months past retention, by the expire-access-log job as the
// schemas' owner: exported first when asked (gzip, with a SHA-256 that sha256sum checks), and
// recorded. Younger months stay, and the run-time role cannot run it.
TEST_F(ConsentTest, OnlyWholeMonthsPastRetentionLeaveTheAccessLog) {
  const auto c = CreateCase(token_, CreateClient(token_).name());
  const std::string case_id = c.name().substr(std::string("cases/").size());
  pqxx::connection owner(Harness::Get().database_url());
  // One at a time: this test in the other deployment, run beside it, writes the same month.
  pqxx::connection lock(Harness::Get().database_url());
  pqxx::nontransaction(lock).exec("SELECT pg_advisory_lock(hashtext('test: access log retention'))");
  {
    // Three entries of March 1991 for this case, written by hand as the owner, as if they were
    // that old; and an empty month just within the retention of two years.
    pqxx::work tx(owner);
    tx.exec("SELECT audit.create_access_log_partition('1991-03-15 00:00+00')");
    tx.exec("SELECT audit.create_access_log_partition(now() - interval '23 months')");
    tx.exec_params("INSERT INTO audit.access_log (case_id, organization, person, category, action, purpose, decision, "
                   "ground, deny_reason, rpc, request_id, entry_time) SELECT $1::uuid, $2, 'archivist', 1, 1, 1, 1, 1, "
                   "0, 'GetCase', 'old-' || i, timestamptz '1991-03-20 00:00+00' + i * interval '1 day' "
                   "FROM generate_series(1, 3) i", case_id, org_);
    tx.commit();
  }
  const auto old = [](const std::vector<audit_v1::AccessLogEntry>& log) {
    std::vector<std::string> ids;
    for (const auto& e : log)
      if (e.request_id().starts_with("old-")) ids.push_back(e.request_id());
    return ids;
  };
  const auto before = CaseAccessLog(token_, c.name());
  EXPECT_EQ(old(before), (std::vector<std::string>{"old-3", "old-2", "old-1"})) << "newest first, across months";
  {
    // Page by page (one entry each) the same log, across the months in between.
    audit_v1::ListCaseAccessLogRequest request;
    request.set_parent(c.name());
    request.set_page_size(1);
    std::vector<audit_v1::AccessLogEntry> paged;
    do {
      audit_v1::ListAccessLogResponse page;
      ASSERT_TRUE(AuditStub()->ListCaseAccessLog(Ctx(token_).get(), request, &page).ok());
      paged.insert(paged.end(), page.entries().begin(), page.entries().end());
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    ASSERT_EQ(paged.size(), before.size() + 1) << "the first read is logged too";
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(paged[i + 1].name(), before[i].name());
  }

  const auto expire = [](pqxx::connection& conn, const std::string& archive) {
    Config config;
    config.access_log_retention_months = 24;
    config.access_log_archive_dir = archive;
    for (const auto& module : AllModules())
      for (const auto& job : module.jobs)
        if (job.name == "expire-access-log") return job.run(conn, config);
    FAIL() << "no expire-access-log job";
  };
  const auto archive = std::filesystem::temp_directory_path() / ("kp-archive-" + case_id);
  std::filesystem::create_directories(archive);
  {
    pqxx::connection app(Harness::Get().app_database_url());
    EXPECT_THROW(expire(app, archive), pqxx::insufficient_privilege) << "the run-time role";
  }
  expire(owner, archive);

  const auto after = CaseAccessLog(token_, c.name());
  EXPECT_TRUE(old(after).empty()) << "March 1991 left the log";
  std::set<std::string> kept;
  for (const auto& e : after) kept.insert(e.name());
  for (const auto& e : before) {
    if (!e.request_id().starts_with("old-")) {
      EXPECT_TRUE(kept.count(e.name())) << "younger entries stay: " << e.name();
    }
  }
  pqxx::nontransaction tx(owner);
  EXPECT_TRUE(tx.exec1("SELECT to_regclass('audit.access_log_y1991m03') IS NULL")[0].as<bool>());
  EXPECT_FALSE(tx.exec1("SELECT to_regclass('audit.' || audit.access_log_partition_name(now() - interval '23 months')) "
                        "IS NULL")[0].as<bool>()) << "a month within retention stays";
  const auto record = tx.exec(
      "SELECT entry_count, archive_file, archive_sha256, retention = interval '2 years', expired_by = current_user "
      "FROM audit.access_log_expiries WHERE partition_name = 'access_log_y1991m03' ORDER BY expiry_seq DESC LIMIT 1");
  ASSERT_EQ(record.size(), 1u) << "the removal is recorded";
  EXPECT_EQ(record[0][0].as<int64_t>(), 3);
  EXPECT_EQ(record[0][1].as<std::string>(), "access_log_y1991m03.tsv.gz");
  EXPECT_TRUE(record[0][3].as<bool>());
  EXPECT_TRUE(record[0][4].as<bool>());
  const auto file = archive / record[0][1].as<std::string>();
  const std::string sha256 = record[0][2].as<std::string>();
  EXPECT_EQ(Sha256Hex(ReadFileToString(file.string())), sha256);
  EXPECT_EQ(ReadFileToString(file.string() + ".sha256"), sha256 + "  access_log_y1991m03.tsv.gz\n");
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none) << "the archive names people";
  // The archive: a header, then the month's three entries in COPY text format.
  std::string text;
  if (gzFile in = gzopen(file.c_str(), "rb")) {
    char buffer[4096];
    for (int n; (n = gzread(in, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
    gzclose(in);
  }
  std::vector<std::string> lines;
  for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1)
    lines.push_back(text.substr(at, end - at));
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_TRUE(lines[0].starts_with("case_id\tentry_seq\tentry_id\tentry_time\t")) << lines[0];
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_TRUE(lines[i].starts_with(case_id + "\t")) << lines[i];
    EXPECT_NE(lines[i].find("\t1991-03-2"), std::string::npos) << "in UTC: " << lines[i];
  }
  std::filesystem::remove_all(archive);
}

TEST_F(ConsentTest, ADataProtectionOfficerPagesThroughATimeWindow) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto c = CreateCase(token_, CreateClient(token_).name());
  const auto start = MicrosNow();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(GetCase(caw.token, c.name()).error_code(), StatusCode::NOT_FOUND);
    EXPECT_TRUE(GetCase(token_, c.name()).ok());
  }
  // The window closes now, before the searches: other tests write to the log at the same time, and
  // an open window would take their entries in between two searches.
  const auto end = MicrosNow();
  const auto dpo = Token("kruispunt-platform", "dpo-1", 300, "kruispunt", "", "dpo");
  const auto search = [&](const std::string& organization, consent_v1::Decision decision, int page_size) {
    audit_v1::SearchAccessLogRequest request;
    request.set_organization(organization);
    request.set_decision(decision);
    *request.mutable_start_time() = start;
    *request.mutable_end_time() = end;
    request.set_page_size(page_size);
    std::vector<audit_v1::AccessLogEntry> entries;
    do {
      audit_v1::ListAccessLogResponse page;
      const auto status = AuditStub()->SearchAccessLog(Ctx(dpo).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      entries.insert(entries.end(), page.entries().begin(), page.entries().end());
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return entries;
  };
  const auto names = [](const std::vector<audit_v1::AccessLogEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.name());
    return out;
  };
  const std::string caw_name = "organizations/" + caw.org;
  const struct {
    std::string organization;
    consent_v1::Decision decision;
    std::size_t at_least;
  } shapes[] = {{"", consent_v1::DECISION_UNSPECIFIED, 12}, {"", consent_v1::DECISION_PERMIT, 6},
                {"", consent_v1::DECISION_DENY, 6},        {caw_name, consent_v1::DECISION_UNSPECIFIED, 6},
                {caw_name, consent_v1::DECISION_DENY, 6}};
  for (const auto& shape : shapes) {
    // An entry stamped before the window closed may still be committing: search again until two
    // whole searches around the paged one agree.
    std::vector<audit_v1::AccessLogEntry> whole, paged;
    for (int attempt = 0; attempt < 5; ++attempt) {
      const auto before = names(search(shape.organization, shape.decision, 500));
      paged = search(shape.organization, shape.decision, 1);
      whole = search(shape.organization, shape.decision, 500);
      if (before == names(whole)) break;
    }
    EXPECT_EQ(names(paged), names(whole)) << shape.organization << " " << shape.decision;
    EXPECT_GE(whole.size(), shape.at_least) << shape.organization << " " << shape.decision;
    const auto whole_names = names(whole);
    EXPECT_EQ(std::set<std::string>(whole_names.begin(), whole_names.end()).size(), whole.size());
    for (std::size_t i = 1; i < whole.size(); ++i) EXPECT_LE(whole[i].time(), whole[i - 1].time()) << "newest first";
    for (const auto& e : whole) {
      if (!shape.organization.empty()) {
        EXPECT_EQ(e.organization(), shape.organization);
      }
      if (shape.decision != consent_v1::DECISION_UNSPECIFIED) {
        EXPECT_EQ(e.decision(), shape.decision);
      }
      EXPECT_GE(e.time(), start);
      EXPECT_LT(e.time(), end);
    }
  }
}

// The lines the process logs while it lives, at level info, besides the usual output.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sinks = previous_->sinks();
    sinks.push_back(ring_);
    auto logger = std::make_shared<spdlog::logger>("capture", sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> Lines() const { return ring_->last_formatted(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> ring_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10000);
};

// The client's x-request-id and W3C trace context reach every service the call reaches: in one
// process the read is decided and logged by direct calls; with each service in its own process,
// the case, consent and audit servers each log a line of the call that carries both, and the
// access log entry carries the request id. Without an x-request-id, the trace id is the request
// id; an invalid traceparent is dropped.
TEST_F(ConsentTest, TheRequestIdAndTraceContextReachEveryServiceACallReaches) {
  const auto partner = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  const auto c = CaseTheyMayRead(partner);
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string request_id = UniqueId("req");
  auto get_case = [&](const std::string& x_request_id, const std::string& traceparent) {
    auto ctx = Ctx(partner.token);
    if (!x_request_id.empty()) ctx->AddMetadata("x-request-id", x_request_id);
    ctx->AddMetadata("traceparent", traceparent);
    ctx->AddMetadata("tracestate", "kp=test");
    v1::GetCaseRequest request;
    request.set_name(c.name());
    v1::Case out;
    EXPECT_TRUE(stub_->GetCase(ctx.get(), request, &out).ok());
    const auto echoed = ctx->GetServerInitialMetadata().find("x-request-id");
    return echoed == ctx->GetServerInitialMetadata().end() ? std::string()
                                                           : std::string(echoed->second.data(), echoed->second.size());
  };

  LogCapture capture;
  EXPECT_EQ(get_case(request_id, "00-" + trace_id + "-00f067aa0ba902b7-01"), request_id);
  std::set<std::string> methods;
  for (const auto& line : capture.Lines()) {
    if (line.find("request_id=" + request_id + " ") == std::string::npos) continue;
    EXPECT_NE(line.find("trace_id=" + trace_id), std::string::npos) << line;
    const auto at = line.find("method=");
    if (at != std::string::npos) methods.insert(line.substr(at + 7, line.find(' ', at) - at - 7));
  }
  const std::set<std::string> reached = Harness::Get().split()
      ? std::set<std::string>{"GetCase", "BatchCheckAccess", "RecordDecisions"}
      : std::set<std::string>{"GetCase"};
  for (const auto& method : reached) EXPECT_TRUE(methods.count(method)) << method << " did not log the call";
  const auto log = CaseAccessLog(token_, c.name());
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [&](const auto& e) {
    return e.request_id() == request_id && e.rpc() == "kruispunt.cases.v1.CaseService/GetCase";
  })) << "the access log entry carries the client's request id";

  // No x-request-id: the trace id serves; an invalid traceparent is ignored (a generated id).
  EXPECT_EQ(get_case("", "00-" + trace_id + "-00f067aa0ba902b7-01"), trace_id);
  const auto generated = get_case("", "00-" + std::string(32, '0') + "-00f067aa0ba902b7-01");
  EXPECT_EQ(generated.size(), 16u) << generated;
  int generated_lines = 0;
  for (const auto& line : capture.Lines()) {
    if (line.find("request_id=" + generated) != std::string::npos) {
      ++generated_lines;
      EXPECT_NE(line.find("trace_id=-"), std::string::npos) << line;
    }
  }
  EXPECT_GE(generated_lines, 1) << "the call with an invalid traceparent logged no line";
}

}  // namespace
}  // namespace kp::test
