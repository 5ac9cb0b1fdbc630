// kp-loadgen: keeps N RPCs outstanding over a few channels for a fixed time and reports
// throughput and latency percentiles. Statuses are checked: an error is counted, never timed
// as a success.
//
//   kp-loadgen --addr 127.0.0.1:50051 --token JWT seed --cases 1000 [--partner organizations/ORG/people/ID]
//   kp-loadgen --addr ... --token JWT seed-plan --cases 20 --goals 10 --actions 3 --evaluations 5
//   kp-loadgen --addr ... --token JWT seed-agreements --parties 16
//   kp-loadgen --addr ... --token JWT run --scenario get|check|create|plan|health|search|respond-same|
//              respond-different|list-cases|list-participations|case-log|map-search --concurrency 16 --seconds 5
//              [--list-token JWT | --names-file FILE] [--key PEM] [--org ORG]
//              [--cpu kruispuntd=PID,postgres=PID]
//   kp-loadgen --addr ... feed --key PEM --org OWNER [--partners 50] [--rate 200] [--seconds 20]
//              [--concurrency 8] [--subscribe 1]          (the change feed: see Feed below)
// With --cpu, the CPU time each named process (with its descendants) and the load generator
// itself spent in the measured window is reported per call (cpu_us_NAME=), from /proc.
// With --partner, seeding adds that professional to each case's team with READ_CASE and records
// the client's consent for the professional's organisation (--partner-org) to see the case; a run
// with --list-token lists the cases with that (the owner's) token and reads them with --token, so
// "get" then measures a partner's read, and "check" a partner's CheckAccess. seed-plan gives each
// of its cases a care plan of that many goals, each with that many actions and evaluations; "plan"
// reads the caller's cases' plans with GetCarePlan. seed-agreements makes N cases, each with
// professional bench-party-k of the caller's organisation answering for itself and an agreement
// whose one required party it is, and in the first case all N of them as parties of one shared
// agreement; "respond-different" has slot k answer its own case's agreement as bench-party-k,
// "respond-same" has every slot answer the shared one (tokens minted with --key for --org).
// A slot alternates accepting and withdrawing its acceptance: each is an answer that changes the
// agreement and appends to the log.
// "search" has the caller (a DPO's token) search the access log's last 30 days, first page.
// "list-cases" lists the caller's cases, first page; "list-participations" the current
// participations of organisation --org (the caller's own), first page; "case-log" reads a case's
// access log, first page. --names-file gives the cases that get, check, plan and case-log read (a
// case name per line) instead of listing them with --list-token: a large database's reads then
// spread over more cases than its first listed pages. "map-search" searches the social map that
// bench/socialmap.sh seeds (Slot::MapSearch).
#include <grpcpp/grpcpp.h>
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "common/jwt.h"
#include "kruispunt/agreements/v1/agreements.grpc.pb.h"
#include "kruispunt/audit/v1/audit.grpc.pb.h"
#include "kruispunt/careplan/v1/careplan.grpc.pb.h"
#include "kruispunt/cases/v1/cases.grpc.pb.h"
#include "kruispunt/consent/v1/consent.grpc.pb.h"
#include "kruispunt/feed/v1/feed.grpc.pb.h"
#include "kruispunt/socialmap/v1/socialmap.grpc.pb.h"
#include "kruispunt/team/v1/team.grpc.pb.h"

