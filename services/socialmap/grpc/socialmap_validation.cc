#include "socialmap/grpc/socialmap_validation.h"

#include <google/protobuf/util/field_mask_util.h>

#include <nlohmann/json.hpp>

#include "common/auth.h"
#include "common/pg_values.h"

namespace kp::socialmap {

namespace {

constexpr int kMaxAge = 120;
constexpr int kMaxPostalCodes = 2000;
constexpr int kMaxLocations = 50;
constexpr int kMaxLanguages = 20;

const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> paths = {
      "display_name", "description", "life_domains", "minimum_age", "maximum_age", "eligibility", "postal_codes",
      "locations",    "email",       "phone",        "website",     "how_to_apply", "languages", "cost", "status"};
  return paths;
}

bool IsWebAddress(std::string_view url) {
  const std::size_t scheme = url.starts_with("https://") ? 8 : url.starts_with("http://") ? 7 : 0;
  if (scheme == 0 || url.size() == scheme || url.size() > 500) return false;
  for (unsigned char c : url)
    if (c <= ' ' || c == 0x7f) return false;
  return true;
}

// A list of codes each checked by `valid`, each once, as a SQL array literal.
template <class Valid>
std::string Codes(Violations& v, const std::string& field, const google::protobuf::RepeatedPtrField<std::string>& codes,
                  Valid valid, const char* what) {
  std::set<std::string> seen;
  std::vector<std::string> values;
  for (const auto& code : codes) {
    if (!valid(code)) v.Add(field, std::string("must each be ") + what);
    else if (!seen.insert(code).second) v.Add(field, "names " + code + " twice");
    else values.push_back(code);
  }
  return ArrayLiteral(values);
}

}  // namespace

