// kruispunt: a command-line client for trying Kruispunt without writing code.
// Exit code: 0 on success, the gRPC status code (1..16) on an RPC error, 64 on a usage error.
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/files.h"
#include "common/jwt.h"
#include "common/version.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "kruispunt/agreements/v1/agreements.grpc.pb.h"
#include "kruispunt/feed/v1/feed.grpc.pb.h"
#include "kruispunt/referrals/v1/referrals.grpc.pb.h"
#include "kruispunt/socialmap/v1/socialmap.grpc.pb.h"
#include "kruispunt/careplan/v1/careplan.grpc.pb.h"
#include "kruispunt/cases/v1/cases.grpc.pb.h"
#include "kruispunt/team/v1/team.grpc.pb.h"
#include "kruispunt/consent/v1/consent.grpc.pb.h"
#include "kruispunt/audit/v1/audit.grpc.pb.h"

namespace {

namespace v1 = kruispunt::cases::v1;
namespace type = kruispunt::type::v1;
namespace team = kruispunt::team::v1;
namespace consent = kruispunt::consent::v1;
namespace audit = kruispunt::audit::v1;
namespace careplan = kruispunt::careplan::v1;
namespace agreements = kruispunt::agreements::v1;
namespace feed = kruispunt::feed::v1;
namespace socialmap = kruispunt::socialmap::v1;
namespace referrals = kruispunt::referrals::v1;

constexpr int kUsage = 64;

const char* kHelp = R"(Usage: kruispunt [--addr HOST:PORT] [--token JWT] [--json] [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] COMMAND ...
       kruispunt --version

Global options (environment in brackets):
  --addr      server address (KRUISPUNT_ADDR, default 127.0.0.1:50051)
  --token     bearer token (KRUISPUNT_TOKEN)
  --json      print results as JSON
  --tls-ca    connect with TLS, trusting this CA file (KRUISPUNT_TLS_CA)
  --tls-cert, --tls-key   client certificate and key for mTLS (KRUISPUNT_TLS_CERT, KRUISPUNT_TLS_KEY)

Commands:
  token --key PEM --org ORG --sub PERSON [--role professional|admin|service|dpo] [--ttl SECONDS]
        [--issuer kruispunt-dev] [--audience kruispunt] [--kid KID]     mint a development token
  health                                                                 is the server serving?
  services                     every service and method the server lists and describes (reflection)
  client create --insz N --given-name G --family-name F --birth-date YYYY-MM-DD
        [--language nl] [--email E] [--phone P] [--street S] [--postal-code C] [--city C]
        [--request-id UUID]
  client get clients/ID
  client update clients/ID [--given-name G] [--family-name F] [--language L] [--email E]
        [--phone P] [--street S] [--postal-code C] [--city C] [--etag E]
  client list [--insz N] [--page-size N] [--page-token T]
  case create --client clients/ID --title T [--summary S] [--domain D ...] [--request-id UUID]
  case get cases/ID
  case update cases/ID [--title T] [--summary S] [--domain D ...] [--etag E]
  case list [--state registered|active|suspended|closed] [--domain D] [--insz N]
        [--page-size N] [--page-token T]
  case activate|suspend|close|reopen cases/ID [--reason R] [--etag E]
  case history cases/ID
  org create ID --name N --kind K --kbo NUMBER [--email E] [--phone P] [--street S]
        [--postal-code C] [--city C]                                  (platform admin token)
  org get organizations/ID
  org list [--kind K] [--active-only 1] [--page-size N] [--page-token T]
  org update organizations/ID [--name N] [--kind K] [--active true|false] [--etag E]  (admin)
  person create --professional ID --profession P | --informal 1,
        --given-name G --family-name F [--email E] [--phone P] [--request-id UUID]
  person get (organizations/ORG/people/ID | people/ID)
  team add cases/ID --person PERSON --role R --permit P [--permit P ...] [--domain D ...]
        [--from TIME] [--until TIME] [--handover-from cases/ID/participants/ID]
        [--reason R] [--request-id UUID]
  team end cases/ID/participants/ID [--reason R]
  team list cases/ID [--all 1] [--page-size N] [--page-token T]
  team history cases/ID
  team mine (--person organizations/ORG/people/ID | --organization organizations/ID)
  consent grant cases/ID --by PARTICIPANT --to organizations/ID [--to ...] --category C [...]
        [--to-participant PARTICIPANT ...] [--purpose care-coordination] [--method written|verbal|digital]
        [--evidence REF] --note "how it was checked" [--legal-basis explicit-consent]
        [--from TIME] [--until TIME] [--request-id UUID]
  consent get cases/ID/consents/ID
  consent list cases/ID [--state active|pending|withdrawn|expired]
  consent withdraw cases/ID/consents/ID --by PARTICIPANT [--reason R]
  consent history cases/ID
  access check cases/ID --category C [--action read|write] [--purpose care-coordination]
  log case cases/ID [--page-size N] [--page-token T]               (the owning organisation)
  log search [--organization organizations/ID] [--decision permit|deny] [--from TIME] [--until TIME]  (role dpo)
  plan get cases/ID                       the care plan: goals by priority, actions, evaluations
  plan update cases/ID --next-review YYYY-MM-DD --etag E
  plan activate|hold|complete|revoke cases/ID [--reason R] [--etag E]
  plan history cases/ID [--page-size N] [--page-token T]
  goal add cases/ID --statement S --domain D --held-by PARTICIPANT --priority N
        [--agreement agrees|not-yet|disagrees] [--target YYYY-MM-DD] [--next-evaluation YYYY-MM-DD]
        [--request-id UUID]
  goal get cases/ID/goals/ID
  goal list cases/ID [--domain D] [--state S] [--page-size N] [--page-token T]
  goal accept|start|hold|conclude|cancel cases/ID/goals/ID [--reason R] [--etag E]
        [--outcome achieved|partly-achieved|not-achieved]            (conclude)
  goal disagree cases/ID/goals/ID --participant PARTICIPANT --note N
  goal overdue (cases/ID | organizations/ID)
  action add cases/ID --goal cases/ID/goals/ID --description D --responsible PARTICIPANT
        [--due YYYY-MM-DD] [--request-id UUID]
  action update cases/ID/actions/ID --etag E [--status planned|in-progress|done|cancelled]
        [--description D] [--due YYYY-MM-DD]
  evaluation add cases/ID --goal cases/ID/goals/ID --client-score 1..10 [--client-note N]
        [--professional-score 1..10] [--professional-note N] [--date YYYY-MM-DD] --next YYYY-MM-DD
  evaluation add cases/ID --goal cases/ID/goals/ID --referral cases/ID/referrals/ID
        [--client-score 1..10] [--client-note N] [--professional-note N] [--date YYYY-MM-DD]
        (notes the referral's outcome on a goal it serves; no next review)
  evaluation list cases/ID/goals/ID
  agreement propose cases/ID --text T --party PARTY [--party ...] [--performer PARTY ...]
        [--goal cases/ID/goals/ID ...] [--schedule S] [--start YYYY-MM-DD] [--end YYYY-MM-DD]
        [--consultation YYYY-MM-DD] [--request-id UUID]
  agreement get|versions cases/ID/agreements/ID
  agreement list cases/ID [--status proposed|in-force|declined|ended]
  agreement respond cases/ID/agreements/ID --version N --party PARTY --answer accept|decline [--comment C]
  agreement withdraw cases/ID/agreements/ID --version N --party PARTY --reason R
  agreement amend cases/ID/agreements/ID --text T --party PARTY [...] (as propose) [--etag E]
  agreement end cases/ID/agreements/ID --reason R [--etag E]
  agreement awaiting organizations/ID                 what awaits your organisation's answer
  agreement changes (cases/ID | organizations/ID) [--after-cursor C]   in commit order; keep the cursor
  agreement log cases/ID [--page-size N] [--page-token T]
  agreement verify cases/ID                          recompute the log's hash chain
  feed changes organizations/ID [--after-cursor C] [--case cases/ID] [--kind K ...] [--page-size N]
      [--page-token T]                               your organisation's changes in commit order; keep
                                                     the cursor (kinds: agreement-proposed, ...)
  watch organizations/ID [--cursor-file F] [--after-cursor C] [--case cases/ID] [--kind K ...]
      [--heartbeat-seconds N]                        the same as they commit, one per line (--json:
                                                     JSON lines); keeps its place in F and resumes
                                                     from it, also after a reconnect
  socialmap create organizations/ID --name N --domain D [--domain ...] --postal-code P [--postal-code ...]
        [--description D] [--min-age N] [--max-age N] [--eligibility E] [--language L ...]
        [--location "DESCRIPTION|STREET|POSTAL CODE|CITY" ...] [--email E] [--phone P] [--website URL]
        [--how-to-apply H] [--cost C] [--status active|temporarily-closed|inactive] [--request-id UUID]
                                                     a service your organisation offers
  socialmap get organizations/ID/services/ID
  socialmap list organizations/ID [--page-size N] [--page-token T]
  socialmap update organizations/ID/services/ID (any option of create) [--etag E]
  socialmap confirm organizations/ID/services/ID [--etag E]     the record is still right
  socialmap search [--domain D] [--age N] [--postal-code P] [--language L] [--query WORDS]
        [--page-size N] [--page-token T]             active and temporarily closed services
  socialmap export organizations/ID               the organisation's services as HSDS 3 JSON (every page)
  zone create ID --name N --postal-code P [--postal-code ...]    a first-line zone (platform administrators)
  zone get zones/ID
  zone list [--page-size N] [--page-token T]
  zone update zones/ID [--name N] [--postal-code P ...] [--etag E]  (platform administrators)
  zone matrix zones/ID [--quarter YYYY-QN]        the zone's offer per life domain and age group (a table;
                                                  --json: the cells); the demand of the referrals sent and
                                                  needs recorded in a quarter that has ended (default: the last)
  socialmap import organizations/ID --file F      create or replace services from HSDS 3 JSON (at most 500)
  referral create cases/ID (--service organizations/ID/services/ID | --to organizations/ID)
        --kind referral|guided|accompanied --question Q --domain D --postal-code P --age-group G
        [--share CATEGORY ...] [--goal G ...] [--propose PERMISSION ...] [--answer-within N] [--request-id UUID]
                                                  refer the client (the question is always shared;
                                                  sent only with a consent naming the receiver)
  referral get cases/ID/referrals/ID
  referral list cases/ID [--page-size N] [--page-token T]
  referral incoming [open] [--page-size N] [--page-token T]     referrals sent to your organisation
                                                  (open: only those requested, accepted, wait-listed
                                                  or in progress)
  referral accept|waitlist|start|complete cases/ID/referrals/ID [--join-as organizations/ORG/people/ID]
        [--etag E]                                the receiver's answers (--join-as: accept, joining the team)
  referral reject|fail cases/ID/referrals/ID --outcome O --reason R [--etag E]
  referral cancel|hold|resume cases/ID/referrals/ID [--reason R] [--outcome O] [--etag E]
                                                  the referring side (hold: at the client's pace)
  referral changes cases/ID/referrals/ID [--page-size N] [--page-token T]
  referral unmet cases/ID --domain D --postal-code P --age-group G   no service found for this need
                                                  (counted in the zone's matrix)
Parties: organizations/ID or cases/ID/participants/ID. People: organizations/ORG/people/ID (a professional,
ID their token subject) or people/ID (anyone else).
Data categories: identity-and-contact, case, care-plan, agreements, medical, psychosocial,
  financial, housing.
Organisation kinds: mutuality-social-service, caw, ocmw, gp-practice, home-nursing, family-care,
  youth-advice, hospital-social-service, other.
Roles: legal-representative, informal-carer, trusted-person, peer-expert, care-coordinator,
  case-manager, professional.
Permissions: read-case, read-care-plan, edit-care-plan, propose-agreements, answer-agreements,
  record-evaluations, manage-team.
Times: RFC 3339 (2026-12-01T09:00:00Z).
Age groups (the client's, where a referral is counted): 0-to-17, 18-to-64, 65-and-older.
Referral outcomes: service-started, client-declined, client-not-reachable, not-eligible, no-capacity.
Life domains: finances, housing, physical-health, mental-health, daily-activities-and-work,
  social-network, administration-and-rights, safety, mobility, meaning, addiction, education,
  psychosocial-support.
)";

struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> options;
  bool Has(const std::string& k) const { return options.count(k) > 0; }
  std::string Get(const std::string& k, const std::string& fallback = "") const {
    auto it = options.find(k);
    return it == options.end() ? fallback : it->second;
  }
  std::vector<std::string> All(const std::string& k) const {
    std::vector<std::string> out;
    for (auto [it, end] = options.equal_range(k); it != end; ++it) out.push_back(it->second);
    return out;
  }
};

[[noreturn]] void Usage(const std::string& message) {
  std::cerr << "kruispunt: " << message << "\n(see kruispunt --help)\n";
  std::exit(kUsage);
}

Args Parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      std::exit(0);
    }
    if (a == "--json") {
      args.options.emplace("json", "1");
    } else if (a.rfind("--", 0) == 0) {
      auto eq = a.find('=');
      if (eq != std::string::npos) args.options.emplace(a.substr(2, eq - 2), a.substr(eq + 1));
      else if (i + 1 < argc) args.options.emplace(a.substr(2), argv[++i]);
      else Usage(a + " needs a value");
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

std::string Slug(std::string name, const std::string& prefix) {
  name = name.substr(prefix.size());
  for (auto& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return name;
}

std::string ReadFile(const std::string& path) {
  try {
    return kp::ReadFileToString(path);
  } catch (const std::runtime_error& e) {
    Usage(e.what());
  }
}

// "care-coordinator" -> PARTICIPANT_ROLE_CARE_COORDINATOR, for any proto enum and its prefix.
template <class E>
E ParseEnum(const std::string& text, const std::string& prefix, const char* what) {
  const auto* descriptor = google::protobuf::GetEnumDescriptor<E>();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto* value = descriptor->value(i);
    if (value->number() != 0 && Slug(value->name(), prefix) == text) return static_cast<E>(value->number());
  }
  Usage(std::string("unknown ") + what + " '" + text + "'");
}

type::LifeDomain ParseDomain(const std::string& text) {
  return ParseEnum<type::LifeDomain>(text, "LIFE_DOMAIN_", "life domain");
}

google::protobuf::Timestamp ParseTime(const std::string& text) {
  google::protobuf::Timestamp ts;
  if (!google::protobuf::util::TimeUtil::FromString(text, &ts))
    Usage("times are RFC 3339, e.g. 2026-12-01T09:00:00Z");
  return ts;
}

type::Date ParseDate(const std::string& text) {
  type::Date date;
  int y = 0, m = 0, d = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d", &y, &m, &d) != 3) Usage("dates are YYYY-MM-DD");
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

int32_t ParseInt(const std::string& text) {
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    Usage("'" + text + "' is not a number");
  }
}

void Print(const google::protobuf::Message& message, bool json) {
  std::string out;
  if (json) {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  } else {
    google::protobuf::TextFormat::Printer printer;
    printer.SetUseUtf8StringEscaping(true);
    printer.PrintToString(message, &out);
  }
  std::cout << out << (json ? "\n" : "");
}

int Fail(const grpc::Status& status) {
  static const char* kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                                 "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
                                 "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                 "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const int code = status.error_code();
  std::cerr << "error: " << (code >= 0 && code <= 16 ? kNames[code] : "?") << ": "
            << status.error_message() << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      google::rpc::BadRequest bad;
      if (any.UnpackTo(&info)) {
        std::cerr << "  error reason: " << info.reason() << "\n";
        for (const auto& [key, value] : info.metadata()) std::cerr << "  " << key << ": " << value << "\n";
      }
      else if (any.UnpackTo(&bad))
        for (const auto& v : bad.field_violations())
          std::cerr << "  field " << v.field() << ": " << v.description() << "\n";
    }
  }
  return code;
}