namespace {

namespace v1 = kruispunt::cases::v1;
using Clock = std::chrono::steady_clock;

std::map<std::string, std::string> ParseFlags(int argc, char** argv, int from) {
  std::map<std::string, std::string> flags;
  for (int i = from; i + 1 < argc; i += 2) flags[std::string(argv[i]).substr(2)] = argv[i + 1];
  return flags;
}

std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& addr, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("kp.channel", i);  // distinct args: a connection of its own per channel
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channels.push_back(grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

void Authorize(grpc::ClientContext& ctx, const std::string& token) {
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

// Creates a client and `count` cases for it (with `partner` in each case's team when given);
// prints the client's name.
int Seed(const std::string& addr, const std::string& token, int count, const std::string& partner,
         const std::string& partner_org) {
  namespace team_v1 = kruispunt::team::v1;
  namespace consent_v1 = kruispunt::consent::v1;
  auto channel = Channels(addr, 1)[0];
  auto stub = v1::CaseService::NewStub(channel);
  auto team = team_v1::TeamService::NewStub(channel);
  auto consent = consent_v1::ConsentService::NewStub(channel);
  v1::CreateClientRequest cr;
  cr.mutable_client()->set_insz("59031212301");
  cr.mutable_client()->set_given_name("Bench");
  cr.mutable_client()->set_family_name("Mark");
  cr.mutable_client()->mutable_birth_date()->set_year(1959);
  cr.mutable_client()->mutable_birth_date()->set_month(3);
  cr.mutable_client()->mutable_birth_date()->set_day(12);
  cr.set_request_id("00000000-0000-4000-8000-000000000001");
  v1::Client client;
  grpc::ClientContext ctx;
  Authorize(ctx, token);
  auto status = stub->CreateClient(&ctx, cr, &client);
  if (!status.ok()) {
    std::cerr << "seed: CreateClient failed: " << status.error_message() << "\n";
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    v1::CreateCaseRequest request;
    request.mutable_case_()->set_client(client.name());
    request.mutable_case_()->set_title("bench case");
    request.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
    v1::Case created;
    grpc::ClientContext c;
    Authorize(c, token);
    status = stub->CreateCase(&c, request, &created);
    if (!status.ok()) {
      std::cerr << "seed: CreateCase failed: " << status.error_message() << "\n";
      return 1;
    }
    if (partner.empty()) continue;
    team_v1::AddParticipantRequest add;
    add.set_parent(created.name());
    add.mutable_participant()->set_person(partner);
    add.mutable_participant()->set_role(team_v1::PARTICIPANT_ROLE_PROFESSIONAL);
    add.mutable_participant()->add_mandate(team_v1::PERMISSION_READ_CASE);
    team_v1::Participant added;
    grpc::ClientContext a;
    Authorize(a, token);
    status = team->AddParticipant(&a, add, &added);
    team_v1::ListParticipantsRequest list;
    list.set_parent(created.name());
    team_v1::ListParticipantsResponse members;
    grpc::ClientContext l;
    Authorize(l, token);
    if (status.ok()) status = team->ListParticipants(&l, list, &members);
    consent_v1::GrantConsentRequest grant;
    grant.set_parent(created.name());
    auto* k = grant.mutable_consent();
    for (const auto& m : members.participants())
      if (m.role() == team_v1::PARTICIPANT_ROLE_CLIENT) k->set_granted_by(m.name());
    k->add_recipient_organizations("organizations/" + partner_org);
    k->add_categories(consent_v1::DATA_CATEGORY_CASE);
    k->set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
    k->set_method(consent_v1::CONSENT_METHOD_WRITTEN);
    k->set_verification_note("bench");
    k->set_legal_basis(consent_v1::LEGAL_BASIS_EXPLICIT_CONSENT);
    consent_v1::Consent granted;
    grpc::ClientContext g;
    Authorize(g, token);
    if (status.ok()) status = consent->GrantConsent(&g, grant, &granted);
    if (!status.ok()) {
      std::cerr << "seed: adding the partner failed: " << status.error_message() << "\n";
      return 1;
    }
  }
  std::cout << client.name() << "\n";
  return 0;
}

std::vector<std::string> ListCaseNames(v1::CaseService::Stub& stub, const std::string& token);

// Runs one seeding RPC, rpc(&context), with the token; says what failed.
template <class Rpc>
bool Called(const char* command, const char* what, const std::string& token, Rpc&& rpc) {
  grpc::ClientContext ctx;
  Authorize(ctx, token);
  const grpc::Status status = rpc(&ctx);
  if (!status.ok()) std::cerr << command << ": " << what << " failed: " << status.error_message() << "\n";
  return status.ok();
}

// Creates `cases` cases of one client, each with a care plan: `goals` goals held by the client and
// accepted, each with `actions` actions and `evaluations` evaluations (dated on the days before
// today). Prints nothing; fails on the first error.
int SeedPlans(const std::string& addr, const std::string& token, int cases, int goals, int actions,
              int evaluations) {
  namespace cp = kruispunt::careplan::v1;
  namespace team_v1 = kruispunt::team::v1;
  auto channel = Channels(addr, 1)[0];
  auto plans = cp::CarePlanService::NewStub(channel);
  auto team = team_v1::TeamService::NewStub(channel);
  auto call = [&](const char* what, auto&& rpc) { return Called("seed-plan", what, token, rpc); };
  auto date = [](int days_ago) {
    const std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) -
                                        std::chrono::days(days_ago)};
    kruispunt::type::v1::Date out;
    out.set_year(static_cast<int>(d.year()));
    out.set_month(static_cast<int>(static_cast<unsigned>(d.month())));
    out.set_day(static_cast<int>(static_cast<unsigned>(d.day())));
    return out;
  };
  if (Seed(addr, token, cases, "", "") != 0) return 1;
  auto stub = v1::CaseService::NewStub(channel);
  for (const auto& case_name : ListCaseNames(*stub, token)) {
    team_v1::ListParticipantsRequest list;
    list.set_parent(case_name);
    team_v1::ListParticipantsResponse members;
    if (!call("ListParticipants", [&](auto* ctx) { return team->ListParticipants(ctx, list, &members); })) return 1;
    const std::string client = members.participants(0).name();
    for (int g = 0; g < goals; ++g) {
      cp::CreateGoalRequest create;
      create.set_parent(case_name);
      create.mutable_goal()->set_statement("Doel " + std::to_string(g + 1) + ": ik wil rust over mijn geld");
      create.mutable_goal()->set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
      create.mutable_goal()->set_held_by(client);
      create.mutable_goal()->set_priority(g + 1);
      cp::Goal goal;
      if (!call("CreateGoal", [&](auto* ctx) { return plans->CreateGoal(ctx, create, &goal); })) return 1;
      cp::ChangeGoalStateRequest accept;
      accept.set_name(goal.name());
      if (!call("AcceptGoal", [&](auto* ctx) { return plans->AcceptGoal(ctx, accept, &goal); })) return 1;
      for (int a = 0; a < actions; ++a) {
        cp::CreateActionRequest action;
        action.set_parent(case_name);
        action.mutable_action()->set_goal(goal.name());
        action.mutable_action()->set_description("Actie " + std::to_string(a + 1));
        action.mutable_action()->set_responsible(client);
        cp::Action out;
        if (!call("CreateAction", [&](auto* ctx) { return plans->CreateAction(ctx, action, &out); })) return 1;
      }
      for (int e = 0; e < evaluations; ++e) {
        cp::RecordEvaluationRequest evaluate;
        evaluate.set_parent(case_name);
        auto* ev = evaluate.mutable_evaluation();
        ev->set_goal(goal.name());
        *ev->mutable_evaluation_date() = date(evaluations - e);
        ev->mutable_client_rating()->set_score(5 + e % 5);
        ev->set_client_note("Het gaat beter");
        *ev->mutable_next_evaluation_date() = date(-28);
        cp::Evaluation out;
        if (!call("RecordEvaluation", [&](auto* ctx) { return plans->RecordEvaluation(ctx, evaluate, &out); })) return 1;
      }
    }
  }
  return 0;
}

std::string PartyPerson(int k) { return "bench-party-" + std::to_string(k); }

// N cases of one client; in each the caller (token subject `bench`) coordinates and professional
// bench-party-k answers agreements; see the top of this file.
int SeedAgreements(const std::string& addr, const std::string& token, int parties) {
  namespace ag = kruispunt::agreements::v1;
  namespace team_v1 = kruispunt::team::v1;
  auto channel = Channels(addr, 1)[0];
  auto team = team_v1::TeamService::NewStub(channel);
  auto deals = ag::AgreementService::NewStub(channel);
  auto call = [&](const char* what, auto&& rpc) { return Called("seed-agreements", what, token, rpc); };
  std::map<std::string, std::string> name_of;  // person id -> their name
  auto professional = [&](const std::string& id) {
    team_v1::CreatePersonRequest r;
    r.mutable_person()->set_kind(team_v1::PERSON_KIND_PROFESSIONAL);
    r.set_person_id(id);
    r.mutable_person()->set_profession("bench");
    r.mutable_person()->set_given_name("Bench");
    r.mutable_person()->set_family_name("Party");
    team_v1::Person out;
    const bool ok = call("CreatePerson", [&](auto* ctx) { return team->CreatePerson(ctx, r, &out); });
    name_of[id] = out.name();  // "organizations/{org}/people/{id}"
    return ok;
  };
  auto join = [&](const std::string& case_name, const std::string& person, team_v1::ParticipantRole role,
                  std::vector<team_v1::Permission> mandate, std::string* name) {
    team_v1::AddParticipantRequest r;
    r.set_parent(case_name);
    r.mutable_participant()->set_person(name_of.at(person));
    r.mutable_participant()->set_role(role);
    for (auto p : mandate) r.mutable_participant()->add_mandate(p);
    team_v1::Participant out;
    const bool ok = call("AddParticipant", [&](auto* ctx) { return team->AddParticipant(ctx, r, &out); });
    *name = out.name();
    return ok;
  };
  auto propose = [&](const std::string& case_name, const std::vector<std::string>& parties_named) {
    ag::ProposeAgreementRequest r;
    r.set_parent(case_name);
    r.mutable_content()->set_text("Wekelijkse budgetbegeleiding");
    for (const auto& p : parties_named) r.mutable_content()->add_required_parties()->set_participant(p);
    ag::Agreement out;
    return call("ProposeAgreement", [&](auto* ctx) { return deals->ProposeAgreement(ctx, r, &out); });
  };
  if (Seed(addr, token, parties, "", "") != 0 || !professional("bench")) return 1;
  for (int k = 0; k < parties; ++k)
    if (!professional(PartyPerson(k))) return 1;
  auto stub = v1::CaseService::NewStub(channel);
  const auto cases = ListCaseNames(*stub, token);
  std::vector<std::string> shared_parties;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    std::string ignored, party;
    if (!join(cases[c], "bench", team_v1::PARTICIPANT_ROLE_CARE_COORDINATOR,
              {team_v1::PERMISSION_READ_CASE, team_v1::PERMISSION_MANAGE_TEAM}, &ignored))
      return 1;
    for (int k = 0; k < parties; ++k) {
      if (c != 0 && static_cast<int>(c) != k) continue;
      if (!join(cases[c], PartyPerson(k), team_v1::PARTICIPANT_ROLE_PROFESSIONAL,
                {team_v1::PERMISSION_READ_CASE, team_v1::PERMISSION_ANSWER_AGREEMENTS}, &party))
        return 1;
      if (c == 0) shared_parties.push_back(party);
      if (static_cast<int>(c) == k && !propose(cases[c], {party})) return 1;
    }
  }
  return propose(cases[0], shared_parties) ? 0 : 1;
}