bool IsLanguageCode(std::string_view code) {
  return (code.size() == 2 || code.size() == 3) &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

ServiceValues ServiceFields(Violations& v, const std::string& prefix, const v1::Service& s, bool creating) {
  const auto field = [&](const char* name) { return prefix + "." + name; };
  ServiceValues out;
  v.Text(field("display_name"), s.display_name(), 1, 200);
  out.display_name = s.display_name();
  v.Text(field("description"), s.description(), 0, 4000, true);
  out.description = s.description();
  if (s.life_domains_size() == 0) v.Add(field("life_domains"), "is required: at least one life domain");
  out.life_domains = LifeDomains(v, field("life_domains"), s.life_domains());
  if (s.minimum_age() < 0 || s.minimum_age() > kMaxAge) v.Add(field("minimum_age"), "is from 0 to 120");
  out.minimum_age = s.minimum_age();
  if (s.maximum_age() < 0 || s.maximum_age() > kMaxAge)
    v.Add(field("maximum_age"), "is from 0 to 120 (0: no upper limit)");
  else if (s.maximum_age() != 0 && s.maximum_age() < s.minimum_age())
    v.Add(field("maximum_age"), "is below minimum_age");
  if (s.maximum_age() != 0) out.maximum_age = s.maximum_age();
  v.Text(field("eligibility"), s.eligibility(), 0, 1000, true);
  out.eligibility = s.eligibility();
  if (s.postal_codes_size() == 0) v.Add(field("postal_codes"), "is required: the area the service serves");
  v.AtMost(field("postal_codes"), s.postal_codes_size(), kMaxPostalCodes, "postal codes");
  out.postal_codes = Codes(v, field("postal_codes"), s.postal_codes(), IsPostalCode, "a Belgian postal code (four digits)");
  v.AtMost(field("locations"), s.locations_size(), kMaxLocations, "locations");
  auto locations = nlohmann::json::array();
  for (const auto& place : s.locations()) {
    v.Text(field("locations.description"), place.description(), 0, 200);
    v.Text(field("locations.street"), place.street(), 0, 200);
    if (!place.postal_code().empty() && !IsPostalCode(place.postal_code()))
      v.Add(field("locations.postal_code"), "must be a Belgian postal code (four digits)");
    v.Text(field("locations.city"), place.city(), 0, 100);
    locations.push_back({{"description", place.description()}, {"street", place.street()},
                         {"postal_code", place.postal_code()}, {"city", place.city()}});
  }
  // dump() throws on invalid UTF-8, which Text() refused above: with any violation, nothing is stored.
  out.locations = v.empty() ? locations.dump() : "[]";
  if (!s.email().empty() && (s.email().size() > 254 || !IsEmail(s.email()))) v.Add(field("email"), "must be an e-mail address");
  out.email = s.email();
  if (!s.phone().empty() && !IsPhone(s.phone()))
    v.Add(field("phone"), "must be 6 to 15 digits, optionally with a leading + and separators");
  out.phone = s.phone();
  if (!s.website().empty() && !IsWebAddress(s.website()))
    v.Add(field("website"), "must be an http or https address of at most 500 characters, without spaces");
  out.website = s.website();
  v.Text(field("how_to_apply"), s.how_to_apply(), 0, 1000, true);
  out.how_to_apply = s.how_to_apply();
  v.AtMost(field("languages"), s.languages_size(), kMaxLanguages, "languages");
  out.languages = Codes(v, field("languages"), s.languages(), IsLanguageCode,
                        "an ISO 639 code in lower case (\"nl\", \"fr\", \"vgt\")");
  v.Text(field("cost"), s.cost(), 0, 500, true);
  out.cost = s.cost();
  if (s.status() == v1::SERVICE_STATUS_UNSPECIFIED && creating) out.status = v1::SERVICE_STATUS_ACTIVE;
  else if (s.status() == v1::SERVICE_STATUS_UNSPECIFIED || !v1::ServiceStatus_IsValid(s.status()))
    v.Add(field("status"), "must be ACTIVE, TEMPORARILY_CLOSED or INACTIVE");
  else out.status = s.status();
  return out;
}

NewService ValidateCreate(const v1::CreateServiceRequest& request) {
  Violations v;
  NewService out;
  if (auto org = ParseOrganizationName(request.parent())) out.org_id = *org;
  else v.Add("parent", "must be 'organizations/{organization_id}'");
  if (!request.has_service()) v.Add("service", "is required");
  out.values = ServiceFields(v, "service", request.service(), true);
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  return out;
}

ServiceUpdate ValidateUpdate(const v1::UpdateServiceRequest& request) {
  Violations v;
  ServiceUpdate out;
  if (auto key = ParseServiceName(request.service().name())) out.key = *key;
  else v.Add("service.name", "must be 'organizations/{organization_id}/services/{service_id}'");
  for (const auto& path : MaskPaths(v, request.update_mask(), UpdatablePaths())) out.mask.add_paths(path);
  out.etag = ParseEtag(request.service().etag());
  v.ThrowIfAny();
  return out;
}

ServiceValues UpdatedFields(const v1::Service& current, const v1::UpdateServiceRequest& request,
                            const ServiceUpdate& update) {
  v1::Service updated = current;
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_repeated_fields(true);  // the new list, not the old one with the new appended
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(request.service(), update.mask, options, &updated);
  Violations v;
  auto values = ServiceFields(v, "service", updated, false);
  v.ThrowIfAny();
  return values;
}

SearchFilters ValidateSearch(const v1::SearchServicesRequest& request) {
  Violations v;
  SearchFilters out;
  std::vector<std::string> keys;
  if (request.life_domain() != 0) {
    if (kruispunt::type::v1::LifeDomain_IsValid(request.life_domain()))
      keys.push_back("d:" + std::to_string(request.life_domain()));
    else v.Add("life_domain", "is not a life domain");
  }
  if (request.has_age()) {
    if (request.age() < 0 || request.age() > kMaxAge) v.Add("age", "is from 0 to 120");
    out.age = request.age();
  }
  if (!request.postal_code().empty()) {
    if (IsPostalCode(request.postal_code())) keys.push_back("p:" + request.postal_code());
    else v.Add("postal_code", "must be a Belgian postal code (four digits)");
  }
  if (!request.language().empty()) {
    if (IsLanguageCode(request.language())) keys.push_back("l:" + request.language());
    else v.Add("language", "must be an ISO 639 code in lower case (\"nl\", \"fr\", \"vgt\")");
  }
  v.Text("query", request.query(), 0, 200);
  if (!request.query().empty()) out.text = request.query();
  v.ThrowIfAny();
  // Only a listed service has keys: 'listed' is asked for only when no filter is, since in an AND
  // its long list of services would be walked for nothing.
  if (keys.empty()) keys.push_back("listed");
  out.keys = ArrayLiteral(keys);
  // The query's own text goes into the page token's fingerprint only as a hash (FilterFingerprint).
  out.canonical = "search|" + out.keys + "|" + (out.age ? std::to_string(*out.age) : "-") + "|" + request.query();
  return out;
}

namespace {

// "zones/{zone_id}" -> the id (1..64 of [A-Za-z0-9._:-]).
std::optional<std::string> ParseZoneName(std::string_view name) {
  const std::string_view prefix = "zones/";
  if (!name.starts_with(prefix) || !IsValidPrincipalId(name.substr(prefix.size()))) return std::nullopt;
  return std::string(name.substr(prefix.size()));
}

constexpr int kMaxZonePostalCodes = 500;

std::string ZonePostalCodes(Violations& v, const v1::Zone& zone) {
  if (zone.postal_codes_size() == 0) v.Add("zone.postal_codes", "is required: the postal codes the zone covers");
  v.AtMost("zone.postal_codes", zone.postal_codes_size(), kMaxZonePostalCodes, "postal codes");
  return Codes(v, "zone.postal_codes", zone.postal_codes(), IsPostalCode, "a Belgian postal code (four digits)");
}

}  // namespace

std::string RequireZoneName(const std::string& name, std::string_view field) {
  auto zone_id = ParseZoneName(name);
  if (!zone_id) throw Error::InvalidField(std::string(field), "must be 'zones/{zone_id}'");
  return *zone_id;
}

GapMatrixQuery ValidateGapMatrix(const v1::GetGapMatrixRequest& request, std::chrono::system_clock::time_point now) {
  Violations v;
  GapMatrixQuery out;
  if (auto zone_id = ParseZoneName(request.zone())) out.zone_id = *zone_id;
  else v.Add("zone", "must be 'zones/{zone_id}'");
  out.quarter = PreviousQuarter(BelgianQuarterOf(now));
  if (request.has_quarter()) {
    const Quarter asked{request.quarter().year(), request.quarter().quarter()};
    if (asked.year < 2000 || asked.year > 2100 || asked.quarter < 1 || asked.quarter > 4)
      v.Add("quarter", "must be a year from 2000 to 2100 and a quarter from 1 to 4");
    else if (QuarterEnd(asked) > now)
      v.Add("quarter", "must have ended (Belgian time): the demand of a quarter still running is not counted");
    else
      out.quarter = asked;
  }
  v.ThrowIfAny();
  return out;
}

NewZone ValidateCreateZone(const v1::CreateZoneRequest& request) {
  Violations v;
  NewZone out;
  if (!IsValidPrincipalId(request.zone_id())) v.Add("zone_id", "must be 1 to 64 of A-Z, a-z, 0-9, '.', '_', ':', '-'");
  out.zone_id = request.zone_id();
  v.Text("zone.display_name", request.zone().display_name(), 1, 200);
  out.display_name = request.zone().display_name();
  out.postal_codes = ZonePostalCodes(v, request.zone());
  v.ThrowIfAny();
  return out;
}

ZoneUpdate ValidateUpdateZone(const v1::UpdateZoneRequest& request) {
  Violations v;
  ZoneUpdate out;
  if (auto zone_id = ParseZoneName(request.zone().name())) out.zone_id = *zone_id;
  else v.Add("zone.name", "must be 'zones/{zone_id}'");
  const auto paths = MaskPaths(v, request.update_mask(), {"display_name", "postal_codes"});
  if (paths.count("display_name")) {
    v.Text("zone.display_name", request.zone().display_name(), 1, 200);
    out.display_name = request.zone().display_name();
  }
  if (paths.count("postal_codes")) out.postal_codes = ZonePostalCodes(v, request.zone());
  out.etag = ParseEtag(request.zone().etag());
  v.ThrowIfAny();
  return out;
}

}  // namespace kp::socialmap