// Asks the server's reflection for the services it lists and has each described: prints
// "service/method" per line, and fails (UNIMPLEMENTED) on a listed service it cannot describe.
int ListServices(const std::shared_ptr<grpc::Channel>& channel) {
  namespace reflection = grpc::reflection::v1alpha;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = reflection::ServerReflection::NewStub(channel)->ServerReflectionInfo(&ctx);
  reflection::ServerReflectionRequest request;
  reflection::ServerReflectionResponse response;
  request.set_list_services("");
  if (!stream->Write(request) || !stream->Read(&response)) return Fail(stream->Finish());
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.push_back(s.name());
  int undescribed = 0;
  for (const auto& service : services) {
    request.set_file_containing_symbol(service);
    if (!stream->Write(request) || !stream->Read(&response)) return Fail(stream->Finish());
    bool described = false;
    for (const auto& bytes : response.file_descriptor_response().file_descriptor_proto()) {
      google::protobuf::FileDescriptorProto file;
      if (!file.ParseFromString(bytes)) continue;
      for (const auto& s : file.service())
        if ((file.package().empty() ? "" : file.package() + ".") + s.name() == service) {
          described = true;
          for (const auto& m : s.method()) std::cout << service << "/" << m.name() << "\n";
        }
    }
    if (!described) {
      std::cerr << "error: the server lists " << service << " but does not describe it\n";
      ++undescribed;
    }
  }
  stream->WritesDone();
  stream->Finish();
  return undescribed == 0 ? 0 : 12;  // UNIMPLEMENTED
}