// What a slot of the respond scenarios answers: as whom, for which party, which agreement.
struct Answering {
  std::string token, party, agreement;
};

std::vector<std::string> ListCaseNames(v1::CaseService::Stub& stub, const std::string& token);

// Finds, for each bench-party-k, its party and agreement (its own case's, or the shared one).
std::vector<Answering> FindAnswering(const std::string& addr, const std::string& owner_token, bool shared,
                                     const std::string& key, const std::string& org) {
  namespace ag = kruispunt::agreements::v1;
  namespace team_v1 = kruispunt::team::v1;
  auto channel = Channels(addr, 1)[0];
  auto stub = v1::CaseService::NewStub(channel);
  auto team = team_v1::TeamService::NewStub(channel);
  auto deals = ag::AgreementService::NewStub(channel);
  std::map<int, Answering> found;
  for (const auto& case_name : ListCaseNames(*stub, owner_token)) {
    team_v1::ListParticipantsRequest lp;
    lp.set_parent(case_name);
    lp.set_page_size(100);
    team_v1::ListParticipantsResponse members;
    grpc::ClientContext c1;
    Authorize(c1, owner_token);
    if (!team->ListParticipants(&c1, lp, &members).ok()) continue;
    std::map<std::string, int> index_of;  // participant name -> k
    for (const auto& m : members.participants())
      if (const auto at = m.person().find("/people/bench-party-"); at != std::string::npos)
        index_of[m.name()] = std::stoi(m.person().substr(at + 20));
    ag::ListAgreementsRequest la;
    la.set_parent(case_name);
    la.set_page_size(100);
    ag::ListAgreementsResponse listed;
    grpc::ClientContext c2;
    Authorize(c2, owner_token);
    if (!deals->ListAgreements(&c2, la, &listed).ok()) continue;
    for (const auto& a : listed.agreements()) {
      const auto& parties = a.current().content().required_parties();
      if ((parties.size() > 1) != shared) continue;
      for (const auto& p : parties) {
        const int k = index_of.at(p.participant());
        found[k] = {"", p.participant(), a.name()};
      }
    }
  }
  std::vector<Answering> slots;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (auto& [k, a] : found) {
    a.token = kp::SignJwt({{"iss", "kruispunt-dev"}, {"aud", "kruispunt"}, {"sub", PartyPerson(k)}, {"org", org},
                           {"role", "professional"}, {"iat", now}, {"exp", now + 3600}},
                          key);
    slots.push_back(a);
  }
  return slots;
}

std::vector<std::string> ListCaseNames(v1::CaseService::Stub& stub, const std::string& token) {
  std::vector<std::string> names;
  v1::ListCasesRequest request;
  request.set_page_size(500);
  for (;;) {
    v1::ListCasesResponse page;
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    if (!stub.ListCases(&ctx, request, &page).ok()) break;
    for (const auto& c : page.cases()) names.push_back(c.name());
    if (page.next_page_token().empty() || names.size() >= 5000) break;
    request.set_page_token(page.next_page_token());
  }
  return names;
}

