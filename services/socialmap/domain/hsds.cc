#include "socialmap/domain/hsds.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "common/calendar.h"
#include "common/sha256.h"
#include "common/validation.h"

namespace kp::socialmap {

namespace {

using nlohmann::json;
using kruispunt::type::v1::LifeDomain;

// Each life domain's name in Dutch, as the seeds and the domain model name them.
const std::array<std::pair<LifeDomain, const char*>, 13> kDomainNames = {{
    {kruispunt::type::v1::LIFE_DOMAIN_FINANCES, "Financiën"},
    {kruispunt::type::v1::LIFE_DOMAIN_HOUSING, "Wonen"},
    {kruispunt::type::v1::LIFE_DOMAIN_PHYSICAL_HEALTH, "Lichamelijke gezondheid"},
    {kruispunt::type::v1::LIFE_DOMAIN_MENTAL_HEALTH, "Psychische gezondheid"},
    {kruispunt::type::v1::LIFE_DOMAIN_DAILY_ACTIVITIES_AND_WORK, "Dagbesteding en werk"},
    {kruispunt::type::v1::LIFE_DOMAIN_SOCIAL_NETWORK, "Sociaal netwerk"},
    {kruispunt::type::v1::LIFE_DOMAIN_ADMINISTRATION_AND_RIGHTS, "Administratie en rechten"},
    {kruispunt::type::v1::LIFE_DOMAIN_SAFETY, "Veiligheid"},
    {kruispunt::type::v1::LIFE_DOMAIN_MOBILITY, "Mobiliteit"},
    {kruispunt::type::v1::LIFE_DOMAIN_MEANING, "Zingeving"},
    {kruispunt::type::v1::LIFE_DOMAIN_ADDICTION, "Verslaving"},
    {kruispunt::type::v1::LIFE_DOMAIN_EDUCATION, "Onderwijs"},
    {kruispunt::type::v1::LIFE_DOMAIN_PSYCHOSOCIAL_SUPPORT, "Psychosociale ondersteuning"},
}};

// "finances", "daily-activities-and-work": the enum's name, as the CLI spells it.
std::string DomainCode(LifeDomain domain) {
  std::string code = kruispunt::type::v1::LifeDomain_Name(domain).substr(std::string_view("LIFE_DOMAIN_").size());
  for (auto& c : code) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return code;
}

const char* DomainName(LifeDomain domain) {
  for (const auto& [d, name] : kDomainNames)
    if (d == domain) return name;
  return "";
}

std::string StatusText(v1::ServiceStatus status) {
  switch (status) {
    case v1::SERVICE_STATUS_TEMPORARILY_CLOSED: return "temporarily closed";
    case v1::SERVICE_STATUS_INACTIVE: return "inactive";
    default: return "active";
  }
}

// Reads one HSDS object's fields, naming a violation by where it is.
class Reader {
 public:
  Reader(Violations& v, const json& object, std::string path) : v_(v), o_(object), path_(std::move(path)) {}

  // A string field; "" when absent or null.
  std::string Text(const char* key, bool required = false) {
    const auto it = o_.find(key);
    if (it == o_.end() || it->is_null()) {
      if (required) v_.Add(path_ + "." + key, "is required");
      return "";
    }
    if (!it->is_string()) {
      v_.Add(path_ + "." + key, "must be a string");
      return "";
    }
    return it->get<std::string>();
  }
  // A whole number field; 0 when absent or null.
  int Number(const char* key) {
    const auto it = o_.find(key);
    if (it == o_.end() || it->is_null()) return 0;
    // Bounded before it is made an int; the range itself is checked as any create's is.
    const double value = it->is_number() ? it->get<double>() : 0.5;
    if (!(value >= -1000 && value <= 1000) || value != std::floor(value)) {
      v_.Add(path_ + "." + key, "must be a whole number");
      return 0;
    }
    return static_cast<int>(value);
  }
  // Each object of an array field (absent or null: none).
  template <class Fn>
  void Each(const char* key, Fn fn) {
    const auto it = o_.find(key);
    if (it == o_.end() || it->is_null()) return;
    if (!it->is_array()) {
      v_.Add(path_ + "." + key, "must be an array");
      return;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string path = path_ + "." + key + "[" + std::to_string(i) + "]";
      if (!(*it)[i].is_object()) v_.Add(path, "must be an object");
      else fn(Reader(v_, (*it)[i], path));
    }
  }
  // An object field (absent or null: none).
  template <class Fn>
  void Object(const char* key, Fn fn) {
    const auto it = o_.find(key);
    if (it == o_.end() || it->is_null()) return;
    if (!it->is_object()) v_.Add(path_ + "." + key, "must be an object");
    else fn(Reader(v_, *it, path_ + "." + key));
  }
  const std::string& path() const { return path_; }

