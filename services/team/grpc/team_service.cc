#include "team/grpc/team_service.h"

#include <spdlog/spdlog.h>

#include "common/idempotency.h"
#include "common/page_token.h"
#include "common/periodic.h"
#include "consent/client/access_gate.h"
#include "team/client/team_client.h"
#include "team/grpc/team_validation.h"
#include "kruispunt/team/v1/team_internal.grpc.pb.h"

namespace kp::team {

const kp::MigrationSet& Migrations();  // generated from services/team/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;
namespace consent_v1 = kruispunt::consent::v1;

constexpr Callers kPlatformToo = Callers::kOrganizationsAndPlatform;

std::string ParticipantName(const std::string& case_id, const std::string& participant_id) {
  return "cases/" + case_id + "/participants/" + participant_id;
}

// Locks the case's team for a change, if the caller may see it; else the same NOT_FOUND as for a
// missing case.
TeamCase LockVisibleTeam(pqxx::transaction_base& tx, const std::string& case_id, const Identity& caller) {
  auto team = LockTeamCase(tx, case_id, caller.organization, caller.person);
  if (!team || !MaySeeTeam(team->standing)) throw CaseNotFound();
  return *team;
}

void RequireTeamManager(const TeamCase& team) {
  if (!MayChangeTeam(team.standing))
    throw Error::PermissionDenied("NOT_TEAM_MANAGER",
                                  "only the case's care coordinator, or a participant whose mandate "
                                  "includes MANAGE_TEAM, changes the team");
}

// The methods only Kruispunt's own services call, for the gRPC handlers and LocalTeamClient alike.

void RegisterCasesIn(pqxx::transaction_base& tx, const v1::RegisterCasesRequest& req) {
  std::vector<CaseRegistration> cases;
  Violations v;
  for (int i = 0; i < req.cases_size(); ++i) {
    const auto& c = req.cases(i);
    const std::string at = "cases[" + std::to_string(i) + "]";
    CaseRegistration r;
    r.case_state = c.case_state();
    r.created_by = c.created_by_person();
    auto case_id = ParseResourceName(c.case_(), "cases");
    auto client_id = ParseResourceName(c.client(), "clients");
    auto owner = ParseOrganizationName(c.owner_organization());
    if (!case_id) v.Add(at + ".case", "must be 'cases/{uuid}'");
    if (!client_id) v.Add(at + ".client", "must be 'clients/{uuid}'");
    if (!owner) v.Add(at + ".owner_organization", "must be 'organizations/{id}'");
    if (r.case_state < 1 || r.case_state > 4) v.Add(at + ".case_state", "must be a case state");
    if (!IsValidPrincipalId(r.created_by)) v.Add(at + ".created_by_person", "must be a person id");
    if (case_id && client_id && owner) cases.push_back({*case_id, *owner, *client_id, r.created_by, r.case_state});
  }
  v.ThrowIfAny();
  for (const auto& c : cases) RegisterCase(tx, c);
}

void ListOrganizationCasesOn(pqxx::connection& db, const v1::ListOrganizationCasesRequest& req,
                             v1::ListOrganizationCasesResponse& resp) {
  const auto org = RequireOrganizationName(req.organization(), "organization");
  if (req.with_since() && req.partner_only())
    throw Error::InvalidField("with_since", "is for every case of the organisation, not with partner_only");
  if (req.with_since()) {
    for (const auto& [id, since] : OrganizationCasesSince(db, org)) {
      resp.add_cases("cases/" + id);
      resp.add_since_transactions(since);
    }
    return;
  }
  if (!req.partner_only()) {
    for (const auto& id : OrganizationCases(db, org)) resp.add_cases("cases/" + id);
    return;
  }
  Violations v;
  if (req.limit() < 1 || req.limit() > 1000) v.Add("limit", "is from 1 to 1000");
  if (req.after_position() < 0) v.Add("after_position", "is a position of an earlier page, or 0");
  v.ThrowIfAny();
  for (const auto& [id, position] : PartnerCasesPage(db, org, req.after_position(), req.limit())) {
    resp.add_cases("cases/" + id);
    resp.add_positions(position);
  }
}

void ReadTeamChangesOn(pqxx::connection& db, const v1::ReadTeamChangesRequest& req, v1::ReadTeamChangesResponse& resp) {
  const auto case_ids = HistoryReadCaseIds(req);
  std::string ended_for;
  if (!req.ended_for_organization().empty())
    ended_for = RequireOrganizationName(req.ended_for_organization(), "ended_for_organization");
  ReadTeamChanges(db, case_ids, ended_for, req.after().transaction(), req.after().position(), req.horizon(),
                  req.limit(), resp);
}

void DescribeTeamsOn(pqxx::connection& db, const v1::DescribeTeamsRequest& req, v1::DescribeTeamsResponse& resp) {
  std::vector<TeamQuery> queries;
  Violations v;
  for (int i = 0; i < req.queries_size(); ++i) {
    const auto& q = req.queries(i);
    const std::string at = "queries[" + std::to_string(i) + "]";
    TeamQuery query;
    auto case_id = ParseResourceName(q.case_(), "cases");
    if (!case_id) v.Add(at + ".case", "must be 'cases/{uuid}'");
    else query.case_id = *case_id;
    if (!IsValidPrincipalId(q.organization())) v.Add(at + ".organization", "must be an organisation id");
    if (!IsValidPrincipalId(q.person())) v.Add(at + ".person", "must be a person id");
    query.org = q.organization();
    query.person = q.person();
    for (const auto& name : q.participants()) {
      auto participant = ParseChildName(name, "participants");
      if (!participant || participant->first != query.case_id)
        v.Add(at + ".participants", "must be participants of the case: 'cases/{uuid}/participants/{uuid}'");
      else query.participant_ids.push_back(participant->second);
    }
    queries.push_back(std::move(query));
  }
  v.ThrowIfAny();
  if (queries.empty()) return;
  const auto facts = team::DescribeTeams(db, queries);
  for (std::size_t i = 0; i < facts.size(); ++i) {
    const auto& f = facts[i];
    auto* out = resp.add_facts();
    out->set_case_known(f.case_known);
    out->set_owner_organization(f.owner_org);
    out->set_case_state(f.case_state);
    for (int p = 1; p <= 7; ++p)
      if (f.org_permissions & (1 << p)) out->add_organization_permissions(static_cast<v1::Permission>(p));
    for (const auto& id : f.person_participations)
      out->add_person_participations(ParticipantName(queries[i].case_id, id));
    out->set_person_is_coordinator(f.standing.coordinator);
    out->set_person_may_manage_team(f.case_known && MayChangeTeam(f.standing));
    for (std::size_t k = 0; k < f.participants.size(); ++k) {
      const auto& pf = f.participants[k];
      auto* po = out->add_participants();
      po->set_name(ParticipantName(queries[i].case_id, queries[i].participant_ids[k]));
      po->set_found(pf.found);
      po->set_role(static_cast<v1::ParticipantRole>(pf.found ? static_cast<int>(pf.role) : 0));
      po->set_active(pf.active);
      po->set_member(pf.member);
    }
  }
}

void GetOrganizationOn(pqxx::connection& db, const v1::GetOrganizationRequest& req, v1::Organization& resp) {
  const auto id = RequireOrganizationName(req.name(), "name");
  if (!team::GetOrganization(db, id, resp)) throw Error::NotFound("ORGANIZATION_NOT_FOUND", "no such organisation");
}

void LookUpOrganizationsOn(pqxx::connection& db, const v1::LookUpOrganizationsRequest& req,
                           v1::LookUpOrganizationsResponse& resp) {
  if (req.names_size() > 100) throw Error::InvalidField("names", "at most 100");
  std::vector<std::string> ids;
  for (const auto& name : req.names()) ids.push_back(RequireOrganizationName(name, "names"));
  team::LookUpOrganizations(db, ids, resp);
}

// JoinFromReferral, for the gRPC handler and LocalTeamClient alike: in `tx`, so that hosted here
// the join commits with the referral's acceptance.
void JoinFromReferralIn(pqxx::transaction_base& tx, const v1::JoinFromReferralRequest& req, v1::Participant& resp) {
  Violations v;
  const auto referral = ParseChildName(req.referral(), "referrals");
  if (!referral) v.Add("referral", "must be 'cases/{case}/referrals/{uuid}'");
  const auto person = PersonKey(req.person());
  if (!person || req.person().rfind("organizations/", 0) != 0)
    v.Add("person", "must be a professional: 'organizations/{org}/people/{id}'");
  NewParticipation n;
  n.role = Role::kProfessional;
  n.permissions = 0;
  for (int permission : req.mandate()) {
    if (permission == 0 || !v1::Permission_IsValid(permission)) v.Add("mandate", "contains an unknown permission");
    else n.permissions |= Bit(static_cast<Permission>(permission));
  }
  if (req.mandate_size() == 0) v.Add("mandate", "must name at least one permission");
  n.life_domains = LifeDomains(v, "life_domains", req.life_domains());
  if (!IsValidPrincipalId(req.accepted_by_organization())) v.Add("accepted_by_organization", "must be an organisation id");
  if (!IsValidPrincipalId(req.accepted_by_person())) v.Add("accepted_by_person", "must be a person id");
  v.ThrowIfAny();
  n.case_id = referral->first;
  n.person_id = *person;
  n.request_id = referral->second;  // one join per referral
  n.reason = "accepted the referral " + req.referral();
  n.added_by_org = req.accepted_by_organization();
  n.added_by_person = req.accepted_by_person();
  const auto team = LockTeamCase(tx, n.case_id, n.added_by_org, n.added_by_person);
  if (!team) throw CaseNotFound();
  if (auto earlier = ParticipantByRequest(tx, n.case_id, *n.request_id)) return ReadParticipant(tx, n.case_id, *earlier, resp);
  RequireCaseOpen(team->case_state);
  const auto facts = FindPerson(tx, n.person_id);
  if (!facts || facts->kind != PersonKind::kProfessional || facts->organization != n.added_by_org)
    throw Error::FailedPrecondition("PERSON_NOT_FOUND",
                                    "the person to join is no registered professional of the receiving organisation");
  CloseExpiredParticipations(tx, n.case_id, n.added_by_org, n.added_by_person);
  ReadParticipant(tx, n.case_id, InsertParticipation(tx, n), resp);
}

// TeamService as a direct call, for the services hosted with it: on the caller's connection, in
// the caller's transaction when it has one.
class LocalTeamClient final : public TeamClient {
 public:
  void RegisterCases(const PeerContext& context, const v1::RegisterCasesRequest& request) override {
    if (context.transaction) return RegisterCasesIn(*context.transaction, request);
    pqxx::work tx(context.db);
    RegisterCasesIn(tx, request);
    tx.commit();
  }
  v1::DescribeTeamsResponse DescribeTeams(const PeerContext& context, const v1::DescribeTeamsRequest& request) override {
    v1::DescribeTeamsResponse response;
    DescribeTeamsOn(context.db, request, response);
    return response;
  }
  v1::ListOrganizationCasesResponse ListOrganizationCases(const PeerContext& context,
                                                          const v1::ListOrganizationCasesRequest& request) override {
    v1::ListOrganizationCasesResponse response;
    ListOrganizationCasesOn(context.db, request, response);
    return response;
  }
  v1::LookUpOrganizationsResponse LookUpOrganizations(const PeerContext& context,
                                                     const v1::LookUpOrganizationsRequest& request) override {
    v1::LookUpOrganizationsResponse response;
    LookUpOrganizationsOn(context.db, request, response);
    return response;
  }
  v1::ReadTeamChangesResponse ReadTeamChanges(const PeerContext& context, const v1::ReadTeamChangesRequest& request) override {
    v1::ReadTeamChangesResponse response;
    ReadTeamChangesOn(context.db, request, response);
    return response;
  }
  v1::Participant JoinFromReferral(const PeerContext& context, const v1::JoinFromReferralRequest& request) override {
    v1::Participant response;
    if (context.transaction) {
      JoinFromReferralIn(*context.transaction, request, response);
      return response;
    }
    pqxx::work tx(context.db);
    JoinFromReferralIn(tx, request, response);
    tx.commit();
    return response;
  }
  bool SharesTransactions() const override { return true; }
};

class TeamServiceImpl final : public v1::TeamService::CallbackService {
 public:
  explicit TeamServiceImpl(Runtime& runtime)
      : rt_(runtime),
        access_(runtime, v1::TeamService::service_full_name(), consent_v1::DATA_CATEGORY_CASE),
        expiries_(EveryOnAWorker(*runtime.db, "participation_expiry",
                                 std::chrono::seconds(runtime.config->expiry_check_seconds), CloseExpiries)) {}