// Writes the cursor so that a crash leaves the old cursor or the new one, never half a file: a
// temporary file, synced, renamed over the old one.
void SaveCursor(const std::string& path, const std::string& cursor) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const std::string line = cursor + "\n";
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd) != 0 ||
      ::close(fd) != 0 || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::cerr << "error: cannot write the cursor file " << path << "\n";
    std::exit(1);
  }
}

// The reason of a status's ErrorInfo, or empty.
std::string ReasonOf(const grpc::Status& status) {
  google::rpc::Status details;
  google::rpc::ErrorInfo info;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details()))
    for (const auto& any : details.details())
      if (any.UnpackTo(&info)) return info.reason();
  return "";
}

// `kruispunt watch`: prints the organisation's changes as they commit, one per line (JSON lines
// with --json), and after each batch keeps the cursor in --cursor-file, from which it starts: a
// watcher stopped anyhow and started again misses nothing (a change printed just before a stop
// may be printed again: deduplicate by its id). When the stream ends in a way one resumes from
// (the server stops or is unreachable, or the watcher read too slowly), it reconnects from the
// cursor, waiting longer each time (up to 30 s); any other error ends it.
int Watch(const std::shared_ptr<grpc::Channel>& channel, const std::string& token, const Args& a, bool json) {
  feed::WatchChangesRequest request;
  request.set_parent(a.positional.size() > 1 ? a.positional[1] : "");
  request.set_case_(a.Get("case"));
  for (const auto& k : a.All("kind")) request.add_kinds(ParseEnum<feed::ChangeKind>(k, "CHANGE_KIND_", "kind of change"));
  if (a.Has("heartbeat-seconds")) request.mutable_heartbeat_interval()->set_seconds(ParseInt(a.Get("heartbeat-seconds")));
  const std::string cursor_file = a.Get("cursor-file");
  std::string cursor = a.Get("after-cursor");
  if (!cursor_file.empty()) {
    std::ifstream in(cursor_file);
    std::string saved;
    if (in && std::getline(in, saved) && !saved.empty()) cursor = saved;
  }
  auto stub = feed::FeedService::NewStub(channel);
  std::chrono::seconds backoff(1);
  for (;;) {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    request.set_after_cursor(cursor);
    auto stream = stub->WatchChanges(&ctx, request);
    feed::WatchChangesResponse response;
    while (stream->Read(&response)) {
      backoff = std::chrono::seconds(1);  // connected: the next wait starts short again
      for (const auto& change : response.changes()) {
        std::string line;
        if (json) {
          google::protobuf::util::JsonPrintOptions options;
          options.preserve_proto_field_names = true;
          (void)google::protobuf::util::MessageToJsonString(change, &line, options);
        } else {
          line = google::protobuf::util::TimeUtil::ToString(change.time()) + " " +
                 feed::ChangeKind_Name(change.kind()) + " " + change.resource() +
                 " by " + change.actor_organization() + (change.withheld() ? " (withheld)" : "");
        }
        std::cout << line << "\n";
      }
      std::cout.flush();
      cursor = response.cursor();
      if (!cursor_file.empty()) SaveCursor(cursor_file, cursor);
    }
    const grpc::Status status = stream->Finish();
    const bool resumable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                            ReasonOf(status) == "SLOW_SUBSCRIBER");
    if (!resumable) return Fail(status);
    std::cerr << "watch: " << status.error_message() << "; resuming in " << backoff.count() << " s\n";
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::seconds(30));
  }
}

