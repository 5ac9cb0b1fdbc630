#include "common/validation.h"

#include <cctype>
#include <charconv>
#include <chrono>

#include "common/auth.h"
#include "common/calendar.h"
#include "kruispunt/type/v1/life_domain.pb.h"

namespace kp {

void Violations::Add(std::string field, std::string description) {
  if (items_.size() >= kMax) return;
  for (const auto& item : items_)
    if (item.field == field && item.description == description) return;
  items_.push_back({std::move(field), std::move(description)});
}

void Violations::AtMost(std::string_view field, int count, int max, std::string_view items) {
  if (count > max) Add(std::string(field), "names more than " + std::to_string(max) + " " + std::string(items));
}

void Violations::ThrowIfAny() const {
  if (!items_.empty()) throw Error::InvalidArgument(items_);
}

std::optional<std::size_t> Utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra;
    uint32_t cp;
    if (c < 0x80) { extra = 0; cp = c; }
    else if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; }
    else return std::nullopt;
    if (i + extra >= text.size() && extra > 0) return std::nullopt;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += extra + 1;
    ++count;
  }
  return count;
}

void Violations::Text(std::string_view field, std::string_view value, std::size_t min_chars,
                      std::size_t max_chars, bool multiline) {
  const auto length = Utf8Length(value);
  if (!length) {
    Add(std::string(field), "must be valid UTF-8");
    return;
  }
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7F) {
      Add(std::string(field), "must not contain control characters");
      return;
    }
  }
  if (*length < min_chars) {
    Add(std::string(field), min_chars == 1 ? "is required"
                                           : "must have at least " + std::to_string(min_chars) +
                                                 " characters");
  } else if (*length > max_chars) {
    Add(std::string(field), "must have at most " + std::to_string(max_chars) + " characters");
  }
}

bool IsUuid(std::string_view value) {
  if (value.size() != 36) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

void Violations::Uuid(std::string_view field, std::string_view value, bool required) {
  if (value.empty()) {
    if (required) Add(std::string(field), "is required");
  } else if (!IsUuid(value)) {
    Add(std::string(field), "must be a lower-case UUID (8-4-4-4-12 hex digits)");
  }
}

std::optional<std::string> ParseResourceName(std::string_view name, std::string_view collection) {
  if (name.size() <= collection.size() + 1 || name.substr(0, collection.size()) != collection ||
      name[collection.size()] != '/')
    return std::nullopt;
  auto id = name.substr(collection.size() + 1);
  if (!IsUuid(id)) return std::nullopt;
  return std::string(id);
}

int NormalizePageSize(Violations& v, std::string_view field, int32_t requested, int default_size,
                      int max_size) {
  if (requested < 0) {
    v.Add(std::string(field), "must not be negative");
    return default_size;
  }
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

bool IsEmail(const std::string& email) {
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= email.size() ||
      email.find('@', at + 1) != std::string::npos || email.find('.', at) == std::string::npos)
    return false;
  for (char c : email)
    if (static_cast<unsigned char>(c) <= ' ') return false;
  return true;
}

bool IsPhone(const std::string& phone) {
  int digits = 0;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (c >= '0' && c <= '9') ++digits;
    else if (!(c == ' ' || c == '.' || c == '/' || c == '-' || (c == '+' && i == 0))) return false;
  }
  return digits >= 6 && digits <= 15;
}


std::string LifeDomains(Violations& v, std::string_view field,
                        const google::protobuf::RepeatedField<int>& domains) {
  std::set<int> seen;
  std::string literal = "{";
  for (int domain : domains) {
    if (domain == 0 || !kruispunt::type::v1::LifeDomain_IsValid(domain)) {
      v.Add(std::string(field), "contains an unknown life domain");
      continue;
    }
    if (!seen.insert(domain).second) {
      v.Add(std::string(field), "contains a life domain twice");
      continue;
    }
    if (literal.size() > 1) literal += ",";
    literal += std::to_string(domain);
  }
  return literal + "}";
}

std::optional<std::string> RequestId(Violations& v, const std::string& request_id) {
  v.Uuid("request_id", request_id, false);
  if (request_id.empty()) return std::nullopt;
  return request_id;
}

std::set<std::string> MaskPaths(Violations& v, const google::protobuf::FieldMask& mask,
                                const std::set<std::string>& allowed) {
  std::set<std::string> paths;
  if (mask.paths_size() == 0) v.Add("update_mask", "is required: name the fields to update");
  for (const auto& path : mask.paths()) {
    if (path == "*") {
      paths.insert(allowed.begin(), allowed.end());
    } else if (allowed.count(path)) {
      paths.insert(path);
    } else {
      v.Add("update_mask", "cannot update '" + path + "'");
    }
  }
  return paths;
}