  ServerUnaryReactor* CreateOrganization(CallbackServerContext* ctx, const v1::CreateOrganizationRequest* req,
                                         v1::Organization* resp) override {
    return ServeUnary(rt_, ctx, "CreateOrganization", [this, req, resp](const Call& call, pqxx::connection& db) {
      RequireAdmin(call, "only a platform administrator adds organisations");
      const auto org = ValidateCreateOrganization(*req);
      InsertOrganization(db, org, *resp);
      rt_.orgs->Forget(org.org_id);
    }, kPlatformToo);
  }

  ServerUnaryReactor* GetOrganization(CallbackServerContext* ctx, const v1::GetOrganizationRequest* req,
                                      v1::Organization* resp) override {
    return ServeUnary(rt_, ctx, "GetOrganization", [req, resp](const Call&, pqxx::connection& db) {
      GetOrganizationOn(db, *req, *resp);
    }, kPlatformToo);
  }

  ServerUnaryReactor* ListOrganizations(CallbackServerContext* ctx, const v1::ListOrganizationsRequest* req,
                                        v1::ListOrganizationsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListOrganizations", [req, resp](const Call&, pqxx::connection& db) {
      std::optional<int> kind;
      if (req->kind() != v1::ORGANIZATION_KIND_UNSPECIFIED) {
        if (!v1::OrganizationKind_IsValid(req->kind())) throw Error::InvalidField("kind", "is not an organisation kind");
        kind = req->kind();
      }
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "orgs|" + std::to_string(kind.value_or(0)) + "|" +
                                       std::to_string(req->active_only()));
      auto last = team::ListOrganizations(db, kind, req->active_only(), page.after, page.size, *resp);
      resp->set_next_page_token(NextToken(last, page));
    }, kPlatformToo);
  }

  ServerUnaryReactor* UpdateOrganization(CallbackServerContext* ctx, const v1::UpdateOrganizationRequest* req,
                                         v1::Organization* resp) override {
    return ServeUnary(rt_, ctx, "UpdateOrganization", [this, req, resp](const Call& call, pqxx::connection& db) {
      RequireAdmin(call, "only a platform administrator changes organisations");
      const auto update = ValidateUpdateOrganization(*req);
      const bool updated = team::UpdateOrganization(db, update.org_id, update.changes, update.expected_version, *resp);
      rt_.orgs->Forget(update.org_id);  // a deactivation takes effect in this process at once
      if (updated) return;
      if (!OrganizationVersion(db, update.org_id))
        throw Error::NotFound("ORGANIZATION_NOT_FOUND", "no such organisation");
      throw Error::Aborted("ETAG_MISMATCH", "the organisation changed since you read it; read it again");
    }, kPlatformToo);
  }

  ServerUnaryReactor* CreatePerson(CallbackServerContext* ctx, const v1::CreatePersonRequest* req,
                                   v1::Person* resp) override {
    return ServeUnary(rt_, ctx, "CreatePerson", [req, resp](const Call& call, pqxx::connection& db) {
      const auto person = ValidateCreatePerson(*req, call.caller);
      BindRequestId(db, "team", call, req->request_id(), RequestFingerprint(*req));
      if (!InsertPerson(db, person, *resp))
        throw Error::FailedPrecondition("ORGANIZATION_NOT_FOUND",
                                        "your organisation is not in the partner directory");
    });
  }

  ServerUnaryReactor* GetPerson(CallbackServerContext* ctx, const v1::GetPersonRequest* req,
                                v1::Person* resp) override {
    return ServeUnary(rt_, ctx, "GetPerson", [req, resp](const Call& call, pqxx::connection& db) {
      const auto key = PersonKey(req->name());
      if (!key) throw Error::InvalidField("name", "must be 'organizations/{org}/people/{id}' or 'people/{id}'");
      std::string registering_org;
      const bool found = team::GetPerson(db, *key, *resp, registering_org);
      // A professional is in the partner directory; anyone else is personal data of the
      // organisation that registered them.
      if (!found || (resp->kind() != v1::PERSON_KIND_PROFESSIONAL && registering_org != call.caller.organization))
        throw Error::NotFound("PERSON_NOT_FOUND", "no such person, or not visible to your organisation");
    });
  }

  ServerUnaryReactor* AddParticipant(CallbackServerContext* ctx, const v1::AddParticipantRequest* req,
                                     v1::Participant* resp) override {
    return ServeUnary(rt_, ctx, "AddParticipant", [req, resp](const Call& call, pqxx::connection& db) {
      const auto add = ValidateAddParticipant(*req, call.caller, std::chrono::system_clock::now());
      const auto& n = add.participation;
      BindRequestId(db, "team", call, req->request_id(), RequestFingerprint(*req));
      pqxx::work tx(db);
      const auto team = LockVisibleTeam(tx, n.case_id, call.caller);
      if (n.request_id) {
        if (auto earlier = ParticipantByRequest(tx, n.case_id, *n.request_id)) {
          ReadParticipant(tx, n.case_id, *earlier, *resp);
          return;
        }
      }
      RequireTeamManager(team);
      RequireCaseOpen(team.case_state);
      const auto person = FindPerson(tx, n.person_id);
      CloseExpiredParticipations(tx, n.case_id, call.caller.organization, call.caller.person);
      if (!person)
        throw Error::FailedPrecondition("PERSON_NOT_FOUND", "participant.person names no registered person");
      if (auto needed = RequiredPersonKind(n.role); needed && *needed != person->kind)
        throw Error::InvalidField("participant.role",
                                  "a " + std::string(Name(n.role)) +
                                      (*needed == PersonKind::kProfessional
                                           ? " must be a professional"
                                           : " must be a person without an organisation here"));
      if (person->organization && !person->organization_active)
        throw Error::FailedPrecondition("ORGANIZATION_INACTIVE", "the person's organisation is not active");
      if (n.role == Role::kCareCoordinator && team.current_coordinator) {
        if (add.handover_from != team.current_coordinator)
          throw Error(grpc::StatusCode::FAILED_PRECONDITION, "CARE_COORDINATOR_EXISTS",
                      "the case has a care coordinator; to hand over, set handover_from to them",
                      {}, {{"care_coordinator", ParticipantName(n.case_id, *team.current_coordinator)}});
        team::EndParticipation(tx, n.case_id, *team.current_coordinator, "handed over", call.caller.organization,
                         call.caller.person);
      } else if (add.handover_from) {
        throw Error::FailedPrecondition("NOT_THE_CARE_COORDINATOR",
                                        "handover_from is not the case's current care coordinator");
      }
      const auto id = InsertParticipation(tx, n);
      ReadParticipant(tx, n.case_id, id, *resp);
      tx.commit();
    });
  }

  ServerUnaryReactor* EndParticipation(CallbackServerContext* ctx, const v1::EndParticipationRequest* req,
                                       v1::Participant* resp) override {
    return ServeUnary(rt_, ctx, "EndParticipation", [req, resp](const Call& call, pqxx::connection& db) {
      const auto [case_id, participant_id] = RequireChildName(req->name(), "participants", "name");
      Violations v;
      v.Text("reason", req->reason(), 0, 1000, /*multiline=*/true);
      v.ThrowIfAny();
      pqxx::work tx(db);
      const auto team = LockVisibleTeam(tx, case_id, call.caller);
      const auto facts = FindParticipation(tx, case_id, participant_id);
      if (!facts) throw Error::NotFound("PARTICIPANT_NOT_FOUND", "no such participant in this case");
      RequireTeamManager(team);
      if (facts->role == Role::kClient)
        throw Error::FailedPrecondition("CLIENT_STAYS", "the client stays in the team of their own case");
      if (facts->ended) throw Error::FailedPrecondition("ALREADY_ENDED", "this participation has already ended");
      if (facts->role == Role::kCareCoordinator && team.case_state == kCaseStateActive)
        throw Error::FailedPrecondition("CARE_COORDINATOR_REQUIRED",
                                        "an active case keeps a care coordinator: add the new one with "
                                        "handover_from, or suspend or close the case first");
      team::EndParticipation(tx, case_id, participant_id, req->reason(), call.caller.organization,
                             call.caller.person);
      ReadParticipant(tx, case_id, participant_id, *resp);
      tx.commit();
    });
  }

  ServerUnaryReactor* ListParticipants(CallbackServerContext* ctx, const v1::ListParticipantsRequest* req,
                                       v1::ListParticipantsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListParticipants", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(),
                                   "team|" + case_id + "|" + std::to_string(req->include_ended()));
      RequireCaseRead(call, db, case_id);
      auto last = team::ListParticipants(db, case_id, req->include_ended(), page.after, page.size, *resp);
      resp->set_next_page_token(NextToken(last, page));
    });
  }

  ServerUnaryReactor* ListTeamChanges(CallbackServerContext* ctx, const v1::ListTeamChangesRequest* req,
                                      v1::ListTeamChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListTeamChanges", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto case_id = RequireName(req->parent(), "cases", "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "team-changes|" + case_id);
      RequireCaseRead(call, db, case_id);
      auto last = team::ListTeamChanges(db, case_id, page.after, page.size, *resp);
      resp->set_next_page_token(NextToken(last, page));
    });
  }

  ServerUnaryReactor* ListParticipations(CallbackServerContext* ctx, const v1::ListParticipationsRequest* req,
                                         v1::ListParticipationsResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListParticipations", [req, resp](const Call& call, pqxx::connection& db) {
      std::optional<int64_t> last;
      Page page{};
      if (req->has_person()) {
        const auto id = PersonKey(req->person());
        if (!id) throw Error::InvalidField("person", "must be 'organizations/{org}/people/{id}'");
        if (*id != ProfessionalKey(call.caller.organization, call.caller.person))
          throw Error::PermissionDenied("NOT_YOURSELF", "a person lists only their own participations");
        page = DecodePage(req->page_size(), req->page_token(), "mine|person|" + *id);
        last = ListParticipationsOfPerson(db, *id, page.after, page.size, *resp);
      } else if (req->has_organization()) {
        const auto id = RequireOrganizationName(req->organization(), "organization");
        if (id != call.caller.organization)
          throw Error::PermissionDenied("NOT_YOUR_ORGANIZATION", "an organisation lists only its own participations");
        page = DecodePage(req->page_size(), req->page_token(), "mine|org|" + id);
        last = ListParticipationsOfOrganization(db, id, page.after, page.size, *resp);
      } else {
        throw Error::InvalidField("subject", "set person or organization");
      }
      resp->set_next_page_token(NextToken(last, page));
    });
  }


 private:
  // A case's team is case data: reading it needs the same access decision as reading the case
  // (ConsentService's, logged); anyone denied is told the case does not exist.
  void RequireCaseRead(const Call& call, pqxx::connection& db, const std::string& case_id) {
    access_.RequireOrNotFound(call, db, access_.For(call, case_id));
  }

  // A participation whose period ran out grants nothing from that moment (the decision reads the
  // period); closing it records the ending in the team's history, so that the organisation's change
  // feed says its access ended. A change to the team closes them too, first (AddParticipant).
  static void CloseExpiries(pqxx::connection& db) {
    if (const auto cases = CloseDueExpiries(db, 100)) spdlog::info("participations_expired cases={}", cases);
  }

  Runtime& rt_;
  consent::AccessGate access_;
  std::unique_ptr<Periodic> expiries_;  // last: stopped first, before the members it uses
};

