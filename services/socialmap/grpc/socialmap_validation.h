// Turns SocialMapService requests into validated inputs, collecting every field violation (throws
// kp::Error INVALID_ARGUMENT). Pure: no database, unit-tested directly.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "common/calendar.h"
#include "common/validation.h"
#include "socialmap/repo/service_repository.h"

namespace kp::socialmap {


// A service's fields as stored, each checked, violations named under `prefix` ("service.postal_codes").
// An UNSPECIFIED status is ACTIVE when `creating`, refused otherwise.
ServiceValues ServiceFields(Violations& v, const std::string& prefix, const v1::Service& service, bool creating);

struct NewService {
  std::string org_id;
  ServiceValues values;
  std::optional<std::string> request_id;
};
NewService ValidateCreate(const v1::CreateServiceRequest& request);

struct ServiceUpdate {
  ServiceKey key;
  google::protobuf::FieldMask mask;  // the fields to take from the request ("*" expanded)
  std::optional<int> etag;
};
// The update's name, mask and etag; the new values are checked once applied (UpdatedFields).
ServiceUpdate ValidateUpdate(const v1::UpdateServiceRequest& request);
// The current service with the update's fields applied, checked as a whole.
ServiceValues UpdatedFields(const v1::Service& current, const v1::UpdateServiceRequest& request,
                            const ServiceUpdate& update);

// A search's filters: the keys every match carries, the age, the free text (nullopt: none); and the
// filters as text, to bind a page token to them.
struct SearchFilters {
  std::string keys;
  std::optional<int> age;
  std::optional<std::string> text;
  std::string canonical;
};
SearchFilters ValidateSearch(const v1::SearchServicesRequest& request);

// Zones: "zones/{zone_id}" -> the id, or INVALID_ARGUMENT on `field`.
std::string RequireZoneName(const std::string& name, std::string_view field);
struct NewZone {
  std::string zone_id, display_name, postal_codes;  // postal codes as a SQL array literal
};
NewZone ValidateCreateZone(const v1::CreateZoneRequest& request);
struct ZoneUpdate {
  std::string zone_id;
  std::optional<std::string> display_name, postal_codes;  // nullopt: unchanged
  std::optional<int> etag;
};
ZoneUpdate ValidateUpdateZone(const v1::UpdateZoneRequest& request);

// GetGapMatrix: the zone, and the quarter its demand counts: the one asked, if it has ended at
// `now`, or else the last one that has.
struct GapMatrixQuery {
  std::string zone_id;
  Quarter quarter;
};
GapMatrixQuery ValidateGapMatrix(const v1::GetGapMatrixRequest& request, std::chrono::system_clock::time_point now);

// An ISO 639 language code in lower case: two or three letters.
bool IsLanguageCode(std::string_view code);

}  // namespace kp::socialmap