 private:
  Violations& v_;
  const json& o_;
  std::string path_;
};

}  // namespace

std::string DerivedUuid(std::string_view kind, std::string_view key) {
  std::string hex = Sha256Hex(std::string(kind) + "\n" + std::string(key)).substr(0, 32);
  hex[12] = '8';                                               // version 8
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];  // variant 10
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

std::string ProvinceOf(std::string_view postal_code) {
  if (!IsPostalCode(postal_code)) return "";
  const int code = std::stoi(std::string(postal_code));
  if (code < 1300) return "Brussel";
  if (code < 1500) return "Waals-Brabant";
  if (code < 2000) return "Vlaams-Brabant";
  if (code < 3000) return "Antwerpen";
  if (code < 3500) return "Vlaams-Brabant";
  if (code < 4000) return "Limburg";
  if (code < 5000) return "Luik";
  if (code < 6000) return "Namen";
  if (code < 6600) return "Henegouwen";
  if (code < 7000) return "Luxemburg";
  if (code < 8000) return "Henegouwen";
  if (code < 9000) return "West-Vlaanderen";
  return "Oost-Vlaanderen";
}

json ToHsds(const v1::Service& s, const std::string& service_id, const std::string& org_id, const std::string& org_name) {
  const std::string org_uuid = DerivedUuid("organization", org_id);
  json out = {{"id", service_id},
              {"organization_id", org_uuid},
              {"organization", {{"id", org_uuid}, {"name", org_name}, {"description", ""}}},
              {"name", s.display_name()},
              {"description", s.description()},
              {"url", s.website()},
              {"email", s.email()},
              {"status", StatusText(s.status())},
              {"eligibility_description", s.eligibility()},
              {"minimum_age", s.minimum_age()},
              {"application_process", s.how_to_apply()},
              {"fees_description", s.cost()},
              {"assured_date", IsoText(BelgianDate(std::chrono::system_clock::time_point(
                                                std::chrono::seconds(s.assure_time().seconds()))))}};
  if (s.maximum_age() != 0) out["maximum_age"] = s.maximum_age();
  out["phones"] = json::array();
  if (!s.phone().empty()) out["phones"].push_back({{"id", DerivedUuid("phone", service_id)}, {"number", s.phone()}});
  out["languages"] = json::array();
  for (const auto& code : s.languages())
    out["languages"].push_back({{"id", DerivedUuid("language", service_id + "/" + code)}, {"code", code}});
  out["service_areas"] = json::array();
  for (const auto& code : s.postal_codes())
    out["service_areas"].push_back({{"id", DerivedUuid("service_area", service_id + "/" + code)},
                                    {"service_id", service_id},
                                    {"name", code},
                                    {"extent", code},
                                    {"extent_type", "text"}});
  out["service_at_locations"] = json::array();
  for (int i = 0; i < s.locations_size(); ++i) {
    const auto& place = s.locations(i);
    const std::string key = service_id + "/" + std::to_string(i);
    out["service_at_locations"].push_back(
        {{"id", DerivedUuid("service_at_location", key)},
         {"service_id", service_id},
         {"location",
          {{"id", DerivedUuid("location", key)},
           {"location_type", "physical"},
           {"name", place.description()},
           {"addresses", json::array({{{"id", DerivedUuid("address", key)},
                                       {"address_1", place.street()},
                                       {"city", place.city()},
                                       {"state_province", ProvinceOf(place.postal_code())},
                                       {"postal_code", place.postal_code()},
                                       {"country", "BE"},
                                       {"address_type", "physical"}}})}}}});
  }
  out["attributes"] = json::array();
  for (int domain : s.life_domains()) {
    const auto d = static_cast<LifeDomain>(domain);
    const std::string code = DomainCode(d);
    out["attributes"].push_back(
        {{"id", DerivedUuid("attribute", service_id + "/" + code)},
         {"link_id", service_id},
         {"link_entity", "service"},
         {"link_type", "life_domain"},
         {"taxonomy_term_id", DerivedUuid("taxonomy_term", code)},
         {"taxonomy_term",
          {{"id", DerivedUuid("taxonomy_term", code)},
           {"code", code},
           {"name", DomainName(d)},
           {"description", std::string("Levensdomein: ") + DomainName(d)},
           {"taxonomy", kLifeDomainTaxonomy}}}});
  }
  return out;
}

std::vector<Imported> FromHsds(Violations& v, const json& services) {
  std::vector<Imported> out;
  if (!services.is_array()) {
    v.Add("hsds_json", "must be a JSON array of HSDS 3 service objects");
    return out;
  }
  for (std::size_t i = 0; i < services.size(); ++i) {
    const std::string path = "services[" + std::to_string(i) + "]";
    if (!services[i].is_object()) {
      v.Add(path, "must be an object");
      continue;
    }
    Reader r(v, services[i], path);
    Imported item;
    auto& s = item.service;
    item.service_id = r.Text("id", true);
    if (!item.service_id.empty() && !IsUuid(item.service_id)) v.Add(path + ".id", "must be a UUID in lower case");
    s.set_display_name(r.Text("name", true));
    const std::string status = r.Text("status", true);
    if (status == "active") s.set_status(v1::SERVICE_STATUS_ACTIVE);
    else if (status == "temporarily closed") s.set_status(v1::SERVICE_STATUS_TEMPORARILY_CLOSED);
    else if (status == "inactive" || status == "defunct") s.set_status(v1::SERVICE_STATUS_INACTIVE);
    else if (!status.empty()) v.Add(path + ".status", "must be active, temporarily closed, inactive or defunct");
    s.set_description(r.Text("description"));
    s.set_website(r.Text("url"));
    s.set_email(r.Text("email"));
    s.set_eligibility(r.Text("eligibility_description"));
    s.set_how_to_apply(r.Text("application_process"));
    s.set_cost(r.Text("fees_description"));
    s.set_minimum_age(r.Number("minimum_age"));
    s.set_maximum_age(r.Number("maximum_age"));
    r.Each("phones", [&](Reader phone) {
      if (s.phone().empty()) s.set_phone(phone.Text("number", true));
    });
    r.Each("languages", [&](Reader language) { s.add_languages(language.Text("code", true)); });
    r.Each("service_areas", [&](Reader area) {
      s.add_postal_codes(area.Text("extent_type") == "text" ? area.Text("extent") : area.Text("name", true));
    });
    r.Each("service_at_locations", [&](Reader at) {
      at.Object("location", [&](Reader location) {
        auto& place = *s.add_locations();
        place.set_description(location.Text("name"));
        location.Each("addresses", [&](Reader address) {
          if (!place.street().empty() || !place.postal_code().empty() || !place.city().empty()) return;  // the first
          place.set_street(address.Text("address_1"));
          place.set_postal_code(address.Text("postal_code"));
          place.set_city(address.Text("city"));
        });
      });
    });
    r.Each("attributes", [&](Reader attribute) {
      attribute.Object("taxonomy_term", [&](Reader term) {
        if (term.Text("taxonomy") != kLifeDomainTaxonomy) return;  // another taxonomy: not Kruispunt's
        const std::string code = term.Text("code", true);
        for (const auto& [domain, name] : kDomainNames)
          if (DomainCode(domain) == code) {
            s.add_life_domains(domain);
            return;
          }
        v.Add(term.path() + ".code", "is not a life domain of " + std::string(kLifeDomainTaxonomy));
      });
    });
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace kp::socialmap