// What Kruispunt's services in other processes ask (served on the internal port only).
class TeamInternalServiceImpl final : public v1::TeamInternalService::CallbackService {
 public:
  explicit TeamInternalServiceImpl(Runtime& runtime) : rt_(runtime) {}

  ServerUnaryReactor* RegisterCases(CallbackServerContext* ctx, const v1::RegisterCasesRequest* req,
                                    v1::RegisterCasesResponse*) override {
    return ServeUnary(rt_, ctx, "RegisterCases", [req](const Call&, pqxx::connection& db) {
      pqxx::work tx(db);
      RegisterCasesIn(tx, *req);
      tx.commit();
    }, Callers::kServices);
  }

  ServerUnaryReactor* ListOrganizationCases(CallbackServerContext* ctx, const v1::ListOrganizationCasesRequest* req,
                                            v1::ListOrganizationCasesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListOrganizationCases", [req, resp](const Call&, pqxx::connection& db) {
      ListOrganizationCasesOn(db, *req, *resp);
    }, Callers::kServices);
  }

  ServerUnaryReactor* DescribeTeams(CallbackServerContext* ctx, const v1::DescribeTeamsRequest* req,
                                    v1::DescribeTeamsResponse* resp) override {
    return ServeUnary(rt_, ctx, "DescribeTeams", [req, resp](const Call&, pqxx::connection& db) {
      DescribeTeamsOn(db, *req, *resp);
    }, Callers::kServices);
  }

  ServerUnaryReactor* LookUpOrganizations(CallbackServerContext* ctx, const v1::LookUpOrganizationsRequest* req,
                                          v1::LookUpOrganizationsResponse* resp) override {
    return ServeUnary(rt_, ctx, "LookUpOrganizations", [req, resp](const Call&, pqxx::connection& db) {
      LookUpOrganizationsOn(db, *req, *resp);
    }, Callers::kServices);
  }

  ServerUnaryReactor* ReadTeamChanges(CallbackServerContext* ctx, const v1::ReadTeamChangesRequest* req,
                                      v1::ReadTeamChangesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ReadTeamChanges", [req, resp](const Call&, pqxx::connection& db) {
      ReadTeamChangesOn(db, *req, *resp);
    }, Callers::kServices);
  }

  ServerUnaryReactor* JoinFromReferral(CallbackServerContext* ctx, const v1::JoinFromReferralRequest* req,
                                       v1::Participant* resp) override {
    return ServeUnary(rt_, ctx, "JoinFromReferral", [req, resp](const Call&, pqxx::connection& db) {
      pqxx::work tx(db);
      JoinFromReferralIn(tx, *req, *resp);
      tx.commit();
    }, Callers::kServices);
  }

 private:
  Runtime& rt_;
};

}  // namespace

