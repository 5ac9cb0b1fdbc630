#include "socialmap/grpc/socialmap_service.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/idempotency.h"
#include "common/page_token.h"
#include "kruispunt/socialmap/v1/socialmap.grpc.pb.h"
#include "kruispunt/socialmap/v1/socialmap_internal.grpc.pb.h"
#include "kruispunt/referrals/v1/referrals.grpc.pb.h"
#include "referrals/client/referral_client.h"
#include "socialmap/client/socialmap_client.h"
#include "socialmap/domain/demand_suppression.h"
#include "socialmap/domain/hsds.h"
#include "socialmap/grpc/socialmap_validation.h"
#include "team/client/team_client.h"

namespace kp::socialmap {

const kp::MigrationSet& Migrations();  // generated from services/socialmap/migrations

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

// The map holds no client data: every authenticated caller reads it, platform roles too.
constexpr Callers kAnyCaller = Callers::kOrganizationsAndPlatform;

// Who may change an organisation's services: its own professionals, or a platform administrator.
// The one place this is decided.
void RequireMaintainer(const Call& call, const std::string& org_id) {
  if (call.caller.role == "admin") return;
  if (!IsPlatformRole(call.caller.role) && call.caller.organization == org_id) return;
  throw Error::PermissionDenied("NOT_SERVICE_MAINTAINER",
                                "only the organisation's own people or a platform administrator change its services");
}

Actor ActorOf(const Call& call) { return {call.caller.organization, call.caller.person}; }

// At most this many services in one import.
constexpr std::size_t kMaxImport = 500;

// At most this many offered (not INACTIVE) services per organisation: search shows no more of one
// organisation than this, however it writes (create, import, or an inactive service offered again).
constexpr int kMaxOfferedServices = 1000;

// Runs `write` (the organisation's services changed in `tx`) under the organisation's lock, and
// refuses it (the transaction is not committed) when it leaves more offered services than the limit.
template <class Write>
void WithinServiceLimit(pqxx::work& tx, const std::string& org_id, Write write) {
  LockOrganizationServices(tx, org_id);
  write();
  if (CountOfferedServices(tx, org_id) > kMaxOfferedServices)
    throw Error::FailedPrecondition("SERVICE_LIMIT_REACHED",
                                    "an organisation offers at most " + std::to_string(kMaxOfferedServices) +
                                        " services on the social map; make one INACTIVE first");
  tx.commit();
}

Error ZoneNotFound() { return Error::NotFound("ZONE_NOT_FOUND", "no such zone"); }

Error ServiceNotFound() { return Error::NotFound("SERVICE_NOT_FOUND", "no such service on the social map"); }

Error EtagMismatch() {
  return Error::Aborted("ETAG_MISMATCH", "the service changed since you read it; read it again");
}

// A professional's organisation is in the directory (every call checks it); the one an
// administrator names must be too.
void RequireInDirectory(Runtime& rt, const Call& call, pqxx::connection& db, const std::string& org_id) {
  if (call.caller.role == "admin" && team::FindOrganizations(*rt.clients->team, {db, call}, {org_id}).empty())
    throw Error::FailedPrecondition("ORGANIZATION_NOT_FOUND", "no such organisation in the partner directory");
}

// DescribeService (ReferralService's question), for the gRPC handler and LocalSocialMapClient alike.
void DescribeServiceOn(pqxx::connection& db, const v1::DescribeServiceRequest& req, v1::DescribeServiceResponse& resp) {
  const auto key = RequireServiceName(req.service(), "service");
  pqxx::nontransaction tx(db);
  v1::Service service;
  if (!GetService(tx, key.org_id, key.service_id, service)) return;
  resp.set_found(true);
  resp.set_status(service.status());
}

class LocalSocialMapClient final : public SocialMapClient {
 public:
  v1::DescribeServiceResponse DescribeService(const PeerContext& context,
                                              const v1::DescribeServiceRequest& request) override {
    v1::DescribeServiceResponse response;
    DescribeServiceOn(context.db, request, response);
    return response;
  }
};

class SocialMapServiceImpl final : public v1::SocialMapService::CallbackService {
 public:
  explicit SocialMapServiceImpl(Runtime& runtime) : rt_(runtime) {}

