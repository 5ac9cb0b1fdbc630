// Request validation helpers: collect every field violation of a request, then throw once.
#pragma once

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/repeated_field.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/errors.h"
#include "kruispunt/type/v1/date.pb.h"

namespace kp {

class Violations {
 public:
  // At most this many violations are kept, so that the answer to a request full of mistakes stays
  // small.
  static constexpr std::size_t kMax = 50;

  // Adds a violation, unless the same one is there already: a mistake made in every item of a
  // long list is reported once.
  void Add(std::string field, std::string description);
  // A list field of at most `max` items, e.g. ("content.goals", n, 50, "goals").
  void AtMost(std::string_view field, int count, int max, std::string_view items);
  bool empty() const { return items_.empty(); }
  // Throws Error::InvalidArgument with all violations, if there are any.
  void ThrowIfAny() const;

  // Free text as people write it: valid UTF-8 (any language), no NUL or other control characters
  // except newline and tab (multiline only), between min and max characters (code points).
  void Text(std::string_view field, std::string_view value, std::size_t min_chars,
            std::size_t max_chars, bool multiline = false);
  // A canonical lower-case UUID string.
  void Uuid(std::string_view field, std::string_view value, bool required);

 private:
  std::vector<FieldViolation> items_;
};

// A google.protobuf.Timestamp as microseconds since the epoch, when it is one (seconds within
// 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z, nanos within 0..999,999,999, as its definition
// requires); else a violation on `field` and nullopt. Every timestamp a request carries goes
// through here before it reaches the database.
std::optional<int64_t> TimeMicros(Violations& v, std::string_view field, const google::protobuf::Timestamp& ts);
// The first and the last microsecond TimeMicros accepts: the open ends of a time window.
inline constexpr int64_t kFirstMicros = -62135596800LL * 1000000;
inline constexpr int64_t kLastMicros = 253402300800LL * 1000000 - 1;

// A request's optional time window: start_time (inclusive) and end_time (exclusive), each a
// TimeMicros timestamp when set, the end after the start. Any request with those two fields.
struct TimeWindow {
  std::optional<int64_t> start_micros, end_micros;  // nullopt: open on that side
};
template <class Request>
TimeWindow ParseTimeWindow(Violations& v, const Request& request) {
  TimeWindow window;
  if (request.has_start_time()) window.start_micros = TimeMicros(v, "start_time", request.start_time());
  if (request.has_end_time()) window.end_micros = TimeMicros(v, "end_time", request.end_time());
  if (window.start_micros && window.end_micros && *window.end_micros <= *window.start_micros)
    v.Add("end_time", "must be after start_time");
  return window;
}

// Number of code points in valid UTF-8, or nullopt if the bytes are not valid UTF-8.
std::optional<std::size_t> Utf8Length(std::string_view text);

bool IsUuid(std::string_view value);

// "cases/3f2a..." -> the UUID, when name has the collection prefix and a valid UUID; else nullopt.
std::optional<std::string> ParseResourceName(std::string_view name, std::string_view collection);

// AIP-158 page size: 0 -> default, above max -> max, negative -> INVALID_ARGUMENT.
int NormalizePageSize(Violations& v, std::string_view field, int32_t requested, int default_size = 50,
                      int max_size = 500);

bool IsEmail(const std::string& email);
// Digits with an optional leading '+' and separators: 6 to 15 digits.
bool IsPhone(const std::string& phone);

// Contact details (any message with email, phone, street, postal_code and city) under `prefix`.
template <class Contact>
void CheckContact(Violations& v, std::string_view prefix, const Contact& contact) {
  const std::string p(prefix);
  if (!contact.email().empty() && (contact.email().size() > 254 || !IsEmail(contact.email())))
    v.Add(p + ".email", "must be an e-mail address");
  if (!contact.phone().empty() && !IsPhone(contact.phone()))
    v.Add(p + ".phone", "must be 6 to 15 digits, optionally with a leading + and separators");
  v.Text(p + ".street", contact.street(), 0, 200);
  v.Text(p + ".postal_code", contact.postal_code(), 0, 16);
  v.Text(p + ".city", contact.city(), 0, 100);
}

// Contact details as stored: every field a string, "" when not given.
struct ContactValues {
  std::string email, phone, street, postal_code, city;
};
template <class Contact>
ContactValues ContactOf(const Contact& c) {
  return {c.email(), c.phone(), c.street(), c.postal_code(), c.city()};
}

// Contact fields to change; a field left nullopt keeps its value.
struct ContactChanges {
  std::optional<std::string> email, phone, street, postal_code, city;
};

// An update mask with "contact" replaced by each contact field ("contact.email", ...).
google::protobuf::FieldMask ExpandContactPaths(const google::protobuf::FieldMask& mask);
// The paths of the contact fields, for the allowed set of an update mask.
const std::set<std::string>& ContactPaths();

// The contact fields the (expanded) mask paths name, checked when any is named.
template <class Contact>
ContactChanges ContactUpdate(Violations& v, std::string_view prefix, const std::set<std::string>& paths,
                             const Contact& c) {
  ContactChanges ch;
  if (paths.count("contact.email")) ch.email = c.email();
  if (paths.count("contact.phone")) ch.phone = c.phone();
  if (paths.count("contact.street")) ch.street = c.street();
  if (paths.count("contact.postal_code")) ch.postal_code = c.postal_code();
  if (paths.count("contact.city")) ch.city = c.city();
  if (ch.email || ch.phone || ch.street || ch.postal_code || ch.city) CheckContact(v, prefix, c);
  return ch;
}

// Life domains as a SQL smallint[] literal ("{1,4}"), after checking each is known and appears
// once.
std::string LifeDomains(Violations& v, std::string_view field,
                        const google::protobuf::RepeatedField<int>& domains);

// A calendar date field as ISO text ("2026-11-24"), for a date parameter; nullopt when it is
// absent (a violation when required) or not a calendar date (a violation). ISO dates compare as
// strings.
std::optional<std::string> IsoDate(Violations& v, std::string_view field, bool present,
                                   const kruispunt::type::v1::Date& date, bool required);

// An optional request_id (a UUID) that makes a create idempotent.
std::optional<std::string> RequestId(Violations& v, const std::string& request_id);

// Paths of an update mask, each checked against the allowed set; "*" expands to all of them.
std::set<std::string> MaskPaths(Violations& v, const google::protobuf::FieldMask& mask,
                                const std::set<std::string>& allowed);

// The one rule for etags (AIP-154), on every change of a resource that carries one: an absent etag
// means "whatever the current version"; a given one must be the current version's, else the change
// is ABORTED ETAG_MISMATCH. One this service did not issue is stale too (kNoVersion matches none),
// so a malformed and a stale etag answer alike. "3" -> 3; "" -> nullopt.
inline constexpr int kNoVersion = 0;  // versions start at 1
std::optional<int> ParseEtag(const std::string& etag);

// "cases/{uuid}/{collection}/{uuid}" -> {case id, child id}; nullopt when it is not that.
std::optional<std::pair<std::string, std::string>> ParseChildName(std::string_view name,
                                                                  std::string_view collection);
// The same, or INVALID_ARGUMENT on `field`.
std::pair<std::string, std::string> RequireChildName(const std::string& name, std::string_view collection,
                                                     std::string_view field);

// An organisation's resource name: "organizations/{id}" (the id is its tokens' "org" claim).
std::string OrganizationName(std::string_view org_id);
// "organizations/{id}" -> the id (1..64 of [A-Za-z0-9._:-]); nullopt when it is not that.
std::optional<std::string> ParseOrganizationName(std::string_view name);
// The same, or INVALID_ARGUMENT on `field`.
std::string RequireOrganizationName(const std::string& name, std::string_view field);

// A Belgian postal code: four digits, not starting with 0.
bool IsPostalCode(std::string_view code);

// A service on the social map: "organizations/{org}/services/{uuid}" (SocialMapService's, and a
// referral's).
struct ServiceKey {
  std::string org_id, service_id;
};
std::optional<ServiceKey> ParseServiceName(std::string_view name);
// The same, or INVALID_ARGUMENT on `field`.
ServiceKey RequireServiceName(const std::string& name, std::string_view field);

// "cases/{uuid}" -> uuid, or INVALID_ARGUMENT on `field`.
std::string RequireName(const std::string& name, std::string_view collection, std::string_view field);

// The case ids of an internal read of a service's history in commit order (the change feed's
// ReadLogChanges, ReadPlanChanges, ReadConsentChanges, ReadTeamChanges), its limit checked: 1 to 1000.
template <class Request>
std::vector<std::string> HistoryReadCaseIds(const Request& request) {
  std::vector<std::string> case_ids;
  for (const auto& name : request.cases()) case_ids.push_back(RequireName(name, "cases", "cases"));
  if (request.limit() < 1 || request.limit() > 1000) throw Error::InvalidArgument({{"limit", "is from 1 to 1000"}});
  return case_ids;
}

}  // namespace kp