ServiceModule TeamServiceModule() {
  RegisterConstraintError("organizations_pkey",
                          Error::AlreadyExists("ORGANIZATION_ALREADY_EXISTS", "an organisation with this id exists"));
  RegisterConstraintError("uniq_organization_kbo",
                          Error::AlreadyExists("KBO_NUMBER_TAKEN", "an organisation with this KBO number exists"));
  RegisterConstraintError("people_pkey",
                          Error::AlreadyExists("PERSON_ALREADY_EXISTS", "your organisation already registered a person with this id"));
  RegisterConstraintError("one_role_per_person_per_case",
                          Error::AlreadyExists("ALREADY_IN_TEAM", "this person already has this role in the team"));
  RegisterConstraintError("one_care_coordinator_per_case",
                          Error::FailedPrecondition("CARE_COORDINATOR_EXISTS", "the case has a care coordinator"));
  return ServiceModule{
      v1::TeamService::service_full_name(), &Migrations(), Statements(),
      [](Runtime& runtime) { return std::make_unique<TeamServiceImpl>(runtime); },
      {kruispunt::consent::v1::ConsentService::service_full_name()},
      [](PeerClients& clients) { clients.team = std::make_shared<LocalTeamClient>(); },
      [](Runtime& runtime) { return std::make_unique<TeamInternalServiceImpl>(runtime); }, {}};
}

}  // namespace kp::team