  ServerUnaryReactor* CreateService(CallbackServerContext* ctx, const v1::CreateServiceRequest* req,
                                    v1::Service* resp) override {
    return ServeUnary(rt_, ctx, "CreateService", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto service = ValidateCreate(*req);
      RequireMaintainer(call, service.org_id);
      RequireInDirectory(rt_, call, db, service.org_id);
      BindRequestId(db, "socialmap", call, req->request_id(), RequestFingerprint(*req));
      pqxx::work tx(db);
      WithinServiceLimit(tx, service.org_id, [&] {
        InsertService(tx, service.org_id, service.values, service.request_id, ActorOf(call), *resp);
      });
    }, kAnyCaller);
  }

  ServerUnaryReactor* GetService(CallbackServerContext* ctx, const v1::GetServiceRequest* req,
                                 v1::Service* resp) override {
    return ServeUnary(rt_, ctx, "GetService", [req, resp](const Call&, pqxx::connection& db) {
      const auto key = RequireServiceName(req->name(), "name");
      pqxx::nontransaction tx(db);
      if (!socialmap::GetService(tx, key.org_id, key.service_id, *resp)) throw ServiceNotFound();
    }, kAnyCaller);
  }

  ServerUnaryReactor* ListServices(CallbackServerContext* ctx, const v1::ListServicesRequest* req,
                                   v1::ListServicesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListServices", [req, resp](const Call&, pqxx::connection& db) {
      const auto org_id = RequireOrganizationName(req->parent(), "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "services|" + org_id);
      resp->set_next_page_token(NextToken(socialmap::ListServices(db, org_id, page.after, page.size, *resp), page));
    }, kAnyCaller);
  }

  ServerUnaryReactor* UpdateService(CallbackServerContext* ctx, const v1::UpdateServiceRequest* req,
                                    v1::Service* resp) override {
    return ServeUnary(rt_, ctx, "UpdateService", [req, resp](const Call& call, pqxx::connection& db) {
      const auto update = ValidateUpdate(*req);
      RequireMaintainer(call, update.key.org_id);
      pqxx::work tx(db);
      WithinServiceLimit(tx, update.key.org_id, [&] {
        v1::Service current;
        if (!socialmap::GetService(tx, update.key.org_id, update.key.service_id, current, /*for_update=*/true))
          throw ServiceNotFound();
        const int version = std::stoi(current.etag());
        if (update.etag && *update.etag != version) throw EtagMismatch();
        const auto values = UpdatedFields(current, *req, update);
        ReplaceService(tx, update.key.org_id, update.key.service_id, version, values, ActorOf(call), *resp);
      });
    }, kAnyCaller);
  }

  ServerUnaryReactor* ConfirmService(CallbackServerContext* ctx, const v1::ConfirmServiceRequest* req,
                                     v1::Service* resp) override {
    return ServeUnary(rt_, ctx, "ConfirmService", [req, resp](const Call& call, pqxx::connection& db) {
      const auto key = RequireServiceName(req->name(), "name");
      const auto etag = ParseEtag(req->etag());
      RequireMaintainer(call, key.org_id);
      if (socialmap::ConfirmService(db, key.org_id, key.service_id, etag, ActorOf(call), *resp)) return;
      pqxx::nontransaction tx(db);
      v1::Service current;
      if (!socialmap::GetService(tx, key.org_id, key.service_id, current)) throw ServiceNotFound();
      throw EtagMismatch();
    }, kAnyCaller);
  }

  ServerUnaryReactor* SearchServices(CallbackServerContext* ctx, const v1::SearchServicesRequest* req,
                                     v1::SearchServicesResponse* resp) override {
    return ServeUnary(rt_, ctx, "SearchServices", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto filters = ValidateSearch(*req);
      const Page page = DecodePage(req->page_size(), req->page_token(), filters.canonical);
      const Search search{filters.keys, filters.age, filters.text};
      resp->set_next_page_token(NextToken(socialmap::SearchServices(db, search, page.after, page.size, *resp), page));
      // A page may come out shorter than asked, or empty with a next page (AIP-158 allows both).
      std::set<std::string> orgs;
      for (const auto& service : resp->services()) orgs.insert(ParseServiceName(service.name())->org_id);
      const auto active = rt_.orgs->ActiveAmong({db, call}, orgs);
      auto& services = *resp->mutable_services();
      services.erase(std::remove_if(services.begin(), services.end(),
                                    [&](const v1::Service& s) { return !active.count(ParseServiceName(s.name())->org_id); }),
                     services.end());
      // A text of stop words alone matches nothing: say why, rather than answer an empty page.
      if (filters.text && resp->services_size() == 0 && !HasSearchWords(db, *filters.text))
        throw Error::InvalidField("query", "holds no word to search for (only stop words or punctuation)");
    }, kAnyCaller);
  }

  ServerUnaryReactor* ExportServices(CallbackServerContext* ctx, const v1::ExportServicesRequest* req,
                                     v1::ExportServicesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ExportServices", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto org_id = RequireOrganizationName(req->parent(), "parent");
      const Page page = DecodePage(req->page_size(), req->page_token(), "export|" + org_id);
      v1::ListServicesResponse listed;
      const auto last = socialmap::ListServices(db, org_id, page.after, page.size, listed);
      const auto found = team::FindOrganizations(*rt_.clients->team, {db, call}, {org_id});
      const std::string org_name = found.count(org_id) ? found.at(org_id).display_name() : "";
      auto services = nlohmann::json::array();
      for (const auto& service : listed.services())
        services.push_back(ToHsds(service, ParseServiceName(service.name())->service_id, org_id, org_name));
      resp->set_hsds_json(services.dump());
      resp->set_next_page_token(NextToken(last, page));
    }, kAnyCaller);
  }

  ServerUnaryReactor* ImportServices(CallbackServerContext* ctx, const v1::ImportServicesRequest* req,
                                     v1::ImportServicesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ImportServices", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto org_id = RequireOrganizationName(req->parent(), "parent");
      RequireMaintainer(call, org_id);
      RequireInDirectory(rt_, call, db, org_id);
      Violations v;
      const auto parsed = nlohmann::json::parse(req->hsds_json(), nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) v.Add("hsds_json", "is not JSON");
      const auto imported = parsed.is_discarded() ? std::vector<Imported>{} : FromHsds(v, parsed);
      if (imported.size() > kMaxImport) v.Add("hsds_json", "holds more than 500 services; import them in parts");
      std::set<std::string> ids;
      std::vector<ServiceValues> values;
      for (std::size_t i = 0; i < imported.size() && i < kMaxImport; ++i) {
        const std::string path = "services[" + std::to_string(i) + "]";
        if (!ids.insert(imported[i].service_id).second) v.Add(path + ".id", "is the id of an earlier service too");
        values.push_back(ServiceFields(v, path, imported[i].service, /*creating=*/true));
      }
      v.ThrowIfAny();
      pqxx::work tx(db);
      WithinServiceLimit(tx, org_id, [&] {
        for (std::size_t i = 0; i < imported.size(); ++i) {
          const bool created =
              UpsertService(tx, org_id, imported[i].service_id, values[i], ActorOf(call), *resp->add_services());
          resp->set_created_count(resp->created_count() + (created ? 1 : 0));
          resp->set_replaced_count(resp->replaced_count() + (created ? 0 : 1));
        }
      });
    }, kAnyCaller);
  }

  ServerUnaryReactor* CreateZone(CallbackServerContext* ctx, const v1::CreateZoneRequest* req,
                                 v1::Zone* resp) override {
    return ServeUnary(rt_, ctx, "CreateZone", [req, resp](const Call& call, pqxx::connection& db) {
      RequireAdmin(call, "only a platform administrator adds zones");
      const auto zone = ValidateCreateZone(*req);
      if (!InsertZone(db, zone.zone_id, zone.display_name, zone.postal_codes, *resp))
        throw Error::AlreadyExists("ZONE_EXISTS", "a zone with this id exists");
    }, kAnyCaller);
  }

  ServerUnaryReactor* GetZone(CallbackServerContext* ctx, const v1::GetZoneRequest* req, v1::Zone* resp) override {
    return ServeUnary(rt_, ctx, "GetZone", [req, resp](const Call&, pqxx::connection& db) {
      if (!socialmap::GetZone(db, RequireZoneName(req->name(), "name"), *resp)) throw ZoneNotFound();
    }, kAnyCaller);
  }

  ServerUnaryReactor* ListZones(CallbackServerContext* ctx, const v1::ListZonesRequest* req,
                                v1::ListZonesResponse* resp) override {
    return ServeUnary(rt_, ctx, "ListZones", [req, resp](const Call&, pqxx::connection& db) {
      const Page page = DecodePage(req->page_size(), req->page_token(), "zones");
      resp->set_next_page_token(NextToken(socialmap::ListZones(db, page.after, page.size, *resp), page));
    }, kAnyCaller);
  }

  ServerUnaryReactor* UpdateZone(CallbackServerContext* ctx, const v1::UpdateZoneRequest* req,
                                 v1::Zone* resp) override {
    return ServeUnary(rt_, ctx, "UpdateZone", [req, resp](const Call& call, pqxx::connection& db) {
      RequireAdmin(call, "only a platform administrator changes zones");
      const auto update = ValidateUpdateZone(*req);
      if (socialmap::UpdateZone(db, update.zone_id, update.display_name, update.postal_codes, update.etag, *resp))
        return;
      v1::Zone current;
      if (!socialmap::GetZone(db, update.zone_id, current)) throw ZoneNotFound();
      throw Error::Aborted("ETAG_MISMATCH", "the zone changed since you read it; read it again");
    }, kAnyCaller);
  }

  ServerUnaryReactor* GetGapMatrix(CallbackServerContext* ctx, const v1::GetGapMatrixRequest* req,
                                   v1::GapMatrix* resp) override {
    return ServeUnary(rt_, ctx, "GetGapMatrix", [this, req, resp](const Call& call, pqxx::connection& db) {
      const auto query = ValidateGapMatrix(*req, std::chrono::system_clock::now());
      v1::Zone zone;
      if (!socialmap::GetZone(db, query.zone_id, zone)) throw ZoneNotFound();
      resp->set_zone(zone.name());
      *resp->mutable_compute_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
      resp->mutable_quarter()->set_year(query.quarter.year);
      resp->mutable_quarter()->set_quarter(query.quarter.quarter);
      resp->mutable_start_time()->set_seconds(QuarterStart(query.quarter).time_since_epoch().count());
      resp->mutable_end_time()->set_seconds(QuarterEnd(query.quarter).time_since_epoch().count());
      // Every cell, zeros too: a cell without a service is the gap the matrix is for.
      std::map<std::pair<int, int>, v1::GapCell*> cells;
      for (int domain = 1; kruispunt::type::v1::LifeDomain_IsValid(domain); ++domain)
        for (int group = 1; v1::AgeGroup_IsValid(group); ++group) {
          auto* cell = resp->add_cells();
          cell->set_life_domain(static_cast<kruispunt::type::v1::LifeDomain>(domain));
          cell->set_age_group(static_cast<v1::AgeGroup>(group));
          cells[{domain, group}] = cell;
        }
      const auto counts = CountZoneOffer(db, query.zone_id);
      std::set<std::string> orgs;
      for (const auto& count : counts) orgs.insert(count.organization);
      const auto active = rt_.orgs->ActiveAmong({db, call}, orgs);
      for (const auto& count : counts) {
        const auto cell = cells.find({count.life_domain, count.age_group});
        // A domain this build does not know, or an organisation no longer active: not counted.
        if (cell == cells.end() || !active.count(count.organization)) continue;
        cell->second->set_active_services(cell->second->active_services() + count.active);
        cell->second->set_temporarily_closed_services(cell->second->temporarily_closed_services() +
                                                      count.temporarily_closed);
      }
      AddDemand(call, db, zone, cells, *resp);
    }, kAnyCaller);
  }

 private:
  // The demand side: the referrals of clients living in the zone, per cell, from ReferralService,
  // sent and recorded in the matrix's quarter (its start_time and end_time); each count and total
  // below 5 withheld, and a second one where a total would give it away.
  void AddDemand(const Call& call, pqxx::connection& db, const v1::Zone& zone,
                 const std::map<std::pair<int, int>, v1::GapCell*>& cells, v1::GapMatrix& matrix) {
    kruispunt::referrals::v1::CountReferralDemandRequest request;
    *request.mutable_postal_codes() = zone.postal_codes();
    *request.mutable_start_time() = matrix.start_time();
    *request.mutable_end_time() = matrix.end_time();
    const auto demand = rt_.clients->referrals->CountReferralDemand({db, call}, request);
    for (const auto& count : demand.counts()) {
      const auto cell = cells.find({count.life_domain(), count.age_group()});
      if (cell == cells.end()) continue;  // a domain this build does not know
      cell->second->set_referrals(count.referrals());
      cell->second->set_rejected(count.rejected());
      cell->second->set_waitlisted(count.waitlisted());
      cell->second->set_no_service(count.no_service());
    }
    DemandTable table;
    for (int domain = 1; kruispunt::type::v1::LifeDomain_IsValid(domain); ++domain) {
      table.referrals.emplace_back();
      for (int group = 1; group <= kAgeGroups; ++group)
        table.referrals.back()[group - 1] = cells.at({domain, group})->referrals();
    }
    const auto withheld = SuppressSmallCounts(table);
    const auto total = [&](int domain, int group, int referrals, bool suppressed) {
      auto& t = *matrix.add_demand_totals();
      t.set_life_domain(static_cast<kruispunt::type::v1::LifeDomain>(domain));
      t.set_age_group(static_cast<v1::AgeGroup>(group));
      t.set_suppressed(suppressed);
      t.set_referrals(suppressed ? 0 : referrals);
    };
    int whole = 0;
    std::array<int, kAgeGroups> columns{};
    for (std::size_t d = 0; d < table.referrals.size(); ++d) {
      int row = 0;
      for (int g = 0; g < kAgeGroups; ++g) {
        row += table.referrals[d][g];
        columns[g] += table.referrals[d][g];
        if (!withheld.cells[d][g]) continue;
        auto* cell = cells.at({static_cast<int>(d) + 1, g + 1});
        cell->set_demand_suppressed(true);
        cell->set_referrals(0);
        cell->set_rejected(0);
        cell->set_waitlisted(0);
        cell->set_no_service(0);
      }
      whole += row;
      total(static_cast<int>(d) + 1, 0, row, withheld.row_totals[d]);
    }
    for (int g = 0; g < kAgeGroups; ++g) total(0, g + 1, columns[g], withheld.column_totals[g]);
    total(0, 0, whole, withheld.total);
  }

  Runtime& rt_;
};