// One outstanding RPC, re-issued from its own completion until time is up.
class Slot {
 public:
  Slot(v1::CaseService::Stub* stub, const std::string& token, const std::string& scenario,
       const std::vector<std::string>* names, const std::string& client, const std::string& org, Clock::time_point end,
       Clock::time_point measure_from, std::atomic<int>* active, std::condition_variable* done,
       std::mutex* mutex, unsigned seed, std::shared_ptr<grpc::Channel> channel, const Answering* answering)
      : stub_(stub), token_(answering ? answering->token : token), scenario_(scenario), answering_(answering), names_(names), client_(client), org_(org), end_(end),
        measure_from_(measure_from), active_(active), done_(done), mutex_(mutex), random_(seed),
        health_stub_(grpc::health::v1::Health::NewStub(channel)),
        consent_stub_(kruispunt::consent::v1::ConsentService::NewStub(channel)),
        plan_stub_(kruispunt::careplan::v1::CarePlanService::NewStub(channel)),
        deal_stub_(kruispunt::agreements::v1::AgreementService::NewStub(channel)),
        audit_stub_(kruispunt::audit::v1::AuditService::NewStub(channel)),
        team_stub_(kruispunt::team::v1::TeamService::NewStub(channel)),
        map_stub_(kruispunt::socialmap::v1::SocialMapService::NewStub(channel)) {}

  void Issue() {
    ctx_ = std::make_unique<grpc::ClientContext>();
    if (scenario_ != "health") ctx_->AddMetadata("authorization", "Bearer " + token_);
    ctx_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    start_ = Clock::now();
    if (scenario_ == "health") {  // gRPC's own floor: no token, no worker, no database
      health_stub_->async()->Check(ctx_.get(), &health_request_, &health_response_,
                                   [this](grpc::Status s) { Done(s); });
    } else if (scenario_ == "get") {
      get_.set_name((*names_)[random_() % names_->size()]);
      stub_->async()->GetCase(ctx_.get(), &get_, &case_, [this](grpc::Status s) { Done(s); });
    } else if (scenario_ == "check") {
      check_.set_case_((*names_)[random_() % names_->size()]);
      check_.set_category(kruispunt::consent::v1::DATA_CATEGORY_CASE);
      check_.set_action(kruispunt::consent::v1::ACTION_READ);
      check_.set_purpose(kruispunt::consent::v1::PURPOSE_CARE_COORDINATION);
      consent_stub_->async()->CheckAccess(ctx_.get(), &check_, &decision_, [this](grpc::Status s) {
        // A denial would be a wrong answer here (the partner holds consent): count it as an error.
        Done(s.ok() && decision_.decision() != kruispunt::consent::v1::DECISION_PERMIT
                 ? grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "denied")
                 : s);
      });
    } else if (scenario_ == "search") {  // the DPO's search of the last 30 days, first page (a dpo token)
      search_.mutable_start_time()->set_seconds(
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() -
          30 * 86400);
      audit_stub_->async()->SearchAccessLog(ctx_.get(), &search_, &log_, [this](grpc::Status s) {
        // An empty page would be a wrong answer here (the log was seeded).
        Done(s.ok() && log_.entries_size() == 0 ? grpc::Status(grpc::StatusCode::NOT_FOUND, "no entries") : s);
      });
    } else if (scenario_ == "list-cases") {
      stub_->async()->ListCases(ctx_.get(), &list_cases_, &cases_, [this](grpc::Status s) {
        // An empty page would be a wrong answer here (the caller's cases were seeded).
        Done(s.ok() && cases_.cases_size() == 0 ? grpc::Status(grpc::StatusCode::NOT_FOUND, "no cases") : s);
      });
    } else if (scenario_ == "list-participations") {
      list_participations_.set_organization("organizations/" + org_);
      team_stub_->async()->ListParticipations(ctx_.get(), &list_participations_, &participations_, [this](grpc::Status s) {
        Done(s.ok() && participations_.participants_size() == 0
                 ? grpc::Status(grpc::StatusCode::NOT_FOUND, "no participations")
                 : s);
      });
    } else if (scenario_ == "map-search") {  // the social map as bench/socialmap.sh seeds it
      MapSearch();
      map_stub_->async()->SearchServices(ctx_.get(), &map_search_, &services_, [this](grpc::Status s) { Done(s); });
    } else if (scenario_ == "case-log") {
      list_log_.set_parent((*names_)[random_() % names_->size()]);
      audit_stub_->async()->ListCaseAccessLog(ctx_.get(), &list_log_, &log_, [this](grpc::Status s) { Done(s); });
    } else if (answering_) {  // respond-same, respond-different: accept, then withdraw, ...
      accepted_ = !accepted_;
      if (accepted_) {
        respond_.set_name(answering_->agreement);
        respond_.set_version(1);
        respond_.mutable_party()->set_participant(answering_->party);
        respond_.set_answer(kruispunt::agreements::v1::ANSWER_ACCEPT);
        deal_stub_->async()->RespondToAgreement(ctx_.get(), &respond_, &agreement_, [this](grpc::Status s) { Done(s); });
      } else {
        withdraw_.set_name(answering_->agreement);
        withdraw_.set_version(1);
        withdraw_.mutable_party()->set_participant(answering_->party);
        withdraw_.set_reason("bench");
        deal_stub_->async()->WithdrawAcceptance(ctx_.get(), &withdraw_, &agreement_, [this](grpc::Status s) { Done(s); });
      }
    } else if (scenario_ == "plan") {
      get_plan_.set_name((*names_)[random_() % names_->size()] + "/carePlan");
      plan_stub_->async()->GetCarePlan(ctx_.get(), &get_plan_, &plan_, [this](grpc::Status s) {
        // An empty plan would be a wrong answer here (every case was seeded with one).
        Done(s.ok() && plan_.goals_size() == 0 ? grpc::Status(grpc::StatusCode::NOT_FOUND, "empty plan") : s);
      });
    } else {
      create_.mutable_case_()->set_client(client_);
      create_.mutable_case_()->set_title("bench case");
      create_.mutable_case_()->clear_life_domains();
      create_.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_HOUSING);
      stub_->async()->CreateCase(ctx_.get(), &create_, &case_, [this](grpc::Status s) { Done(s); });
    }
  }

  std::vector<int64_t> latencies_us;
  int64_t errors = 0;
  std::string last_error;

 private:
  // One of three searches a casemanager makes, on bench/socialmap.sh's map (postal codes 1500 to
  // 2399, its vocabulary): a domain for an age near the client; a word near the client; a domain in
  // French near the client. A page of 20.
  void MapSearch() {
    static const char* kWords[] = {"schulden", "woning", "begeleiding", "jongeren", "ouderen",
                                   "thuiszorg", "budget", "psychisch", "werk", "vrijwilligers"};
    map_search_.Clear();
    map_search_.set_page_size(20);
    map_search_.set_postal_code(std::to_string(1500 + random_() % 900));
    switch (random_() % 3) {
      case 0:
        map_search_.set_life_domain(static_cast<kruispunt::type::v1::LifeDomain>(1 + random_() % 13));
        map_search_.set_age(static_cast<int>(random_() % 90));
        break;
      case 1:
        map_search_.set_query(kWords[random_() % std::size(kWords)]);
        break;
      default:
        map_search_.set_life_domain(static_cast<kruispunt::type::v1::LifeDomain>(1 + random_() % 13));
        map_search_.set_language("fr");
    }
  }

  void Done(const grpc::Status& status) {
    const auto now = Clock::now();
    if (start_ >= measure_from_ && now <= end_) {
      if (status.ok()) {
        latencies_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(now - start_).count());
      } else {
        ++errors;
        last_error = status.error_message();
      }
    }
    if (now < end_) {
      Issue();
      return;
    }
    std::lock_guard lock(*mutex_);
    if (--*active_ == 0) done_->notify_all();
  }

  v1::CaseService::Stub* stub_;
  const std::string& token_;
  const std::string& scenario_;
  const Answering* answering_;
  bool accepted_ = false;
  kruispunt::agreements::v1::RespondToAgreementRequest respond_;
  kruispunt::agreements::v1::WithdrawAcceptanceRequest withdraw_;
  kruispunt::agreements::v1::Agreement agreement_;
  const std::vector<std::string>* names_;
  const std::string& client_;
  const std::string& org_;
  Clock::time_point end_, measure_from_, start_;
  std::atomic<int>* active_;
  std::condition_variable* done_;
  std::mutex* mutex_;
  std::mt19937 random_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_stub_;
  std::unique_ptr<kruispunt::consent::v1::ConsentService::Stub> consent_stub_;
  std::unique_ptr<kruispunt::careplan::v1::CarePlanService::Stub> plan_stub_;
  std::unique_ptr<kruispunt::agreements::v1::AgreementService::Stub> deal_stub_;
  std::unique_ptr<kruispunt::audit::v1::AuditService::Stub> audit_stub_;
  std::unique_ptr<kruispunt::team::v1::TeamService::Stub> team_stub_;
  std::unique_ptr<kruispunt::socialmap::v1::SocialMapService::Stub> map_stub_;
  kruispunt::socialmap::v1::SearchServicesRequest map_search_;
  kruispunt::socialmap::v1::SearchServicesResponse services_;
  kruispunt::audit::v1::SearchAccessLogRequest search_;
  kruispunt::audit::v1::ListCaseAccessLogRequest list_log_;
  v1::ListCasesRequest list_cases_;
  v1::ListCasesResponse cases_;
  kruispunt::team::v1::ListParticipationsRequest list_participations_;
  kruispunt::team::v1::ListParticipationsResponse participations_;
  kruispunt::audit::v1::ListAccessLogResponse log_;
  kruispunt::careplan::v1::GetCarePlanRequest get_plan_;
  kruispunt::careplan::v1::CarePlan plan_;
  kruispunt::consent::v1::CheckAccessRequest check_;
  kruispunt::consent::v1::AccessDecision decision_;
  grpc::health::v1::HealthCheckRequest health_request_;
  grpc::health::v1::HealthCheckResponse health_response_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  v1::GetCaseRequest get_;
  v1::CreateCaseRequest create_;
  v1::Case case_;
};