google::protobuf::FieldMask ExpandContactPaths(const google::protobuf::FieldMask& mask) {
  google::protobuf::FieldMask expanded;
  for (const auto& path : mask.paths()) {
    if (path != "contact") expanded.add_paths(path);
    else for (const auto& field : ContactPaths()) expanded.add_paths(field);
  }
  return expanded;
}

const std::set<std::string>& ContactPaths() {
  static const std::set<std::string> paths = {"contact.email", "contact.phone", "contact.street",
                                              "contact.postal_code", "contact.city"};
  return paths;
}

std::optional<std::pair<std::string, std::string>> ParseChildName(std::string_view name,
                                                                  std::string_view collection) {
  const std::string marker = "/" + std::string(collection) + "/";
  const auto at = name.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  auto case_id = ParseResourceName(name.substr(0, at), "cases");
  auto child = ParseResourceName(name.substr(at + 1), collection);
  if (!case_id || !child) return std::nullopt;
  return std::make_pair(*case_id, *child);
}

std::pair<std::string, std::string> RequireChildName(const std::string& name, std::string_view collection,
                                                     std::string_view field) {
  auto parsed = ParseChildName(name, collection);
  if (!parsed)
    throw Error::InvalidField(std::string(field), "must be 'cases/{uuid}/" + std::string(collection) + "/{uuid}'");
  return *parsed;
}

std::optional<int> ParseEtag(const std::string& etag) {
  if (etag.empty()) return std::nullopt;
  int version = 0;
  auto [end, ec] = std::from_chars(etag.data(), etag.data() + etag.size(), version);
  if (ec != std::errc() || end != etag.data() + etag.size() || version < 1) return kNoVersion;
  return version;
}

std::string RequireName(const std::string& name, std::string_view collection, std::string_view field) {
  auto id = ParseResourceName(name, collection);
  if (!id)
    throw Error::InvalidField(std::string(field),
                              "must be '" + std::string(collection) + "/{uuid}'");
  return *id;
}

std::string OrganizationName(std::string_view org_id) { return "organizations/" + std::string(org_id); }

std::optional<std::string> ParseOrganizationName(std::string_view name) {
  constexpr std::string_view kPrefix = "organizations/";
  if (name.rfind(kPrefix, 0) != 0 || !IsValidPrincipalId(name.substr(kPrefix.size()))) return std::nullopt;
  return std::string(name.substr(kPrefix.size()));
}

std::string RequireOrganizationName(const std::string& name, std::string_view field) {
  auto id = ParseOrganizationName(name);
  if (!id) throw Error::InvalidField(std::string(field), "must be 'organizations/{id}'");
  return *id;
}

std::optional<std::string> IsoDate(Violations& v, std::string_view field, bool present,
                                   const kruispunt::type::v1::Date& date, bool required) {
  if (!present) {
    if (required) v.Add(std::string(field), "is required");
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(date.year()),
                                        std::chrono::month(static_cast<unsigned>(date.month())),
                                        std::chrono::day(static_cast<unsigned>(date.day()))};
  if (date.year() < 1900 || date.year() > 9999 || date.month() < 1 || date.day() < 1 || !ymd.ok()) {
    v.Add(std::string(field), "is not a calendar date");
    return std::nullopt;
  }
  return IsoText(ymd);
}

std::optional<int64_t> TimeMicros(Violations& v, std::string_view field, const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < kFirstMicros / 1000000 || ts.seconds() > kLastMicros / 1000000 || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    v.Add(std::string(field), "must be a timestamp from 0001-01-01 to 9999-12-31 (nanos 0..999999999)");
    return std::nullopt;
  }
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

bool IsPostalCode(std::string_view code) {
  return code.size() == 4 && code[0] >= '1' && code[0] <= '9' &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<ServiceKey> ParseServiceName(std::string_view name) {
  const auto split = name.find("/services/");
  if (split == std::string_view::npos) return std::nullopt;
  auto org = ParseOrganizationName(name.substr(0, split));
  const auto id = name.substr(split + std::string_view("/services/").size());
  if (!org || !IsUuid(id)) return std::nullopt;
  return ServiceKey{*org, std::string(id)};
}

ServiceKey RequireServiceName(const std::string& name, std::string_view field) {
  auto key = ParseServiceName(name);
  if (!key)
    throw Error::InvalidField(std::string(field), "must be 'organizations/{organization_id}/services/{service_id}'");
  return *key;
}

}  // namespace kp