// What Kruispunt's services in other processes ask (served on the internal port only).
class SocialMapInternalServiceImpl final : public v1::SocialMapInternalService::CallbackService {
 public:
  explicit SocialMapInternalServiceImpl(Runtime& runtime) : rt_(runtime) {}

  ServerUnaryReactor* DescribeService(CallbackServerContext* ctx, const v1::DescribeServiceRequest* req,
                                      v1::DescribeServiceResponse* resp) override {
    return ServeUnary(rt_, ctx, "DescribeService", [req, resp](const Call&, pqxx::connection& db) {
      DescribeServiceOn(db, *req, *resp);
    }, Callers::kServices);
  }

 private:
  Runtime& rt_;
};

}  // namespace

ServiceModule SocialMapServiceModule() {
  return ServiceModule{v1::SocialMapService::service_full_name(), &Migrations(), Statements(),
                       [](Runtime& runtime) { return std::make_unique<SocialMapServiceImpl>(runtime); },
                       {team::v1::TeamService::service_full_name(),
                        kruispunt::referrals::v1::ReferralService::service_full_name()},
                       [](PeerClients& clients) { clients.socialmap = std::make_shared<LocalSocialMapClient>(); },
                       [](Runtime& runtime) { return std::make_unique<SocialMapInternalServiceImpl>(runtime); },
                       {}};  // no jobs
}

}  // namespace kp::socialmap