// CPU time (user + system, in clock ticks) of a process and all its descendants, from /proc: a
// server's threads are in its own figure, PostgreSQL's backends are children of its postmaster.
struct ProcStat {
  long ppid = 0;
  long long ticks = 0;
};
std::map<long, ProcStat> ReadProcStats() {
  std::map<long, ProcStat> stats;
  DIR* proc = opendir("/proc");
  if (!proc) return stats;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream file("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    if (!std::getline(file, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
    if (f.size() < 13) continue;
    stats[pid] = {std::stol(f[1]), std::stoll(f[11]) + std::stoll(f[12])};  // ppid, utime + stime
  }
  closedir(proc);
  return stats;
}
long long TreeTicks(const std::map<long, ProcStat>& stats, long root) {
  long long ticks = 0;
  std::vector<long> todo{root};
  while (!todo.empty()) {
    const long pid = todo.back();
    todo.pop_back();
    if (auto it = stats.find(pid); it != stats.end()) ticks += it->second.ticks;
    for (const auto& [child, stat] : stats)
      if (stat.ppid == pid) todo.push_back(child);
  }
  return ticks;
}

// --cpu "kruispuntd=PID,postgres=PID": each named process tree's CPU over the measured window,
// and the load generator's own ("loadgen").
std::vector<std::pair<std::string, long>> CpuWatch(const std::map<std::string, std::string>& f) {
  std::vector<std::pair<std::string, long>> watch{{"loadgen", static_cast<long>(getpid())}};
  if (!f.count("cpu")) return watch;
  std::stringstream list(f.at("cpu"));
  std::string item;
  while (std::getline(list, item, ','))
    if (const auto eq = item.find('='); eq != std::string::npos)
      watch.emplace_back(item.substr(0, eq), std::stol(item.substr(eq + 1)));
  return watch;
}