int MintToken(const Args& a) {
  for (const char* required : {"key", "org", "sub"})
    if (!a.Has(required)) Usage(std::string("token needs --") + required);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json claims = {{"iss", a.Get("issuer", "kruispunt-dev")},
                           {"aud", a.Get("audience", "kruispunt")},
                           {"sub", a.Get("sub")},
                           {"org", a.Get("org")},
                           {"role", a.Get("role", "professional")},
                           {"iat", now},
                           {"exp", now + ParseInt(a.Get("ttl", "3600"))}};
  std::cout << kp::SignJwt(claims, a.Get("key"), a.Get("kid")) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--version") {
    std::cout << kp::VersionLine("kruispunt") << "\n";
    return 0;
  }
  Args a = Parse(argc, argv);
  if (a.positional.empty()) Usage("a command is required");
  const std::string group = a.positional[0];
  if (group == "token") {
    try {
      return MintToken(a);
    } catch (const std::exception& e) {
      std::cerr << "kruispunt: " << e.what() << "\n";
      return 1;
    }
  }

  const std::string addr = a.Get("addr", Env("KRUISPUNT_ADDR", "127.0.0.1:50051"));
  const std::string ca = a.Get("tls-ca", Env("KRUISPUNT_TLS_CA"));
  const std::string cert = a.Get("tls-cert", Env("KRUISPUNT_TLS_CERT"));
  const std::string key = a.Get("tls-key", Env("KRUISPUNT_TLS_KEY"));
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!ca.empty()) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(ca);
    if (!cert.empty() || !key.empty()) {  // a client certificate, for servers that demand mTLS
      options.pem_cert_chain = ReadFile(cert);
      options.pem_private_key = ReadFile(key);
    }
    creds = grpc::SslCredentials(options);
  }
  auto channel = grpc::CreateChannel(addr, creds);
  const bool json = a.Has("json");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));

  if (group == "health") {
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    auto status = grpc::health::v1::Health::NewStub(channel)->Check(&ctx, request, &response);
    if (!status.ok()) return Fail(status);
    Print(response, json);
    return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 14;
  }

  if (group == "services") return ListServices(channel);

  const std::string token = a.Get("token", Env("KRUISPUNT_TOKEN"));
  if (group == "watch") return Watch(channel, token, a, json);
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  auto stub = v1::CaseService::NewStub(channel);
  auto teams = team::TeamService::NewStub(channel);
  auto consents = consent::ConsentService::NewStub(channel);
  auto log = audit::AuditService::NewStub(channel);
  auto plans = careplan::CarePlanService::NewStub(channel);
  auto deals = agreements::AgreementService::NewStub(channel);
  auto changes = feed::FeedService::NewStub(channel);
  auto map = socialmap::SocialMapService::NewStub(channel);
  auto referral_stub = referrals::ReferralService::NewStub(channel);
  auto party = [](const std::string& name) {
    agreements::Party p;
    if (name.rfind("organizations/", 0) == 0) p.set_organization(name);
    else p.set_participant(name);
    return p;
  };
  auto agreement_content = [&](agreements::AgreementContent* c) {
    c->set_text(a.Get("text"));
    c->set_schedule(a.Get("schedule"));
    for (const auto& p : a.All("party")) *c->add_required_parties() = party(p);
    for (const auto& p : a.All("performer")) *c->add_performers() = party(p);
    for (const auto& g : a.All("goal")) c->add_goals(g);
    if (a.Has("start")) *c->mutable_start_date() = ParseDate(a.Get("start"));
    if (a.Has("end")) *c->mutable_end_date() = ParseDate(a.Get("end"));
    if (a.Has("consultation")) *c->mutable_consultation_date() = ParseDate(a.Get("consultation"));
  };
  if (a.positional.size() < 2) Usage("'" + group + "' needs a subcommand");
  auto contact_fields = [&](team::Contact* c, google::protobuf::FieldMask* mask) {
    auto set = [&](const char* opt, const char* path, auto setter) {
      if (!a.Has(opt)) return;
      setter(a.Get(opt));
      if (mask) mask->add_paths(path);
    };
    set("email", "contact.email", [&](const std::string& v) { c->set_email(v); });
    set("phone", "contact.phone", [&](const std::string& v) { c->set_phone(v); });
    set("street", "contact.street", [&](const std::string& v) { c->set_street(v); });
    set("postal-code", "contact.postal_code", [&](const std::string& v) { c->set_postal_code(v); });
    set("city", "contact.city", [&](const std::string& v) { c->set_city(v); });
  };
  const std::string verb = a.positional[1];
  const std::string name = a.positional.size() > 2 ? a.positional[2] : "";
  grpc::Status status;
  std::unique_ptr<google::protobuf::Message> result;

  auto client_fields = [&](v1::Client* c, google::protobuf::FieldMask* mask) {
    auto set = [&](const char* opt, const char* path, auto setter) {
      if (!a.Has(opt)) return;
      setter(a.Get(opt));
      if (mask) mask->add_paths(path);
    };
    set("given-name", "given_name", [&](const std::string& v) { c->set_given_name(v); });
    set("family-name", "family_name", [&](const std::string& v) { c->set_family_name(v); });
    set("language", "preferred_language", [&](const std::string& v) { c->set_preferred_language(v); });
    set("email", "contact.email", [&](const std::string& v) { c->mutable_contact()->set_email(v); });
    set("phone", "contact.phone", [&](const std::string& v) { c->mutable_contact()->set_phone(v); });
    set("street", "contact.street", [&](const std::string& v) { c->mutable_contact()->set_street(v); });
    set("postal-code", "contact.postal_code", [&](const std::string& v) { c->mutable_contact()->set_postal_code(v); });
    set("city", "contact.city", [&](const std::string& v) { c->mutable_contact()->set_city(v); });
    if (a.Has("etag")) c->set_etag(a.Get("etag"));
  };
  auto case_fields = [&](v1::Case* c, google::protobuf::FieldMask* mask) {
    if (a.Has("title")) { c->set_title(a.Get("title")); if (mask) mask->add_paths("title"); }
    if (a.Has("summary")) { c->set_summary(a.Get("summary")); if (mask) mask->add_paths("summary"); }
    if (a.Has("domain")) {
      for (const auto& d : a.All("domain")) c->add_life_domains(ParseDomain(d));
      if (mask) mask->add_paths("life_domains");
    }
    if (a.Has("etag")) c->set_etag(a.Get("etag"));
  };

  // The options of `socialmap create` and `update`: each one given is set, and named in the mask.
  auto service_fields = [&](socialmap::Service* s, google::protobuf::FieldMask* mask) {
    auto set = [&](const char* opt, const char* path, auto setter) {
      if (!a.Has(opt)) return;
      setter(a.Get(opt));
      if (mask) mask->add_paths(path);
    };
    auto set_all = [&](const char* opt, const char* path, auto adder) {
      if (!a.Has(opt)) return;
      for (const auto& v : a.All(opt)) adder(v);
      if (mask) mask->add_paths(path);
    };
    set("name", "display_name", [&](const std::string& v) { s->set_display_name(v); });
    set("description", "description", [&](const std::string& v) { s->set_description(v); });
    set_all("domain", "life_domains", [&](const std::string& v) { s->add_life_domains(ParseDomain(v)); });
    set("min-age", "minimum_age", [&](const std::string& v) { s->set_minimum_age(ParseInt(v)); });
    set("max-age", "maximum_age", [&](const std::string& v) { s->set_maximum_age(ParseInt(v)); });
    set("eligibility", "eligibility", [&](const std::string& v) { s->set_eligibility(v); });
    set_all("postal-code", "postal_codes", [&](const std::string& v) { s->add_postal_codes(v); });
    set_all("location", "locations", [&](const std::string& v) {
      std::vector<std::string> parts;
      std::stringstream in(v);
      for (std::string part; std::getline(in, part, '|');) parts.push_back(part);
      if (parts.size() != 4) Usage("--location is \"DESCRIPTION|STREET|POSTAL CODE|CITY\"");
      auto* l = s->add_locations();
      l->set_description(parts[0]);
      l->set_street(parts[1]);
      l->set_postal_code(parts[2]);
      l->set_city(parts[3]);
    });
    set("email", "email", [&](const std::string& v) { s->set_email(v); });
    set("phone", "phone", [&](const std::string& v) { s->set_phone(v); });
    set("website", "website", [&](const std::string& v) { s->set_website(v); });
    set("how-to-apply", "how_to_apply", [&](const std::string& v) { s->set_how_to_apply(v); });
    set_all("language", "languages", [&](const std::string& v) { s->add_languages(v); });
    set("cost", "cost", [&](const std::string& v) { s->set_cost(v); });
    set("status", "status", [&](const std::string& v) {
      s->set_status(ParseEnum<socialmap::ServiceStatus>(v, "SERVICE_STATUS_", "service status"));
    });
    if (a.Has("etag")) s->set_etag(a.Get("etag"));
  };

  if (group == "client" && verb == "create") {
    v1::CreateClientRequest r;
    r.mutable_client()->set_insz(a.Get("insz"));
    if (a.Has("birth-date")) *r.mutable_client()->mutable_birth_date() = ParseDate(a.Get("birth-date"));
    client_fields(r.mutable_client(), nullptr);
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<v1::Client>();
    status = stub->CreateClient(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "client" && verb == "get") {
    v1::GetClientRequest r;
    r.set_name(name);
    auto out = std::make_unique<v1::Client>();
    status = stub->GetClient(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "client" && verb == "update") {
    v1::UpdateClientRequest r;
    r.mutable_client()->set_name(name);
    client_fields(r.mutable_client(), r.mutable_update_mask());
    auto out = std::make_unique<v1::Client>();
    status = stub->UpdateClient(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "client" && verb == "list") {
    v1::ListClientsRequest r;
    r.set_insz(a.Get("insz"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<v1::ListClientsResponse>();
    status = stub->ListClients(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "case" && verb == "create") {
    v1::CreateCaseRequest r;
    r.mutable_case_()->set_client(a.Get("client"));
    case_fields(r.mutable_case_(), nullptr);
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<v1::Case>();
    status = stub->CreateCase(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "case" && verb == "get") {
    v1::GetCaseRequest r;
    r.set_name(name);
    auto out = std::make_unique<v1::Case>();
    status = stub->GetCase(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "case" && verb == "update") {
    v1::UpdateCaseRequest r;
    r.mutable_case_()->set_name(name);
    case_fields(r.mutable_case_(), r.mutable_update_mask());
    auto out = std::make_unique<v1::Case>();
    status = stub->UpdateCase(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "case" && verb == "list") {
    v1::ListCasesRequest r;
    if (a.Has("state")) r.set_state(ParseEnum<v1::CaseState>(a.Get("state"), "CASE_STATE_", "state"));
    if (a.Has("domain")) r.set_life_domain(ParseDomain(a.Get("domain")));
    r.set_client_insz(a.Get("insz"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<v1::ListCasesResponse>();
    status = stub->ListCases(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "case" && (verb == "activate" || verb == "suspend" || verb == "close" || verb == "reopen")) {
    v1::TransitionCaseRequest r;
    r.set_name(name);
    r.set_reason(a.Get("reason"));
    r.set_etag(a.Get("etag"));
    auto out = std::make_unique<v1::Case>();
    if (verb == "activate") status = stub->ActivateCase(&ctx, r, out.get());
    else if (verb == "suspend") status = stub->SuspendCase(&ctx, r, out.get());
    else if (verb == "close") status = stub->CloseCase(&ctx, r, out.get());
    else status = stub->ReopenCase(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "case" && verb == "history") {
    v1::ListCaseStatusChangesRequest r;
    r.set_parent(name);
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<v1::ListCaseStatusChangesResponse>();
    status = stub->ListCaseStatusChanges(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "org" && verb == "create") {
    team::CreateOrganizationRequest r;
    r.set_organization_id(name);
    auto* o = r.mutable_organization();
    o->set_display_name(a.Get("name"));
    if (a.Has("kind")) o->set_kind(ParseEnum<team::OrganizationKind>(a.Get("kind"), "ORGANIZATION_KIND_", "kind"));
    o->set_kbo_number(a.Get("kbo"));
    contact_fields(o->mutable_contact(), nullptr);
    auto out = std::make_unique<team::Organization>();
    status = teams->CreateOrganization(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "org" && verb == "get") {
    team::GetOrganizationRequest r;
    r.set_name(name);
    auto out = std::make_unique<team::Organization>();
    status = teams->GetOrganization(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "org" && verb == "list") {
    team::ListOrganizationsRequest r;
    if (a.Has("kind")) r.set_kind(ParseEnum<team::OrganizationKind>(a.Get("kind"), "ORGANIZATION_KIND_", "kind"));
    r.set_active_only(a.Get("active-only", "0") == "1");
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<team::ListOrganizationsResponse>();
    status = teams->ListOrganizations(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "org" && verb == "update") {
    team::UpdateOrganizationRequest r;
    auto* o = r.mutable_organization();
    o->set_name(name);
    auto* mask = r.mutable_update_mask();
    if (a.Has("name")) { o->set_display_name(a.Get("name")); mask->add_paths("display_name"); }
    if (a.Has("kind")) {
      o->set_kind(ParseEnum<team::OrganizationKind>(a.Get("kind"), "ORGANIZATION_KIND_", "kind"));
      mask->add_paths("kind");
    }
    if (a.Has("active")) { o->set_active(a.Get("active") == "true"); mask->add_paths("active"); }
    contact_fields(o->mutable_contact(), mask);
    o->set_etag(a.Get("etag"));
    auto out = std::make_unique<team::Organization>();
    status = teams->UpdateOrganization(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "person" && verb == "create") {
    team::CreatePersonRequest r;
    auto* p = r.mutable_person();
    if (a.Has("professional")) {
      p->set_kind(team::PERSON_KIND_PROFESSIONAL);
      r.set_person_id(a.Get("professional"));
    } else if (a.Has("informal")) {
      p->set_kind(team::PERSON_KIND_INFORMAL);
    }
    p->set_given_name(a.Get("given-name"));
    p->set_family_name(a.Get("family-name"));
    p->set_profession(a.Get("profession"));
    contact_fields(p->mutable_contact(), nullptr);
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<team::Person>();
    status = teams->CreatePerson(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "person" && verb == "get") {
    team::GetPersonRequest r;
    r.set_name(name);
    auto out = std::make_unique<team::Person>();
    status = teams->GetPerson(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "team" && verb == "add") {
    team::AddParticipantRequest r;
    r.set_parent(name);
    auto* p = r.mutable_participant();
    p->set_person(a.Get("person"));
    if (a.Has("role")) p->set_role(ParseEnum<team::ParticipantRole>(a.Get("role"), "PARTICIPANT_ROLE_", "role"));
    for (const auto& permit : a.All("permit"))
      p->add_mandate(ParseEnum<team::Permission>(permit, "PERMISSION_", "permission"));
    for (const auto& d : a.All("domain")) p->add_life_domains(ParseDomain(d));
    if (a.Has("from")) *p->mutable_valid_from() = ParseTime(a.Get("from"));
    if (a.Has("until")) *p->mutable_valid_until() = ParseTime(a.Get("until"));
    r.set_handover_from(a.Get("handover-from"));
    r.set_reason(a.Get("reason"));
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<team::Participant>();
    status = teams->AddParticipant(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "team" && verb == "end") {
    team::EndParticipationRequest r;
    r.set_name(name);
    r.set_reason(a.Get("reason"));
    auto out = std::make_unique<team::Participant>();
    status = teams->EndParticipation(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "team" && verb == "list") {
    team::ListParticipantsRequest r;
    r.set_parent(name);
    r.set_include_ended(a.Get("all", "0") == "1");
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<team::ListParticipantsResponse>();
    status = teams->ListParticipants(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "team" && verb == "history") {
    team::ListTeamChangesRequest r;
    r.set_parent(name);
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<team::ListTeamChangesResponse>();
    status = teams->ListTeamChanges(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "team" && verb == "mine") {
    team::ListParticipationsRequest r;
    if (a.Has("person")) r.set_person(a.Get("person"));
    else if (a.Has("organization")) r.set_organization(a.Get("organization"));
    else Usage("team mine needs --person or --organization");
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<team::ListParticipationsResponse>();
    status = teams->ListParticipations(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "consent" && verb == "grant") {
    consent::GrantConsentRequest r;
    r.set_parent(name);
    auto* k = r.mutable_consent();
    k->set_granted_by(a.Get("by"));
    for (const auto& org : a.All("to")) k->add_recipient_organizations(org);
    for (const auto& p : a.All("to-participant")) k->add_recipient_participants(p);
    for (const auto& c : a.All("category"))
      k->add_categories(ParseEnum<consent::DataCategory>(c, "DATA_CATEGORY_", "data category"));
    k->set_purpose(ParseEnum<consent::Purpose>(a.Get("purpose", "care-coordination"), "PURPOSE_", "purpose"));
    k->set_method(ParseEnum<consent::ConsentMethod>(a.Get("method", "written"), "CONSENT_METHOD_", "method"));
    k->set_evidence_reference(a.Get("evidence"));
    k->set_verification_note(a.Get("note"));
    k->set_legal_basis(ParseEnum<consent::LegalBasis>(a.Get("legal-basis", "explicit-consent"), "LEGAL_BASIS_", "legal basis"));
    if (a.Has("from")) *k->mutable_valid_from() = ParseTime(a.Get("from"));
    if (a.Has("until")) *k->mutable_valid_until() = ParseTime(a.Get("until"));
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<consent::Consent>();
    status = consents->GrantConsent(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "consent" && verb == "get") {
    consent::GetConsentRequest r;
    r.set_name(name);
    auto out = std::make_unique<consent::Consent>();
    status = consents->GetConsent(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "consent" && verb == "list") {
    consent::ListConsentsRequest r;
    r.set_parent(name);
    if (a.Has("state")) r.set_state(ParseEnum<consent::ConsentState>(a.Get("state"), "CONSENT_STATE_", "state"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<consent::ListConsentsResponse>();
    status = consents->ListConsents(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "consent" && verb == "withdraw") {
    consent::WithdrawConsentRequest r;
    r.set_name(name);
    r.set_withdrawn_by(a.Get("by"));
    r.set_reason(a.Get("reason"));
    auto out = std::make_unique<consent::Consent>();
    status = consents->WithdrawConsent(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "consent" && verb == "history") {
    consent::ListConsentEventsRequest r;
    r.set_parent(name);
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<consent::ListConsentEventsResponse>();
    status = consents->ListConsentEvents(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "access" && verb == "check") {
    consent::CheckAccessRequest r;
    r.set_case_(name);
    r.set_category(ParseEnum<consent::DataCategory>(a.Get("category"), "DATA_CATEGORY_", "data category"));
    r.set_action(ParseEnum<consent::Action>(a.Get("action", "read"), "ACTION_", "action"));
    r.set_purpose(ParseEnum<consent::Purpose>(a.Get("purpose", "care-coordination"), "PURPOSE_", "purpose"));
    auto out = std::make_unique<consent::AccessDecision>();
    status = consents->CheckAccess(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "log" && verb == "case") {
    audit::ListCaseAccessLogRequest r;
    r.set_parent(name);
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<audit::ListAccessLogResponse>();
    status = log->ListCaseAccessLog(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "log" && verb == "search") {
    audit::SearchAccessLogRequest r;
    r.set_organization(a.Get("organization"));
    if (a.Has("decision")) r.set_decision(ParseEnum<consent::Decision>(a.Get("decision"), "DECISION_", "decision"));
    if (a.Has("from")) *r.mutable_start_time() = ParseTime(a.Get("from"));
    if (a.Has("until")) *r.mutable_end_time() = ParseTime(a.Get("until"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<audit::ListAccessLogResponse>();
    status = log->SearchAccessLog(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "plan" && verb == "get") {
    careplan::GetCarePlanRequest r;
    r.set_name(name + "/carePlan");
    auto out = std::make_unique<careplan::CarePlan>();
    status = plans->GetCarePlan(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "plan" && verb == "update") {
    careplan::UpdateCarePlanRequest r;
    r.mutable_care_plan()->set_name(name + "/carePlan");
    r.mutable_care_plan()->set_etag(a.Get("etag"));
    if (a.Has("next-review")) *r.mutable_care_plan()->mutable_next_review_date() = ParseDate(a.Get("next-review"));
    r.mutable_update_mask()->add_paths("next_review_date");
    auto out = std::make_unique<careplan::CarePlan>();
    status = plans->UpdateCarePlan(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "plan" && (verb == "activate" || verb == "hold" || verb == "complete" || verb == "revoke")) {
    careplan::ChangeCarePlanStateRequest r;
    r.set_name(name + "/carePlan");
    r.set_reason(a.Get("reason"));
    r.set_etag(a.Get("etag"));
    auto out = std::make_unique<careplan::CarePlan>();
    if (verb == "activate") status = plans->ActivateCarePlan(&ctx, r, out.get());
    else if (verb == "hold") status = plans->HoldCarePlan(&ctx, r, out.get());
    else if (verb == "complete") status = plans->CompleteCarePlan(&ctx, r, out.get());
    else status = plans->RevokeCarePlan(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "plan" && verb == "history") {
    careplan::ListCarePlanChangesRequest r;
    r.set_parent(name);
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<careplan::ListCarePlanChangesResponse>();
    status = plans->ListCarePlanChanges(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "goal" && verb == "add") {
    careplan::CreateGoalRequest r;
    r.set_parent(name);
    auto* g = r.mutable_goal();
    g->set_statement(a.Get("statement"));
    g->set_life_domain(ParseDomain(a.Get("domain")));
    g->set_held_by(a.Get("held-by"));
    g->set_priority(ParseInt(a.Get("priority", "0")));
    if (a.Has("agreement"))
      g->set_client_agreement(ParseEnum<careplan::ClientAgreement>(a.Get("agreement"), "CLIENT_AGREEMENT_", "agreement"));
    if (a.Has("target")) *g->mutable_target_date() = ParseDate(a.Get("target"));
    if (a.Has("next-evaluation")) *g->mutable_next_evaluation_date() = ParseDate(a.Get("next-evaluation"));
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<careplan::Goal>();
    status = plans->CreateGoal(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "goal" && verb == "get") {
    careplan::GetGoalRequest r;
    r.set_name(name);
    auto out = std::make_unique<careplan::Goal>();
    status = plans->GetGoal(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "goal" && verb == "list") {
    careplan::ListGoalsRequest r;
    r.set_parent(name);
    if (a.Has("domain")) r.set_life_domain(ParseDomain(a.Get("domain")));
    if (a.Has("state")) r.set_state(ParseEnum<careplan::GoalState>(a.Get("state"), "GOAL_STATE_", "goal state"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<careplan::ListGoalsResponse>();
    status = plans->ListGoals(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "goal" && (verb == "accept" || verb == "start" || verb == "hold" || verb == "conclude" ||
                                 verb == "cancel")) {
    careplan::ChangeGoalStateRequest r;
    r.set_name(name);
    r.set_reason(a.Get("reason"));
    r.set_etag(a.Get("etag"));
    if (a.Has("outcome")) r.set_outcome(ParseEnum<careplan::GoalState>(a.Get("outcome"), "GOAL_STATE_", "outcome"));
    auto out = std::make_unique<careplan::Goal>();
    if (verb == "accept") status = plans->AcceptGoal(&ctx, r, out.get());
    else if (verb == "start") status = plans->StartGoal(&ctx, r, out.get());
    else if (verb == "hold") status = plans->HoldGoal(&ctx, r, out.get());
    else if (verb == "conclude") status = plans->ConcludeGoal(&ctx, r, out.get());
    else status = plans->CancelGoal(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "goal" && verb == "disagree") {
    careplan::RecordDisagreementRequest r;
    r.set_goal(name);
    r.set_participant(a.Get("participant"));
    r.set_note(a.Get("note"));
    auto out = std::make_unique<careplan::Goal>();
    status = plans->RecordDisagreement(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "goal" && verb == "overdue") {
    careplan::ListOverdueGoalsRequest r;
    r.set_parent(name);
    auto out = std::make_unique<careplan::ListOverdueGoalsResponse>();
    status = plans->ListOverdueGoals(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "action" && verb == "add") {
    careplan::CreateActionRequest r;
    r.set_parent(name);
    r.mutable_action()->set_goal(a.Get("goal"));
    r.mutable_action()->set_description(a.Get("description"));
    r.mutable_action()->set_responsible(a.Get("responsible"));
    if (a.Has("due")) *r.mutable_action()->mutable_due_date() = ParseDate(a.Get("due"));
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<careplan::Action>();
    status = plans->CreateAction(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "action" && verb == "update") {
    careplan::UpdateActionRequest r;
    auto* act = r.mutable_action();
    act->set_name(name);
    act->set_etag(a.Get("etag"));
    auto* mask = r.mutable_update_mask();
    if (a.Has("status")) {
      act->set_status(ParseEnum<careplan::ActionStatus>(a.Get("status"), "ACTION_STATUS_", "action status"));
      mask->add_paths("status");
    }
    if (a.Has("description")) {
      act->set_description(a.Get("description"));
      mask->add_paths("description");
    }
    if (a.Has("due")) {
      *act->mutable_due_date() = ParseDate(a.Get("due"));
      mask->add_paths("due_date");
    }
    auto out = std::make_unique<careplan::Action>();
    status = plans->UpdateAction(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "evaluation" && verb == "add") {
    careplan::RecordEvaluationRequest r;
    r.set_parent(name);
    auto* e = r.mutable_evaluation();
    e->set_goal(a.Get("goal"));
    if (a.Has("date")) {
      *e->mutable_evaluation_date() = ParseDate(a.Get("date"));
    } else {  // today (UTC)
      const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
      e->mutable_evaluation_date()->set_year(static_cast<int>(today.year()));
      e->mutable_evaluation_date()->set_month(static_cast<int>(static_cast<unsigned>(today.month())));
      e->mutable_evaluation_date()->set_day(static_cast<int>(static_cast<unsigned>(today.day())));
    }
    if (a.Has("referral")) {
      e->set_kind(careplan::EVALUATION_KIND_REFERRAL_OUTCOME);
      e->set_referral(a.Get("referral"));
    }
    if (a.Has("client-score") || !a.Has("referral"))
      e->mutable_client_rating()->set_score(ParseInt(a.Get("client-score", "0")));
    e->set_client_note(a.Get("client-note"));
    if (a.Has("professional-score")) e->mutable_professional_rating()->set_score(ParseInt(a.Get("professional-score")));
    e->set_professional_note(a.Get("professional-note"));
    if (a.Has("next")) *e->mutable_next_evaluation_date() = ParseDate(a.Get("next"));
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<careplan::Evaluation>();
    status = plans->RecordEvaluation(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "evaluation" && verb == "list") {
    careplan::ListEvaluationsRequest r;
    r.set_goal(name);
    auto out = std::make_unique<careplan::ListEvaluationsResponse>();
    status = plans->ListEvaluations(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "propose") {
    agreements::ProposeAgreementRequest r;
    r.set_parent(name);
    agreement_content(r.mutable_content());
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<agreements::Agreement>();
    status = deals->ProposeAgreement(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "get") {
    agreements::GetAgreementRequest r;
    r.set_name(name);
    auto out = std::make_unique<agreements::Agreement>();
    status = deals->GetAgreement(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "versions") {
    agreements::ListAgreementVersionsRequest r;
    r.set_name(name);
    auto out = std::make_unique<agreements::ListAgreementVersionsResponse>();
    status = deals->ListAgreementVersions(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "list") {
    agreements::ListAgreementsRequest r;
    r.set_parent(name);
    if (a.Has("status"))
      r.set_status(ParseEnum<agreements::AgreementStatus>(a.Get("status"), "AGREEMENT_STATUS_", "agreement status"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<agreements::ListAgreementsResponse>();
    status = deals->ListAgreements(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "respond") {
    agreements::RespondToAgreementRequest r;
    r.set_name(name);
    r.set_version(ParseInt(a.Get("version", "0")));
    *r.mutable_party() = party(a.Get("party"));
    r.set_answer(ParseEnum<agreements::Answer>(a.Get("answer"), "ANSWER_", "answer"));
    r.set_comment(a.Get("comment"));
    auto out = std::make_unique<agreements::Agreement>();
    status = deals->RespondToAgreement(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "withdraw") {
    agreements::WithdrawAcceptanceRequest r;
    r.set_name(name);
    r.set_version(ParseInt(a.Get("version", "0")));
    *r.mutable_party() = party(a.Get("party"));
    r.set_reason(a.Get("reason"));
    auto out = std::make_unique<agreements::Agreement>();
    status = deals->WithdrawAcceptance(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "amend") {
    agreements::AmendAgreementRequest r;
    r.set_name(name);
    agreement_content(r.mutable_content());
    r.set_etag(a.Get("etag"));
    auto out = std::make_unique<agreements::Agreement>();
    status = deals->AmendAgreement(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "end") {
    agreements::EndAgreementRequest r;
    r.set_name(name);
    r.set_reason(a.Get("reason"));
    r.set_etag(a.Get("etag"));
    auto out = std::make_unique<agreements::Agreement>();
    status = deals->EndAgreement(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "awaiting") {
    agreements::ListAwaitingAnswerRequest r;
    r.set_parent(name);
    auto out = std::make_unique<agreements::ListAgreementsResponse>();
    status = deals->ListAwaitingAnswer(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "changes") {
    agreements::ListAgreementChangesRequest r;
    r.set_parent(name);
    r.set_after_cursor(a.Get("after-cursor"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<agreements::ListAgreementChangesResponse>();
    status = deals->ListAgreementChanges(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "feed" && verb == "changes") {
    feed::ListChangesRequest r;
    r.set_parent(name);
    r.set_after_cursor(a.Get("after-cursor"));
    r.set_case_(a.Get("case"));
    for (const auto& k : a.All("kind")) r.add_kinds(ParseEnum<feed::ChangeKind>(k, "CHANGE_KIND_", "kind of change"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<feed::ListChangesResponse>();
    status = changes->ListChanges(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "socialmap" && verb == "create") {
    socialmap::CreateServiceRequest r;
    r.set_parent(name);
    service_fields(r.mutable_service(), nullptr);
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<socialmap::Service>();
    status = map->CreateService(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "socialmap" && verb == "get") {
    socialmap::GetServiceRequest r;
    r.set_name(name);
    auto out = std::make_unique<socialmap::Service>();
    status = map->GetService(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "socialmap" && verb == "list") {
    socialmap::ListServicesRequest r;
    r.set_parent(name);
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<socialmap::ListServicesResponse>();
    status = map->ListServices(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "socialmap" && verb == "update") {
    socialmap::UpdateServiceRequest r;
    r.mutable_service()->set_name(name);
    service_fields(r.mutable_service(), r.mutable_update_mask());
    auto out = std::make_unique<socialmap::Service>();
    status = map->UpdateService(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "socialmap" && verb == "confirm") {
    socialmap::ConfirmServiceRequest r;
    r.set_name(name);
    r.set_etag(a.Get("etag"));
    auto out = std::make_unique<socialmap::Service>();
    status = map->ConfirmService(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "socialmap" && verb == "export") {
    // Every page, printed as one JSON array: what `socialmap import` and other HSDS tools read.
    socialmap::ExportServicesRequest r;
    r.set_parent(name);
    r.set_page_size(500);
    std::string all = "[";
    for (;;) {
      grpc::ClientContext page_ctx;
      if (!token.empty()) page_ctx.AddMetadata("authorization", "Bearer " + token);
      socialmap::ExportServicesResponse page;
      status = map->ExportServices(&page_ctx, r, &page);
      if (!status.ok()) return Fail(status);
      const std::string items = page.hsds_json().substr(1, page.hsds_json().size() - 2);  // without [ ]
      if (!items.empty()) all += (all.size() > 1 ? "," : "") + items;
      if (page.next_page_token().empty()) break;
      r.set_page_token(page.next_page_token());
    }
    std::cout << all << "]\n";
    return 0;
  } else if (group == "socialmap" && verb == "import") {
    socialmap::ImportServicesRequest r;
    r.set_parent(name);
    if (!a.Has("file")) Usage("socialmap import needs --file F");
    r.set_hsds_json(ReadFile(a.Get("file")));
    auto out = std::make_unique<socialmap::ImportServicesResponse>();
    status = map->ImportServices(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "zone" && verb == "create") {
    socialmap::CreateZoneRequest r;
    r.set_zone_id(name);
    r.mutable_zone()->set_display_name(a.Get("name"));
    for (const auto& code : a.All("postal-code")) r.mutable_zone()->add_postal_codes(code);
    auto out = std::make_unique<socialmap::Zone>();
    status = map->CreateZone(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "zone" && verb == "get") {
    socialmap::GetZoneRequest r;
    r.set_name(name);
    auto out = std::make_unique<socialmap::Zone>();
    status = map->GetZone(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "zone" && verb == "list") {
    socialmap::ListZonesRequest r;
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<socialmap::ListZonesResponse>();
    status = map->ListZones(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "zone" && verb == "update") {
    socialmap::UpdateZoneRequest r;
    r.mutable_zone()->set_name(name);
    if (a.Has("name")) {
      r.mutable_zone()->set_display_name(a.Get("name"));
      r.mutable_update_mask()->add_paths("display_name");
    }
    if (a.Has("postal-code")) {
      for (const auto& code : a.All("postal-code")) r.mutable_zone()->add_postal_codes(code);
      r.mutable_update_mask()->add_paths("postal_codes");
    }
    r.mutable_zone()->set_etag(a.Get("etag"));
    auto out = std::make_unique<socialmap::Zone>();
    status = map->UpdateZone(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "zone" && verb == "matrix") {
    socialmap::GetGapMatrixRequest r;
    r.set_zone(name);
    if (a.Has("quarter")) {
      int year = 0, quarter = 0;
      char end = 0;
      if (std::sscanf(a.Get("quarter").c_str(), "%d-Q%d%c", &year, &quarter, &end) != 2)
        Usage("a quarter is YYYY-QN, e.g. 2026-Q3");
      r.mutable_quarter()->set_year(year);
      r.mutable_quarter()->set_quarter(quarter);
    }
    auto out = std::make_unique<socialmap::GapMatrix>();
    status = map->GetGapMatrix(&ctx, r, out.get());
    if (status.ok() && !json) {
      // Seed 002's table: a row per life domain, a column per age group; "2 (+1)": two active
      // services and one temporarily closed; "-": none, a gap.
      std::printf("%-28s %-10s %-10s %-10s\n", "", "0-17", "18-64", "65+");
      for (int i = 0; i < out->cells_size(); i += 3) {
        std::printf("%-28s", Slug(kruispunt::type::v1::LifeDomain_Name(out->cells(i).life_domain()), "LIFE_DOMAIN_").c_str());
        for (int g = 0; g < 3 && i + g < out->cells_size(); ++g) {
          const auto& cell = out->cells(i + g);
          std::string text = cell.active_services() ? std::to_string(cell.active_services()) : "-";
          if (cell.temporarily_closed_services()) text += " (+" + std::to_string(cell.temporarily_closed_services()) + ")";
          std::printf(" %-10s", text.c_str());
        }
        std::printf("\n");
      }
      // The demand: "12: 3/2/1" is 12 referrals of which 3 rejected, 2 wait-listed, 1 without any
      // service; "<5": withheld.
      std::printf("\nreferrals sent in %d-Q%d: rejected/wait-listed/no service\n", out->quarter().year(),
                  out->quarter().quarter());
      for (int i = 0; i < out->cells_size(); i += 3) {
        std::printf("%-28s", Slug(kruispunt::type::v1::LifeDomain_Name(out->cells(i).life_domain()), "LIFE_DOMAIN_").c_str());
        for (int g = 0; g < 3 && i + g < out->cells_size(); ++g) {
          const auto& c = out->cells(i + g);
          const std::string text = c.demand_suppressed() ? "<5"
                                                         : std::to_string(c.referrals()) + ": " + std::to_string(c.rejected()) +
                                                               "/" + std::to_string(c.waitlisted()) + "/" +
                                                               std::to_string(c.no_service());
          std::printf(" %-14s", text.c_str());
        }
        std::printf("\n");
      }
      return 0;
    }
    result = std::move(out);
  } else if (group == "socialmap" && verb == "search") {
    socialmap::SearchServicesRequest r;
    if (a.Has("domain")) r.set_life_domain(ParseDomain(a.Get("domain")));
    if (a.Has("age")) r.set_age(ParseInt(a.Get("age")));
    r.set_postal_code(a.Get("postal-code"));
    r.set_language(a.Get("language"));
    r.set_query(a.Get("query"));
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<socialmap::SearchServicesResponse>();
    status = map->SearchServices(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "referral" && verb == "create") {
    referrals::CreateReferralRequest r;
    r.set_parent(name);
    auto* f = r.mutable_referral();
    f->set_service(a.Get("service"));
    f->set_receiving_organization(a.Get("to"));
    if (a.Has("kind")) f->set_kind(ParseEnum<referrals::ReferralKind>(a.Get("kind"), "REFERRAL_KIND_", "referral kind"));
    f->set_question(a.Get("question"));
    if (a.Has("domain")) f->set_life_domain(ParseDomain(a.Get("domain")));
    for (const auto& c : a.All("share"))
      f->add_shared_categories(ParseEnum<consent::DataCategory>(c, "DATA_CATEGORY_", "data category"));
    for (const auto& g : a.All("goal")) f->add_goals(g);
    for (const auto& p : a.All("propose")) f->add_proposed_mandate(ParseEnum<team::Permission>(p, "PERMISSION_", "permission"));
    f->set_answer_within_working_days(ParseInt(a.Get("answer-within", "0")));
    f->set_client_postal_code(a.Get("postal-code"));
    if (a.Has("age-group"))
      f->set_client_age_group(ParseEnum<socialmap::AgeGroup>(a.Get("age-group"), "AGE_GROUP_", "age group"));
    r.set_request_id(a.Get("request-id"));
    auto out = std::make_unique<referrals::Referral>();
    status = referral_stub->CreateReferral(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "referral" && verb == "get") {
    referrals::GetReferralRequest r;
    r.set_name(name);
    auto out = std::make_unique<referrals::Referral>();
    status = referral_stub->GetReferral(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "referral" && (verb == "list" || verb == "incoming")) {
    auto out = std::make_unique<referrals::ListReferralsResponse>();
    if (verb == "list") {
      referrals::ListReferralsRequest r;
      r.set_parent(name);
      r.set_page_size(ParseInt(a.Get("page-size", "0")));
      r.set_page_token(a.Get("page-token"));
      status = referral_stub->ListReferrals(&ctx, r, out.get());
    } else {
      referrals::ListIncomingReferralsRequest r;
      if (!name.empty() && name != "open") Usage("referral incoming takes 'open' or nothing");
      r.set_open_only(name == "open");
      r.set_page_size(ParseInt(a.Get("page-size", "0")));
      r.set_page_token(a.Get("page-token"));
      status = referral_stub->ListIncomingReferrals(&ctx, r, out.get());
    }
    result = std::move(out);
  } else if (group == "referral" && verb == "changes") {
    referrals::ListReferralChangesRequest r;
    r.set_parent(name);
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<referrals::ListReferralChangesResponse>();
    status = referral_stub->ListReferralChanges(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "referral" && verb == "unmet") {
    referrals::RecordUnmetNeedRequest r;
    r.set_parent(name);
    if (a.Has("domain")) r.mutable_unmet_need()->set_life_domain(ParseDomain(a.Get("domain")));
    r.mutable_unmet_need()->set_client_postal_code(a.Get("postal-code"));
    if (a.Has("age-group"))
      r.mutable_unmet_need()->set_client_age_group(ParseEnum<socialmap::AgeGroup>(a.Get("age-group"), "AGE_GROUP_", "age group"));
    auto out = std::make_unique<referrals::UnmetNeed>();
    status = referral_stub->RecordUnmetNeed(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "referral") {
    using Method = grpc::Status (referrals::ReferralService::Stub::*)(grpc::ClientContext*,
                                                                      const referrals::ChangeReferralRequest&,
                                                                      referrals::Referral*);
    using Stub = referrals::ReferralService::Stub;
    const std::map<std::string, Method> methods = {
        {"accept", &Stub::AcceptReferral}, {"waitlist", &Stub::WaitlistReferral}, {"reject", &Stub::RejectReferral},
        {"start", &Stub::StartReferral},   {"complete", &Stub::CompleteReferral}, {"fail", &Stub::FailReferral},
        {"cancel", &Stub::CancelReferral}, {"hold", &Stub::HoldReferral},         {"resume", &Stub::ResumeReferral}};
    const auto method = methods.find(verb);
    if (method == methods.end()) Usage("unknown command 'referral " + verb + "'");
    referrals::ChangeReferralRequest r;
    r.set_name(name);
    r.set_etag(a.Get("etag"));
    r.set_reason(a.Get("reason"));
    if (a.Has("outcome"))
      r.set_outcome(ParseEnum<referrals::ReferralOutcome>(a.Get("outcome"), "REFERRAL_OUTCOME_", "referral outcome"));
    r.set_join_as(a.Get("join-as"));
    auto out = std::make_unique<referrals::Referral>();
    status = ((*referral_stub).*(method->second))(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "log") {
    agreements::ListAgreementLogRequest r;
    r.set_parent(name);
    r.set_page_size(ParseInt(a.Get("page-size", "0")));
    r.set_page_token(a.Get("page-token"));
    auto out = std::make_unique<agreements::ListAgreementLogResponse>();
    status = deals->ListAgreementLog(&ctx, r, out.get());
    result = std::move(out);
  } else if (group == "agreement" && verb == "verify") {
    agreements::VerifyAgreementLogRequest r;
    r.set_parent(name);
    auto out = std::make_unique<agreements::VerifyAgreementLogResponse>();
    status = deals->VerifyAgreementLog(&ctx, r, out.get());
    result = std::move(out);
  } else {
    Usage("unknown command '" + group + " " + verb + "'");
  }
  if (!status.ok()) return Fail(status);
  Print(*result, json);
  return 0;
}
