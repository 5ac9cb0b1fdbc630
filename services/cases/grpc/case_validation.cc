#include "cases/grpc/case_validation.h"

#include <chrono>
#include <set>

#include "cases/domain/insz.h"
#include "common/calendar.h"

namespace kp::cases {

namespace {

constexpr std::size_t kNameMax = 200;
constexpr std::size_t kTitleMax = 200;
constexpr std::size_t kSummaryMax = 4000;
constexpr std::size_t kReasonMax = 1000;

bool IsLanguageTag(const std::string& tag) {
  // BCP 47 in practice: a 2-3 letter language, optional subtags of 2-8 letters or digits.
  if (tag.size() > 35) return false;
  std::size_t start = 0, index = 0;
  while (start <= tag.size()) {
    std::size_t end = tag.find('-', start);
    if (end == std::string::npos) end = tag.size();
    const std::size_t length = end - start;
    if (index == 0 ? (length < 2 || length > 3) : (length < 2 || length > 8)) return false;
    for (std::size_t i = start; i < end; ++i) {
      const char c = tag[i];
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      const bool digit = c >= '0' && c <= '9';
      if (index == 0 ? !letter : !(letter || digit)) return false;
    }
    start = end + 1;
    ++index;
  }
  return true;
}

void CheckLanguage(Violations& v, std::string_view field, const std::string& language) {
  if (!language.empty() && !IsLanguageTag(language))
    v.Add(std::string(field), "must be a BCP 47 language tag such as nl, fr or nl-BE");
}

}  // namespace

std::string RequireInsz(const std::string& insz, std::string_view field) {
  std::string reason;
  auto parsed = ParseInsz(insz, &reason);
  if (!parsed) throw Error::InvalidField(std::string(field), reason);
  return parsed->digits;
}

NewClient ValidateCreateClient(const v1::CreateClientRequest& request, const Identity& caller) {
  Violations v;
  const auto& c = request.client();
  NewClient out;
  out.organization = caller.organization;
  out.created_by = caller.person;
  std::string reason;
  auto insz = ParseInsz(c.insz(), &reason);
  if (c.insz().empty()) v.Add("client.insz", "is required");
  else if (!insz) v.Add("client.insz", reason);
  else out.insz = insz->digits;
  v.Text("client.given_name", c.given_name(), 1, kNameMax);
  v.Text("client.family_name", c.family_name(), 1, kNameMax);
  const auto& bd = c.birth_date();
  if (!c.has_birth_date()) {
    v.Add("client.birth_date", "is required");
  } else if (!IsValidDate(bd.year(), bd.month(), bd.day())) {
    v.Add("client.birth_date", "is not a calendar date");
  } else {
    const std::chrono::year_month_day birth{std::chrono::year(bd.year()),
                                            std::chrono::month(static_cast<unsigned>(bd.month())),
                                            std::chrono::day(static_cast<unsigned>(bd.day()))};
    if (birth > BelgianDate(std::chrono::system_clock::now())) v.Add("client.birth_date", "is in the future");
    else if (insz && !BirthDateMatches(*insz, bd.year(), bd.month(), bd.day()))
      v.Add("client.birth_date", "does not agree with the birth date in the INSZ");
    out.birth_date = IsoText(birth);
  }
  CheckLanguage(v, "client.preferred_language", c.preferred_language());
  CheckContact(v, "client.contact", c.contact());
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  out.given_name = c.given_name();
  out.family_name = c.family_name();
  out.preferred_language = c.preferred_language();
  out.contact = ContactOf(c.contact());
  return out;
}

ClientUpdate ValidateUpdateClient(const v1::UpdateClientRequest& request) {
  const auto& c = request.client();
  ClientUpdate out;
  out.client_id = RequireName(c.name(), "clients", "client.name");
  Violations v;
  std::set<std::string> allowed = {"given_name", "family_name", "preferred_language"};
  allowed.insert(ContactPaths().begin(), ContactPaths().end());
  const auto paths = MaskPaths(v, ExpandContactPaths(request.update_mask()), allowed);
  auto& ch = out.changes;
  if (paths.count("given_name")) {
    v.Text("client.given_name", c.given_name(), 1, kNameMax);
    ch.given_name = c.given_name();
  }
  if (paths.count("family_name")) {
    v.Text("client.family_name", c.family_name(), 1, kNameMax);
    ch.family_name = c.family_name();
  }
  if (paths.count("preferred_language")) {
    CheckLanguage(v, "client.preferred_language", c.preferred_language());
    ch.preferred_language = c.preferred_language();
  }
  ch.contact = ContactUpdate(v, "client.contact", paths, c.contact());
  out.expected_version = ParseEtag(c.etag());
  v.ThrowIfAny();
  return out;
}

NewCase ValidateCreateCase(const v1::CreateCaseRequest& request, const Identity& caller) {
  Violations v;
  const auto& c = request.case_();
  NewCase out;
  out.organization = caller.organization;
  out.created_by = caller.person;
  if (c.client().empty()) {
    v.Add("case.client", "is required");
  } else if (auto id = ParseResourceName(c.client(), "clients")) {
    out.client_id = *id;
  } else {
    v.Add("case.client", "must be 'clients/{uuid}'");
  }
  v.Text("case.title", c.title(), 1, kTitleMax);
  v.Text("case.summary", c.summary(), 0, kSummaryMax, /*multiline=*/true);
  out.life_domains = LifeDomains(v, "case.life_domains", c.life_domains());
  out.request_id = RequestId(v, request.request_id());
  v.ThrowIfAny();
  out.title = c.title();
  out.summary = c.summary();
  return out;
}

CaseUpdate ValidateUpdateCase(const v1::UpdateCaseRequest& request) {
  const auto& c = request.case_();
  CaseUpdate out;
  out.case_id = RequireName(c.name(), "cases", "case.name");
  Violations v;
  auto paths = MaskPaths(v, request.update_mask(), {"title", "summary", "life_domains"});
  if (paths.count("title")) {
    v.Text("case.title", c.title(), 1, kTitleMax);
    out.changes.title = c.title();
  }
  if (paths.count("summary")) {
    v.Text("case.summary", c.summary(), 0, kSummaryMax, true);
    out.changes.summary = c.summary();
  }
  if (paths.count("life_domains"))
    out.changes.life_domains = LifeDomains(v, "case.life_domains", c.life_domains());
  out.expected_version = ParseEtag(c.etag());
  v.ThrowIfAny();
  return out;
}

CaseTransition ValidateTransition(const v1::TransitionCaseRequest& request, Transition transition) {
  CaseTransition out;
  out.case_id = RequireName(request.name(), "cases", "name");
  Violations v;
  const auto rule = RuleFor(transition);
  v.Text("reason", request.reason(), rule.reason_required ? 1 : 0, kReasonMax, true);
  out.expected_version = ParseEtag(request.etag());
  v.ThrowIfAny();
  out.reason = request.reason();
  out.to_state = static_cast<int>(rule.to);
  // A smallint[] literal of single-digit states, e.g. "{1,3}". (Built char by char: GCC 12
  // reports a false -Wrestrict on appending std::to_string here.)
  out.allowed_from.push_back('{');
  for (auto from : {CaseState::kRegistered, CaseState::kActive, CaseState::kSuspended, CaseState::kClosed}) {
    if (!Apply(from, transition)) continue;
    if (out.allowed_from.size() > 1) out.allowed_from.push_back(',');
    out.allowed_from.push_back(static_cast<char>('0' + static_cast<int>(from)));
  }
  out.allowed_from.push_back('}');
  return out;
}

}  // namespace kp::cases