int Run(const std::string& addr, const std::string& token, const std::map<std::string, std::string>& f) {
  const std::string scenario = f.count("scenario") ? f.at("scenario") : "get";
  const int concurrency = f.count("concurrency") ? std::stoi(f.at("concurrency")) : 16;
  const double seconds = f.count("seconds") ? std::stod(f.at("seconds")) : 5;
  const double warmup = f.count("warmup") ? std::stod(f.at("warmup")) : 1;
  const int channel_count = f.count("channels") ? std::stoi(f.at("channels")) : 4;
  const std::string client = f.count("client") ? f.at("client") : "";
  const std::string org = f.count("org") ? f.at("org") : "";

  auto channels = Channels(addr, channel_count);
  std::vector<std::unique_ptr<v1::CaseService::Stub>> stubs;
  for (auto& ch : channels) stubs.push_back(v1::CaseService::NewStub(ch));
  std::vector<std::string> names;
  std::vector<Answering> answering;
  if (scenario == "health" || scenario == "search" || scenario == "list-cases" || scenario == "map-search") {
  } else if (scenario == "list-participations") {
    if (org.empty()) {
      std::cerr << "run: list-participations needs --org (the caller's organisation)\n";
      return 1;
    }
  } else if (scenario == "get" || scenario == "check" || scenario == "plan" || scenario == "case-log") {
    if (f.count("names-file")) {
      std::ifstream file(f.at("names-file"));
      for (std::string line; std::getline(file, line);)
        if (!line.empty()) names.push_back(line);
    } else {
      names = ListCaseNames(*stubs[0], f.count("list-token") ? f.at("list-token") : token);
    }
    if (names.empty()) {
      std::cerr << "run: no cases to read; seed first\n";
      return 1;
    }
  } else if (scenario == "respond-same" || scenario == "respond-different") {
    if (!f.count("key") || !f.count("org") || !f.count("list-token")) {
      std::cerr << "run: respond scenarios need --key, --org and --list-token (the owner's)\n";
      return 1;
    }
    answering = FindAnswering(addr, f.at("list-token"), scenario == "respond-same", f.at("key"), f.at("org"));
    if (static_cast<int>(answering.size()) < concurrency) {
      std::cerr << "run: " << answering.size() << " answering parties seeded, fewer than the concurrency\n";
      return 1;
    }
  } else if (client.empty()) {
    std::cerr << "run: --client clients/ID is required for create\n";
    return 1;
  }

  const auto begin = Clock::now();
  const auto measure_from = begin + std::chrono::milliseconds(static_cast<int64_t>(warmup * 1000));
  const auto end = measure_from + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::atomic<int> active{concurrency};
  std::condition_variable done;
  std::mutex mutex;
  std::vector<std::unique_ptr<Slot>> slots;
  for (int i = 0; i < concurrency; ++i)
    slots.push_back(std::make_unique<Slot>(stubs[i % stubs.size()].get(), token, scenario, &names,
                                           client, org, end, measure_from, &active, &done, &mutex, 1234u + i,
                                           channels[i % channels.size()],
                                           answering.empty() ? nullptr : &answering[static_cast<std::size_t>(i)]));
  const auto watch = CpuWatch(f);
  std::vector<long long> ticks_at_start(watch.size()), ticks_at_end(watch.size());
  std::thread cpu_sampler([&] {
    std::this_thread::sleep_until(measure_from);
    auto stats = ReadProcStats();
    for (std::size_t w = 0; w < watch.size(); ++w) ticks_at_start[w] = TreeTicks(stats, watch[w].second);
    std::this_thread::sleep_until(end);
    stats = ReadProcStats();
    for (std::size_t w = 0; w < watch.size(); ++w) ticks_at_end[w] = TreeTicks(stats, watch[w].second);
  });
  for (auto& s : slots) s->Issue();
  {
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return active == 0; });
  }
  cpu_sampler.join();
  std::vector<int64_t> all;
  int64_t errors = 0;
  std::string last_error;
  for (auto& s : slots) {
    all.insert(all.end(), s->latencies_us.begin(), s->latencies_us.end());
    errors += s->errors;
    if (!s->last_error.empty()) last_error = s->last_error;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
  std::string cpu;
  const double us_per_tick = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  for (std::size_t w = 0; w < watch.size(); ++w)
    cpu += " cpu_us_" + watch[w].first + "=" +
           std::to_string(all.empty() ? 0
                                      : static_cast<long long>(static_cast<double>(ticks_at_end[w] - ticks_at_start[w]) *
                                                               us_per_tick / static_cast<double>(all.size())));
  std::printf("scenario=%s concurrency=%d rps=%.0f p50_us=%lld p99_us=%lld ok=%zu errors=%lld%s\n",
              scenario.c_str(), concurrency, static_cast<double>(all.size()) / seconds,
              static_cast<long long>(pct(0.50)), static_cast<long long>(pct(0.99)), all.size(),
              static_cast<long long>(errors), cpu.c_str());
  if (errors) std::fprintf(stderr, "last error: %s\n", last_error.c_str());
  return errors ? 2 : 0;
}

// A token of `org`'s professional `sub` (or of a platform role), signed with `key`.
std::string Mint(const std::string& key, const std::string& org, const std::string& sub,
                 const std::string& role = "professional") {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return kp::SignJwt({{"iss", "kruispunt-dev"}, {"aud", "kruispunt"}, {"sub", sub}, {"org", org}, {"role", role},
                      {"iat", now}, {"exp", now + 3600}},
                     key);
}

// One subscribing organisation of the feed benchmark: its case, and when each agreement of that
// case was first delivered to it.
struct Subscriber {
  std::string org, token, case_name;
  std::unique_ptr<grpc::ClientContext> context;
  std::thread reader;
  std::mutex mutex;
  std::map<std::string, Clock::time_point> delivered;  // agreement name -> first delivery
  int64_t changes = 0;
};

// feed: --partners organisations (feed-partner-N), each taking part in one case of the caller's
// organisation (--org, with --key to mint tokens) with the client's consent for the case and its
// agreements. With --subscribe 1 each holds a WatchChanges stream. Writers (--concurrency) propose
// agreements in those cases for --seconds: at --rate proposals a second in all, or, with --rate 0,
// as fast as they can. Reports the writers' rate and, for subscribers, the time from each
// proposal's call to its delivery to its case's organisation (p50, p99, max) and any proposal
// never delivered. The organisations and cases are made once per database (their ids are fixed).
int Feed(const std::string& addr, const std::map<std::string, std::string>& f) {
  namespace team_v1 = kruispunt::team::v1;
  namespace consent_v1 = kruispunt::consent::v1;
  namespace ag = kruispunt::agreements::v1;
  namespace feed_v1 = kruispunt::feed::v1;
  auto number = [&](const char* name, double fallback) { return f.count(name) ? std::stod(f.at(name)) : fallback; };
  const int partners = static_cast<int>(number("partners", 50));
  const double rate = number("rate", 200), seconds = number("seconds", 20);
  const int writers = static_cast<int>(number("concurrency", 8));
  const bool subscribe = number("subscribe", 1) != 0;
  if (!f.count("key") || !f.count("org")) {
    std::cerr << "feed: needs --key and --org (the owner)\n";
    return 64;
  }
  const std::string key = f.at("key"), owner_org = f.at("org");
  const std::string owner = Mint(key, owner_org, "bench"), admin = Mint(key, "kruispunt-platform", "admin-1", "admin");
  auto channel = Channels(addr, 1)[0];
  auto cases = v1::CaseService::NewStub(channel);
  auto team = team_v1::TeamService::NewStub(channel);
  auto consents = consent_v1::ConsentService::NewStub(channel);
  auto deals = ag::AgreementService::NewStub(channel);
  auto call = [&](const char* what, const std::string& token, auto&& rpc) { return Called("feed", what, token, rpc); };

  // The organisations and their cases (once: each organisation's case is found again by its title).
  std::vector<std::unique_ptr<Subscriber>> subs;
  v1::Client client;
  v1::CreateClientRequest cr;
  cr.mutable_client()->set_insz("59031212301");
  cr.mutable_client()->set_given_name("Bench");
  cr.mutable_client()->set_family_name("Feed");
  cr.mutable_client()->mutable_birth_date()->set_year(1959);
  cr.mutable_client()->mutable_birth_date()->set_month(3);
  cr.mutable_client()->mutable_birth_date()->set_day(12);
  cr.set_request_id("00000000-0000-4000-8000-00000000feed");
  if (!call("CreateClient", owner, [&](auto* c) { return cases->CreateClient(c, cr, &client); })) return 1;
  for (int p = 0; p < partners; ++p) {
    auto& s = *subs.emplace_back(std::make_unique<Subscriber>());
    s.org = "feed-partner-" + std::to_string(p);
    s.token = Mint(key, s.org, "pro");
    team_v1::CreateOrganizationRequest org;
    org.set_organization_id(s.org);
    org.mutable_organization()->set_display_name(s.org);
    org.mutable_organization()->set_kind(team_v1::ORGANIZATION_KIND_OTHER);
    const long n = 17000000L + p;  // eight digits (a KBO number starts with 0 or 1), then 97 - n mod 97
    const long check = 97 - n % 97;
    org.mutable_organization()->set_kbo_number(std::to_string(n) + (check < 10 ? "0" : "") + std::to_string(check));
    team_v1::Organization made;
    grpc::ClientContext oc;
    Authorize(oc, admin);
    const auto created = team->CreateOrganization(&oc, org, &made);
    if (created.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      // Made by an earlier run: find its case.
      v1::ListCasesRequest list;
      list.set_page_size(500);
      v1::ListCasesResponse listed;
      if (!call("ListCases", owner, [&](auto* c) { return cases->ListCases(c, list, &listed); })) return 1;
      for (const auto& c : listed.cases())
        if (c.title() == "feed bench " + s.org) s.case_name = c.name();
      if (s.case_name.empty()) {
        std::cerr << "feed: " << s.org << " exists without its case\n";
        return 1;
      }
      continue;
    }
    if (!created.ok()) {
      std::cerr << "feed: CreateOrganization failed: " << created.error_message() << "\n";
      return 1;
    }
    team_v1::CreatePersonRequest person;
    person.set_person_id("pro");
    person.mutable_person()->set_kind(team_v1::PERSON_KIND_PROFESSIONAL);
    person.mutable_person()->set_given_name("Bench");
    person.mutable_person()->set_family_name("Pro");
    person.mutable_person()->set_profession("bench");
    team_v1::Person pro;
    if (!call("CreatePerson", s.token, [&](auto* c) { return team->CreatePerson(c, person, &pro); })) return 1;
    v1::CreateCaseRequest cc;
    cc.mutable_case_()->set_client(client.name());
    cc.mutable_case_()->set_title("feed bench " + s.org);
    cc.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
    v1::Case made_case;
    if (!call("CreateCase", owner, [&](auto* c) { return cases->CreateCase(c, cc, &made_case); })) return 1;
    s.case_name = made_case.name();
    team_v1::AddParticipantRequest add;
    add.set_parent(s.case_name);
    add.mutable_participant()->set_person(pro.name());
    add.mutable_participant()->set_role(team_v1::PARTICIPANT_ROLE_PROFESSIONAL);
    add.mutable_participant()->add_mandate(team_v1::PERMISSION_READ_CASE);
    add.mutable_participant()->add_mandate(team_v1::PERMISSION_ANSWER_AGREEMENTS);
    team_v1::Participant added;
    if (!call("AddParticipant", owner, [&](auto* c) { return team->AddParticipant(c, add, &added); })) return 1;
    team_v1::ListParticipantsRequest members_request;
    members_request.set_parent(s.case_name);
    team_v1::ListParticipantsResponse members;
    if (!call("ListParticipants", owner, [&](auto* c) { return team->ListParticipants(c, members_request, &members); }))
      return 1;
    consent_v1::GrantConsentRequest grant;
    grant.set_parent(s.case_name);
    auto* k = grant.mutable_consent();
    for (const auto& m : members.participants())
      if (m.role() == team_v1::PARTICIPANT_ROLE_CLIENT) k->set_granted_by(m.name());
    k->add_recipient_organizations("organizations/" + s.org);
    k->add_categories(consent_v1::DATA_CATEGORY_CASE);
    k->add_categories(consent_v1::DATA_CATEGORY_AGREEMENTS);
    k->set_purpose(consent_v1::PURPOSE_CARE_COORDINATION);
    k->set_method(consent_v1::CONSENT_METHOD_WRITTEN);
    k->set_verification_note("bench");
    k->set_legal_basis(consent_v1::LEGAL_BASIS_EXPLICIT_CONSENT);
    consent_v1::Consent granted;
    if (!call("GrantConsent", owner, [&](auto* c) { return consents->GrantConsent(c, grant, &granted); })) return 1;
  }

  // The subscribers, each from now (its first response), on connections of their own.
  std::atomic<int> stream_errors{0};
  if (subscribe) {
    auto stream_channels = Channels(addr, 4);
    for (std::size_t i = 0; i < subs.size(); ++i) {
      auto& s = *subs[i];
      s.context = std::make_unique<grpc::ClientContext>();
      s.context->AddMetadata("authorization", "Bearer " + s.token);
      auto stub = feed_v1::FeedService::NewStub(stream_channels[i % stream_channels.size()]);
      std::promise<void> live;
      auto started = live.get_future();
      s.reader = std::thread([&s, &stream_errors, stub = std::move(stub), live = std::move(live)]() mutable {
        feed_v1::WatchChangesRequest request;
        request.set_parent("organizations/" + s.org);
        auto stream = stub->WatchChanges(s.context.get(), request);
        feed_v1::WatchChangesResponse response;
        bool first = true;
        while (stream->Read(&response)) {
          const auto now = Clock::now();
          if (first) live.set_value();
          first = false;
          std::lock_guard lock(s.mutex);
          for (const auto& c : response.changes()) {
            ++s.changes;
            s.delivered.emplace(c.resource(), now);
          }
        }
        if (first) live.set_value();
        const auto status = stream->Finish();
        if (status.error_code() != grpc::StatusCode::CANCELLED) {
          ++stream_errors;
          std::cerr << "feed: " << s.org << "'s stream ended: " << status.error_message() << "\n";
        }
      });
      started.wait();
    }
  }

  // The writers: proposals in the subscribers' cases, round robin, at the rate (or flat out).
  std::mutex sent_mutex;
  std::vector<std::pair<std::size_t, std::pair<std::string, Clock::time_point>>> sent;  // subscriber, agreement, when
  std::atomic<int64_t> next{0}, write_errors{0};
  const auto begin = Clock::now();
  const auto end = begin + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::vector<std::thread> writer_threads;
  auto write_channels = Channels(addr, 2);
  for (int w = 0; w < writers; ++w)
    writer_threads.emplace_back([&, w] {
      auto stub = ag::AgreementService::NewStub(write_channels[static_cast<std::size_t>(w) % write_channels.size()]);
      for (;;) {
        const int64_t n = next++;
        auto at = rate > 0 ? begin + std::chrono::microseconds(static_cast<int64_t>(static_cast<double>(n) * 1e6 / rate))
                           : Clock::now();
        if (at >= end) return;
        std::this_thread::sleep_until(at);
        const std::size_t i = static_cast<std::size_t>(n) % subs.size();
        ag::ProposeAgreementRequest request;
        request.set_parent(subs[i]->case_name);
        request.mutable_content()->set_text("bench " + std::to_string(n));
        request.mutable_content()->add_required_parties()->set_organization("organizations/" + subs[i]->org);
        ag::Agreement made;
        grpc::ClientContext c;
        Authorize(c, owner);
        const auto sent_at = Clock::now();
        const auto status = stub->ProposeAgreement(&c, request, &made);
        if (!status.ok()) {
          ++write_errors;
          continue;
        }
        std::lock_guard lock(sent_mutex);
        sent.push_back({i, {made.name(), sent_at}});
      }
    });
  for (auto& t : writer_threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  std::printf("feed subscribers=%zu writers=%d rate_asked=%.0f writes_per_s=%.1f write_errors=%lld",
              subscribe ? subs.size() : 0, writers, rate, static_cast<double>(sent.size()) / elapsed,
              static_cast<long long>(write_errors));
  if (!subscribe) {
    std::printf("\n");
    return write_errors ? 2 : 0;
  }
  // Every proposal must reach its case's organisation: wait for stragglers, then measure.
  std::vector<int64_t> latencies_us;
  int64_t missing = 0;
  const auto patience = Clock::now() + std::chrono::seconds(10);
  for (const auto& [i, what] : sent) {
    auto& s = *subs[i];
    for (;;) {
      {
        std::lock_guard lock(s.mutex);
        if (auto it = s.delivered.find(what.first); it != s.delivered.end()) {
          latencies_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(it->second - what.second).count());
          break;
        }
      }
      if (Clock::now() > patience) {
        ++missing;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  for (auto& s : subs) s->context->TryCancel();
  for (auto& s : subs) s->reader.join();
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double q) {
    return latencies_us.empty() ? 0 : latencies_us[std::min(latencies_us.size() - 1, static_cast<std::size_t>(q * latencies_us.size()))];
  };
  std::printf(" delivered=%zu missing=%lld stream_errors=%d latency_p50_ms=%.1f latency_p99_ms=%.1f latency_max_ms=%.1f\n",
              latencies_us.size(), static_cast<long long>(missing), stream_errors.load(), pct(0.5) / 1000.0,
              pct(0.99) / 1000.0, latencies_us.empty() ? 0.0 : static_cast<double>(latencies_us.back()) / 1000.0);
  return write_errors || missing || stream_errors ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr = "127.0.0.1:50051", token;
  int i = 1;
  for (; i + 1 < argc && std::string(argv[i]).rfind("--", 0) == 0; i += 2) {
    if (std::string(argv[i]) == "--addr") addr = argv[i + 1];
    else if (std::string(argv[i]) == "--token") token = argv[i + 1];
  }
  if (i >= argc) {
    std::cerr << "usage: kp-loadgen --addr A --token T seed --cases N [--partner organizations/ORG/people/ID --partner-org ORG] | "
                 "seed-plan --cases N --goals G --actions A --evaluations E | seed-agreements --parties N | "
                 "run --scenario get|check|create|plan|health|search|list-cases|list-participations|case-log|map-search "
                 "--concurrency N --seconds S [--client clients/ID] [--org ORG] [--channels 4] "
                 "[--list-token T | --names-file FILE] | feed --key PEM --org OWNER [--partners 50] [--rate 200] "
                 "[--seconds 20] [--concurrency 8] [--subscribe 1]\n";
    return 64;
  }
  const std::string command = argv[i];
  auto flags = ParseFlags(argc, argv, i + 1);
  if (command == "seed")
    return Seed(addr, token, flags.count("cases") ? std::stoi(flags["cases"]) : 1000, flags["partner"],
                flags["partner-org"]);
  if (command == "seed-plan") {
    auto number = [&](const char* name, int fallback) { return flags.count(name) ? std::stoi(flags[name]) : fallback; };
    return SeedPlans(addr, token, number("cases", 20), number("goals", 10), number("actions", 3), number("evaluations", 5));
  }
  if (command == "seed-agreements")
    return SeedAgreements(addr, token, flags.count("parties") ? std::stoi(flags["parties"]) : 16);
  if (command == "run") return Run(addr, token, flags);
  if (command == "feed") return Feed(addr, flags);
  std::cerr << "unknown command " << command << "\n";
  return 64;
}
