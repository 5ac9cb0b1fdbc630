// SocialMapService through the gRPC API on PostgreSQL: the scenario's search (debt mediation for
// people over 65 in Maria's postal code), search by each filter and its edges, who may change an
// organisation's services, updates by mask and etag, confirmation, and bad input field by field.
//
// Every test's services carry a word of their own (tag_), and every search asks for it: the
// database is shared with the other tests (and the other deployment's run), whose services would
// otherwise be found too.
#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "integration/harness.h"
#include "team/client/team_client.h"

namespace kp::test {
namespace {

using google::protobuf::util::TimeUtil;
using grpc::StatusCode;
namespace sm = socialmap_v1;
using D = kruispunt::type::v1::LifeDomain;

// A word no other test's services contain: letters only, so that the Dutch stemmer keeps it whole.
std::string UniqueWord() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  std::string word = "kpw";
  for (int i = 0; i < 10; ++i) word += static_cast<char>('b' + random() % 24);
  return word;
}

class SocialMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Harness::Get().ExpectStarted());
    stub_ = SocialMapStub();
    tag_ = UniqueWord();
    caw_ = UniqueOrg("caw", true, team_v1::ORGANIZATION_KIND_CAW);
    caw_token_ = Token(caw_, "caw-pro");
  }

  // A service for the domains and postal codes, with this test's word in its description.
  sm::Service Offer(const std::string& display_name, std::vector<D> domains, std::vector<std::string> postal_codes,
                    int minimum_age = 0, int maximum_age = 0) {
    sm::Service s;
    s.set_display_name(display_name);
    s.set_description("Aanbod " + tag_);
    for (auto d : domains) s.add_life_domains(d);
    for (auto& p : postal_codes) s.add_postal_codes(p);
    s.set_minimum_age(minimum_age);
    s.set_maximum_age(maximum_age);
    return s;
  }

  grpc::Status Create(const std::string& token, const std::string& org, const sm::Service& service, sm::Service* out) {
    sm::CreateServiceRequest request;
    request.set_parent("organizations/" + org);
    *request.mutable_service() = service;
    return stub_->CreateService(Ctx(token).get(), request, out);
  }

  sm::Service MustCreate(const sm::Service& service, const std::string& token = "", const std::string& org = "") {
    sm::Service out;
    const auto status = Create(token.empty() ? caw_token_ : token, org.empty() ? caw_ : org, service, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  // The display names of every service the search finds, read two per page; the query gets this
  // test's word.
  std::vector<std::string> Found(sm::SearchServicesRequest request) {
    request.set_query(request.query().empty() ? tag_ : request.query() + " " + tag_);
    request.set_page_size(2);
    std::vector<std::string> names;
    for (int page = 0; page < 20; ++page) {
      sm::SearchServicesResponse response;
      const auto status = stub_->SearchServices(Ctx(caw_token_).get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const auto& s : response.services()) names.push_back(s.display_name());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  grpc::Status Search(const sm::SearchServicesRequest& request) {
    sm::SearchServicesResponse response;
    return stub_->SearchServices(Ctx(caw_token_).get(), request, &response);
  }

  std::unique_ptr<sm::SocialMapService::Stub> stub_;
  std::string tag_, caw_, caw_token_;
};

sm::SearchServicesRequest Filters(D domain, std::optional<int> age, const std::string& postal_code,
                                  const std::string& language = "", const std::string& query = "") {
  sm::SearchServicesRequest r;
  r.set_life_domain(domain);
  if (age) r.set_age(*age);
  r.set_postal_code(postal_code);
  r.set_language(language);
  r.set_query(query);
  return r;
}

using Names = std::vector<std::string>;

// "organizations/{org}/services/{id}" -> the id.
std::string ParseName(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// The scenario: before the consultation, the coordinator looks up debt mediation for people over
// 65 in Maria's postal code (8200), and finds the CAW's service, not one for young people, not one
// in another area, not one that is no longer offered.
TEST_F(SocialMapTest, TheCoordinatorFindsDebtMediationForMariaInHerPostalCode) {
  auto debt = Offer("Schuldbemiddeling", {D::LIFE_DOMAIN_FINANCES}, {"8000", "8200", "8310"}, 18);
  debt.set_description("Hulp bij schulden en een afbetalingsplan. " + tag_);
  debt.set_eligibility("Inwoners van Brugge met betalingsproblemen");
  debt.add_languages("nl");
  debt.add_languages("fr");
  auto* office = debt.add_locations();
  office->set_description("Onthaal CAW");
  office->set_street("Hauwerstraat 3");
  office->set_postal_code("8000");
  office->set_city("Brugge");
  debt.set_email("onthaal@caw.example");
  debt.set_phone("+32 50 12 34 56");
  debt.set_website("https://caw.example/schuldbemiddeling");
  debt.set_how_to_apply("Bel op weekdagen tussen 9 en 12 uur.");
  debt.set_cost("gratis");
  const auto created = MustCreate(debt);
  EXPECT_TRUE(created.name().starts_with("organizations/" + caw_ + "/services/")) << created.name();
  EXPECT_EQ(created.status(), sm::SERVICE_STATUS_ACTIVE) << "ACTIVE when not set";
  EXPECT_EQ(created.etag(), "1");
  EXPECT_GT(created.assure_time().seconds(), 0);
  EXPECT_EQ(created.changed_by_organization(), "organizations/" + caw_);
  EXPECT_EQ(created.changed_by_person(), "caw-pro");

  MustCreate(Offer("Budgetbegeleiding jongeren", {D::LIFE_DOMAIN_FINANCES}, {"8200"}, 12, 25));
  MustCreate(Offer("Schuldbemiddeling Oostende", {D::LIFE_DOMAIN_FINANCES}, {"8400"}, 18));
  auto ended = Offer("Schuldhulp (gestopt)", {D::LIFE_DOMAIN_FINANCES}, {"8200"});
  ended.set_status(sm::SERVICE_STATUS_INACTIVE);
  MustCreate(ended);
  auto course = Offer("Budgetcursus", {D::LIFE_DOMAIN_FINANCES, D::LIFE_DOMAIN_ADMINISTRATION_AND_RIGHTS}, {"8200"});
  course.set_status(sm::SERVICE_STATUS_TEMPORARILY_CLOSED);
  MustCreate(course);
  const std::string ocmw = UniqueOrg("ocmw", true, team_v1::ORGANIZATION_KIND_OCMW);
  MustCreate(Offer("Woonbegeleiding", {D::LIFE_DOMAIN_HOUSING}, {"8200"}, 18), Token(ocmw), ocmw);

  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_FINANCES, 67, "8200")), (Names{"Budgetcursus", "Schuldbemiddeling"}));
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_FINANCES, 67, "8200", "", "schulden")), Names{"Schuldbemiddeling"})
      << "a word of the description, stemmed and as the start of a word";
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_FINANCES, 67, "8200", "fr")), Names{"Schuldbemiddeling"});
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_UNSPECIFIED, {}, "8200")),
            (Names{"Budgetbegeleiding jongeren", "Budgetcursus", "Schuldbemiddeling", "Woonbegeleiding"}))
      << "every service serving 8200, of every organisation, but not the one that stopped";
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_HOUSING, 67, "8200")), Names{"Woonbegeleiding"});

  // What the coordinator reads is the record as the CAW wrote it, also for another organisation.
  sm::SearchServicesRequest by_word = Filters(D::LIFE_DOMAIN_FINANCES, 67, "8310", "nl", "betalingsproblemen");
  by_word.set_query(by_word.query() + " " + tag_);
  sm::SearchServicesResponse response;
  ASSERT_TRUE(stub_->SearchServices(Ctx(Token(ocmw)).get(), by_word, &response).ok());
  ASSERT_EQ(response.services_size(), 1);
  const auto& found = response.services(0);
  EXPECT_EQ(found.name(), created.name());
  EXPECT_EQ(found.description(), debt.description());
  EXPECT_EQ(found.eligibility(), debt.eligibility());
  ASSERT_EQ(found.locations_size(), 1);
  EXPECT_EQ(found.locations(0).street(), "Hauwerstraat 3");
  EXPECT_EQ(found.locations(0).city(), "Brugge");
  EXPECT_EQ(std::vector<std::string>(found.languages().begin(), found.languages().end()), (Names{"nl", "fr"}));
  EXPECT_EQ(std::vector<std::string>(found.postal_codes().begin(), found.postal_codes().end()),
            (Names{"8000", "8200", "8310"}));
  EXPECT_EQ(found.minimum_age(), 18);
  EXPECT_EQ(found.maximum_age(), 0);
  EXPECT_EQ(found.phone(), "+32 50 12 34 56");
  EXPECT_EQ(found.website(), "https://caw.example/schuldbemiddeling");
  EXPECT_EQ(found.how_to_apply(), debt.how_to_apply());
  EXPECT_EQ(found.cost(), "gratis");

  // Anyone may read the map: an administrator, and an organisation's list of its own services.
  sm::Service got;
  sm::GetServiceRequest get;
  get.set_name(created.name());
  ASSERT_TRUE(stub_->GetService(Ctx(AdminToken()).get(), get, &got).ok());
  EXPECT_EQ(got.display_name(), "Schuldbemiddeling");
  sm::ListServicesRequest list;
  list.set_parent("organizations/" + caw_);
  list.set_page_size(4);
  sm::ListServicesResponse page1, page2;
  ASSERT_TRUE(stub_->ListServices(Ctx(Token(ocmw)).get(), list, &page1).ok());
  ASSERT_EQ(page1.services_size(), 4);
  EXPECT_EQ(page1.services(0).display_name(), "Schuldbemiddeling") << "in the order they were described";
  list.set_page_token(page1.next_page_token());
  ASSERT_TRUE(stub_->ListServices(Ctx(Token(ocmw)).get(), list, &page2).ok());
  ASSERT_EQ(page2.services_size(), 1) << "five services of the CAW, the inactive one too";
  EXPECT_EQ(page2.services(0).display_name(), "Budgetcursus");
  EXPECT_TRUE(page2.next_page_token().empty());
}

TEST_F(SocialMapTest, SearchFindsEachAgeAtTheEdgesOfTheRangesAndPagesWithoutRepeats) {
  MustCreate(Offer("Volwassenen", {D::LIFE_DOMAIN_MENTAL_HEALTH}, {"9000"}, 18));
  MustCreate(Offer("Jongeren", {D::LIFE_DOMAIN_MENTAL_HEALTH}, {"9000"}, 12, 25));
  MustCreate(Offer("Iedereen", {D::LIFE_DOMAIN_MENTAL_HEALTH}, {"9000"}));
  const auto at = [&](int age) { return Found(Filters(D::LIFE_DOMAIN_MENTAL_HEALTH, age, "9000")); };
  EXPECT_EQ(at(0), Names{"Iedereen"});
  EXPECT_EQ(at(11), Names{"Iedereen"});
  EXPECT_EQ(at(12), (Names{"Iedereen", "Jongeren"}));
  EXPECT_EQ(at(18), (Names{"Iedereen", "Jongeren", "Volwassenen"}));
  EXPECT_EQ(at(25), (Names{"Iedereen", "Jongeren", "Volwassenen"}));
  EXPECT_EQ(at(26), (Names{"Iedereen", "Volwassenen"}));
  EXPECT_EQ(at(120), (Names{"Iedereen", "Volwassenen"}));
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_MENTAL_HEALTH, {}, "9000")), (Names{"Iedereen", "Jongeren", "Volwassenen"}))
      << "no age: every range";
  EXPECT_TRUE(Found(Filters(D::LIFE_DOMAIN_MENTAL_HEALTH, {}, "9050")).empty()) << "another postal code";
  EXPECT_TRUE(Found(Filters(D::LIFE_DOMAIN_HOUSING, {}, "9000")).empty()) << "another domain";
  EXPECT_TRUE(Found(Filters(D::LIFE_DOMAIN_MENTAL_HEALTH, {}, "9000", "nl")).empty()) << "no language given";

  // Words: accents and compounds as people type them; every word must occur.
  auto cafe = Offer("Praatcafé voor mantelzorgers", {D::LIFE_DOMAIN_SOCIAL_NETWORK}, {"9000"});
  cafe.set_eligibility("Mantelzorgers van ouderen; ook anderstaligen welkom ✓");
  const auto created = MustCreate(cafe);
  EXPECT_EQ(created.eligibility(), cafe.eligibility()) << "kept as written";
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_UNSPECIFIED, {}, "", "", "praatcafé")), Names{"Praatcafé voor mantelzorgers"});
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_UNSPECIFIED, {}, "", "", "MANTELZORG")), Names{"Praatcafé voor mantelzorgers"})
      << "any case; the start of a compound";
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_UNSPECIFIED, {}, "", "", "de ouderen!")), Names{"Praatcafé voor mantelzorgers"})
      << "stop words and punctuation left out";
  EXPECT_TRUE(Found(Filters(D::LIFE_DOMAIN_UNSPECIFIED, {}, "", "", "mantelzorg jongeren")).empty())
      << "every word must occur";

  // Pages: one at a time, each service once, the last one says it is the last; a token serves only
  // the filters it came with.
  auto request = Filters(D::LIFE_DOMAIN_MENTAL_HEALTH, {}, "9000", "", tag_);
  request.set_page_size(1);
  std::set<std::string> seen;
  std::string first_token;
  for (int page = 0; page < 3; ++page) {
    sm::SearchServicesResponse response;
    ASSERT_TRUE(stub_->SearchServices(Ctx(caw_token_).get(), request, &response).ok());
    ASSERT_EQ(response.services_size(), 1);
    EXPECT_TRUE(seen.insert(response.services(0).name()).second);
    EXPECT_EQ(response.next_page_token().empty(), page == 2);
    request.set_page_token(response.next_page_token());
    if (page == 0) first_token = response.next_page_token();
  }
  request.set_page_token(first_token);
  request.set_postal_code("9050");
  const auto status = Search(request);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), Names{"page_token"});
}

TEST_F(SocialMapTest, OnlyTheOrganisationItselfOrAnAdministratorChangesItsServices) {
  const auto service = MustCreate(Offer("Schuldbemiddeling", {D::LIFE_DOMAIN_FINANCES}, {"8000"}));
  const std::string other = UniqueOrg("ocmw", true, team_v1::ORGANIZATION_KIND_OCMW);
  sm::Service out;

  auto status = Create(Token(other), caw_, Offer("Namens de CAW", {D::LIFE_DOMAIN_FINANCES}, {"8000"}), &out);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(status), "NOT_SERVICE_MAINTAINER");

  sm::UpdateServiceRequest update;
  update.mutable_service()->set_name(service.name());
  update.mutable_service()->set_display_name("Overgenomen");
  update.mutable_update_mask()->add_paths("display_name");
  for (const auto& token : {Token(other), ServiceToken()}) {
    status = stub_->UpdateService(Ctx(token).get(), update, &out);
    EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(ErrorReason(status), "NOT_SERVICE_MAINTAINER");
  }
  sm::ConfirmServiceRequest confirm;
  confirm.set_name(service.name());
  status = stub_->ConfirmService(Ctx(Token(other)).get(), confirm, &out);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);

  sm::GetServiceRequest get;
  get.set_name(service.name());
  ASSERT_TRUE(stub_->GetService(Ctx(caw_token_).get(), get, &out).ok());
  EXPECT_EQ(out.display_name(), "Schuldbemiddeling") << "nothing changed";
  EXPECT_EQ(out.etag(), "1");

  // Another of the CAW's professionals, and an administrator, may.
  update.mutable_service()->set_display_name("Schuldbemiddeling en budgetbeheer");
  ASSERT_TRUE(stub_->UpdateService(Ctx(Token(caw_, "caw-colleague")).get(), update, &out).ok());
  EXPECT_EQ(out.display_name(), "Schuldbemiddeling en budgetbeheer");
  EXPECT_EQ(out.changed_by_person(), "caw-colleague") << "who made the last change";
  ASSERT_TRUE(stub_->ConfirmService(Ctx(AdminToken()).get(), confirm, &out).ok());
  EXPECT_EQ(out.changed_by_organization(), "organizations/kruispunt-platform");
  EXPECT_EQ(out.changed_by_person(), "platform-admin-1");
  EXPECT_TRUE(Create(AdminToken(), other, Offer("Leefloon", {D::LIFE_DOMAIN_FINANCES}, {"8000"}), &out).ok());
  EXPECT_TRUE(out.name().starts_with("organizations/" + other + "/services/"));

  // An administrator describes services only of organisations in the directory.
  status = Create(AdminToken(), UniqueOrg("nowhere", false), Offer("Nergens", {D::LIFE_DOMAIN_FINANCES}, {"8000"}), &out);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "ORGANIZATION_NOT_FOUND");

  // Without a token: nothing, not even a read.
  grpc::ClientContext anonymous;
  status = stub_->GetService(&anonymous, get, &out);
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED);
}

TEST_F(SocialMapTest, AnUpdateChangesWhatTheMaskNamesAtTheEtagItWasReadAt) {
  const auto service = MustCreate(Offer("Dagcentrum", {D::LIFE_DOMAIN_DAILY_ACTIVITIES_AND_WORK}, {"2000", "2018"}));
  sm::UpdateServiceRequest update;
  *update.mutable_service() = service;
  update.mutable_service()->clear_postal_codes();
  update.mutable_service()->add_postal_codes("2060");
  update.mutable_service()->set_display_name("Wordt niet gewijzigd");
  update.mutable_update_mask()->add_paths("postal_codes");
  sm::Service updated;
  ASSERT_TRUE(stub_->UpdateService(Ctx(caw_token_).get(), update, &updated).ok());
  EXPECT_EQ(std::vector<std::string>(updated.postal_codes().begin(), updated.postal_codes().end()), Names{"2060"})
      << "the list is replaced, not added to";
  EXPECT_EQ(updated.display_name(), "Dagcentrum") << "not in the mask";
  EXPECT_EQ(updated.etag(), "2");
  EXPECT_TRUE(Found(Filters(D::LIFE_DOMAIN_UNSPECIFIED, {}, "2000")).empty()) << "search follows at once";
  EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_UNSPECIFIED, {}, "2060")), Names{"Dagcentrum"});

  // The etag read before is stale now.
  sm::Service out;
  auto status = stub_->UpdateService(Ctx(caw_token_).get(), update, &out);
  EXPECT_EQ(status.error_code(), StatusCode::ABORTED);
  EXPECT_EQ(ErrorReason(status), "ETAG_MISMATCH");
  sm::ConfirmServiceRequest confirm;
  confirm.set_name(service.name());
  confirm.set_etag(service.etag());
  status = stub_->ConfirmService(Ctx(caw_token_).get(), confirm, &out);
  EXPECT_EQ(status.error_code(), StatusCode::ABORTED);

  // Confirming the record as read: a newer assure_time and etag, nothing else changed.
  confirm.set_etag(updated.etag());
  sm::Service confirmed;
  ASSERT_TRUE(stub_->ConfirmService(Ctx(caw_token_).get(), confirm, &confirmed).ok());
  EXPECT_EQ(confirmed.etag(), "3");
  EXPECT_GE(TimeUtil::TimestampToMicroseconds(confirmed.assure_time()),
            TimeUtil::TimestampToMicroseconds(updated.assure_time()));
  EXPECT_EQ(confirmed.update_time().seconds(), updated.update_time().seconds());

  // Inactive: found by its name, no longer by search.
  update.mutable_service()->set_status(sm::SERVICE_STATUS_INACTIVE);
  update.mutable_service()->set_etag("");
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("status");
  ASSERT_TRUE(stub_->UpdateService(Ctx(caw_token_).get(), update, &out).ok());
  EXPECT_EQ(out.status(), sm::SERVICE_STATUS_INACTIVE);
  EXPECT_TRUE(Found(Filters(D::LIFE_DOMAIN_UNSPECIFIED, {}, "2060")).empty());

  // A mask that names what cannot change, a value that is not valid once applied, a service that
  // is not there.
  update.mutable_update_mask()->add_paths("create_time");
  status = stub_->UpdateService(Ctx(caw_token_).get(), update, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), Names{"update_mask"});
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("maximum_age");
  update.mutable_service()->set_minimum_age(30);  // not in the mask: the stored 0 stays
  update.mutable_service()->set_maximum_age(121);
  status = stub_->UpdateService(Ctx(caw_token_).get(), update, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), Names{"service.maximum_age"});
  update.mutable_service()->set_name("organizations/" + caw_ + "/services/00000000-0000-4000-8000-000000000000");
  update.mutable_service()->set_maximum_age(64);
  status = stub_->UpdateService(Ctx(caw_token_).get(), update, &out);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "SERVICE_NOT_FOUND");
}

// HSDS 3: the CAW's services exported a page at a time, imported into another organisation's map
// as they were, and imported there again without a copy; an import that is not valid stores none.
TEST_F(SocialMapTest, AnHsdsExportImportsAsItWasAndAgainWithoutCopies) {
  auto debt = Offer("Schuldbemiddeling", {D::LIFE_DOMAIN_FINANCES, D::LIFE_DOMAIN_ADMINISTRATION_AND_RIGHTS},
                    {"3000", "3010"}, 18);
  debt.add_languages("nl");
  debt.add_languages("fr");
  auto* office = debt.add_locations();
  office->set_description("Onthaal CAW");
  office->set_street("Vaartstraat 5");
  office->set_postal_code("3000");
  office->set_city("Leuven");
  debt.set_phone("+32 16 12 34 56");
  debt.set_email("onthaal@caw.example");
  debt.set_website("https://caw.example/schulden");
  debt.set_how_to_apply("Bel op weekdagen.");
  debt.set_cost("gratis");
  debt.set_eligibility("Inwoners met schulden ✓");
  const auto first = MustCreate(debt);
  auto youth = Offer("Jongerenpunt", {D::LIFE_DOMAIN_EDUCATION}, {"3000"}, 12, 25);
  youth.set_status(sm::SERVICE_STATUS_TEMPORARILY_CLOSED);
  const auto second = MustCreate(youth);

  sm::ExportServicesRequest request;
  request.set_parent("organizations/" + caw_);
  request.set_page_size(1);
  auto exported = nlohmann::json::array();
  for (int page = 0; page < 3; ++page) {
    sm::ExportServicesResponse response;
    ASSERT_TRUE(stub_->ExportServices(Ctx(AdminToken()).get(), request, &response).ok());
    for (auto& service : nlohmann::json::parse(response.hsds_json())) exported.push_back(service);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  ASSERT_EQ(exported.size(), 2u);
  EXPECT_EQ(exported[0]["id"], ParseName(first.name()));
  EXPECT_EQ(exported[0]["organization"]["name"], "Test organisation caw") << "the directory's name";
  EXPECT_EQ(exported[1]["status"], "temporarily closed");

  const std::string other = UniqueOrg("caw-copy", true, team_v1::ORGANIZATION_KIND_CAW);
  sm::ImportServicesRequest import;
  import.set_parent("organizations/" + other);
  import.set_hsds_json(exported.dump());
  sm::ImportServicesResponse imported;
  auto status = stub_->ImportServices(Ctx(Token(other)).get(), import, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.created_count(), 2);
  EXPECT_EQ(imported.replaced_count(), 0);
  ASSERT_EQ(imported.services_size(), 2);
  for (int i = 0; i < 2; ++i) {
    const auto& original = i == 0 ? first : second;
    auto copy = imported.services(i);
    EXPECT_EQ(copy.name(), "organizations/" + other + "/services/" + ParseName(original.name()));
    // Everything but the name and the record's own times and etag is as it was.
    sm::Service a = original, b = copy;
    for (auto* s : {&a, &b}) {
      s->clear_name();
      s->clear_etag();
      s->clear_changed_by_organization();
      s->clear_changed_by_person();
      s->clear_assure_time();
      s->clear_create_time();
      s->clear_update_time();
    }
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << a.DebugString() << "\n" << b.DebugString();
  }

  // Again: the same two, replaced, nothing added.
  status = stub_->ImportServices(Ctx(Token(other)).get(), import, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.created_count(), 0);
  EXPECT_EQ(imported.replaced_count(), 2);
  sm::ListServicesRequest list;
  list.set_parent("organizations/" + other);
  sm::ListServicesResponse listed;
  ASSERT_TRUE(stub_->ListServices(Ctx(Token(other)).get(), list, &listed).ok());
  EXPECT_EQ(listed.services_size(), 2);

  // Not valid: nothing of it is stored, and each mistake is named by where it is.
  exported[0]["service_areas"][0]["extent"] = "30000";
  exported[1].erase("name");
  import.set_hsds_json(exported.dump());
  status = stub_->ImportServices(Ctx(Token(other)).get(), import, &imported);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), (Names{"services[1].name", "services[0].postal_codes", "services[1].display_name"}));
  import.set_hsds_json("{not json");
  status = stub_->ImportServices(Ctx(Token(other)).get(), import, &imported);
  EXPECT_EQ(ViolationFields(status), Names{"hsds_json"});
  ASSERT_TRUE(stub_->ListServices(Ctx(Token(other)).get(), list, &listed).ok());
  for (const auto& service : listed.services()) EXPECT_NE(service.postal_codes(0), "30000");

  // Only the organisation itself (or an administrator) imports into its map.
  import.set_hsds_json("[]");
  status = stub_->ImportServices(Ctx(caw_token_).get(), import, &imported);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(status), "NOT_SERVICE_MAINTAINER");
}

// The zone's matrix (seed 002): per life domain and age group, the services that serve some part of
// the zone; a gap is a cell of zeros. Postal codes of its own (in Wallonia, which no other test
// uses), so that other tests' services stay out of its counts.
TEST_F(SocialMapTest, AZonesGapMatrixCountsItsOfferPerLifeDomainAndAgeGroup) {
  std::set<std::string> codes;
  while (codes.size() < 3) codes.insert(std::to_string(4000 + std::random_device{}() % 4000));
  const std::vector<std::string> zone_codes(codes.begin(), codes.end());  // A, B, C
  std::string outside = zone_codes[0];
  while (codes.count(outside)) outside = std::to_string(4000 + std::random_device{}() % 4000);

  const std::string zone_id = UniqueId("elz");
  sm::CreateZoneRequest create;
  create.set_zone_id(zone_id);
  create.mutable_zone()->set_display_name("ELZ Test");
  create.mutable_zone()->add_postal_codes(zone_codes[0]);
  create.mutable_zone()->add_postal_codes(zone_codes[1]);
  sm::Zone zone;
  auto status = stub_->CreateZone(Ctx(caw_token_).get(), create, &zone);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(status), "ADMIN_ONLY");
  ASSERT_TRUE(stub_->CreateZone(Ctx(AdminToken()).get(), create, &zone).ok());
  EXPECT_EQ(zone.name(), "zones/" + zone_id);
  EXPECT_EQ(stub_->CreateZone(Ctx(AdminToken()).get(), create, &zone).error_code(), StatusCode::ALREADY_EXISTS);

  MustCreate(Offer("Schuldbemiddeling", {D::LIFE_DOMAIN_FINANCES}, {zone_codes[0]}, 18));
  MustCreate(Offer("Zakgeld", {D::LIFE_DOMAIN_FINANCES}, {zone_codes[1]}, 0, 17));
  auto housing = Offer("Woonwinkel", {D::LIFE_DOMAIN_HOUSING}, {zone_codes[0]});
  housing.set_status(sm::SERVICE_STATUS_TEMPORARILY_CLOSED);
  MustCreate(housing);
  auto ended = Offer("Seniorenbudget", {D::LIFE_DOMAIN_FINANCES}, {zone_codes[0]}, 65);
  ended.set_status(sm::SERVICE_STATUS_INACTIVE);
  MustCreate(ended);
  MustCreate(Offer("Elders", {D::LIFE_DOMAIN_FINANCES}, {outside}, 18));
  MustCreate(Offer("Praatgroep", {D::LIFE_DOMAIN_MENTAL_HEALTH}, {zone_codes[0], zone_codes[1]}));
  MustCreate(Offer("Werkzoekenden 60+", {D::LIFE_DOMAIN_PSYCHOSOCIAL_SUPPORT}, {zone_codes[1], zone_codes[2]}, 60, 70));

  // (domain, age group) -> (active, temporarily closed), the cells that are not zero.
  using Counts = std::map<std::pair<int, int>, std::pair<int, int>>;
  const auto matrix = [&] {
    sm::GetGapMatrixRequest request;
    request.set_zone("zones/" + zone_id);
    sm::GapMatrix out;
    const auto s = stub_->GetGapMatrix(Ctx(Token(UniqueOrg("reader"))).get(), request, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.cells_size(), 13 * 3) << "every domain with every age group";
    Counts counts;
    for (const auto& c : out.cells())
      if (c.active_services() || c.temporarily_closed_services())
        counts[{c.life_domain(), c.age_group()}] = {c.active_services(), c.temporarily_closed_services()};
    return counts;
  };
  const int kYoung = sm::AGE_GROUP_0_TO_17, kAdult = sm::AGE_GROUP_18_TO_64, kOld = sm::AGE_GROUP_65_AND_OLDER;
  EXPECT_EQ(matrix(), (Counts{{{D::LIFE_DOMAIN_FINANCES, kYoung}, {1, 0}},
                              {{D::LIFE_DOMAIN_FINANCES, kAdult}, {1, 0}},
                              {{D::LIFE_DOMAIN_FINANCES, kOld}, {1, 0}},
                              {{D::LIFE_DOMAIN_HOUSING, kYoung}, {0, 1}},
                              {{D::LIFE_DOMAIN_HOUSING, kAdult}, {0, 1}},
                              {{D::LIFE_DOMAIN_HOUSING, kOld}, {0, 1}},
                              {{D::LIFE_DOMAIN_MENTAL_HEALTH, kYoung}, {1, 0}},
                              {{D::LIFE_DOMAIN_MENTAL_HEALTH, kAdult}, {1, 0}},
                              {{D::LIFE_DOMAIN_MENTAL_HEALTH, kOld}, {1, 0}},
                              {{D::LIFE_DOMAIN_PSYCHOSOCIAL_SUPPORT, kAdult}, {1, 0}},
                              {{D::LIFE_DOMAIN_PSYCHOSOCIAL_SUPPORT, kOld}, {1, 0}}}))
      << "not the inactive service, not the one elsewhere; the group for two postal codes once";

  // Shrunk to its first postal code, the zone no longer has the pocket money nor the 60+ service.
  sm::UpdateZoneRequest update;
  update.mutable_zone()->set_name(zone.name());
  update.mutable_zone()->add_postal_codes(zone_codes[0]);
  update.mutable_zone()->set_etag(zone.etag());
  update.mutable_update_mask()->add_paths("postal_codes");
  status = stub_->UpdateZone(Ctx(caw_token_).get(), update, &zone);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->UpdateZone(Ctx(AdminToken()).get(), update, &zone).ok());
  EXPECT_EQ(zone.display_name(), "ELZ Test") << "not in the mask";
  const auto narrowed = matrix();
  EXPECT_EQ(narrowed.count({D::LIFE_DOMAIN_FINANCES, kYoung}), 0u);
  EXPECT_EQ(narrowed.count({D::LIFE_DOMAIN_PSYCHOSOCIAL_SUPPORT, kAdult}), 0u);
  EXPECT_EQ(narrowed.at({D::LIFE_DOMAIN_FINANCES, kAdult}), std::make_pair(1, 0));
  status = stub_->UpdateZone(Ctx(AdminToken()).get(), update, &zone);
  EXPECT_EQ(status.error_code(), StatusCode::ABORTED) << "the etag read before is stale";

  bool listed = false;
  sm::ListZonesRequest list;
  list.set_page_size(500);
  for (int page = 0; page < 100 && !listed; ++page) {
    sm::ListZonesResponse zones;
    ASSERT_TRUE(stub_->ListZones(Ctx(caw_token_).get(), list, &zones).ok());
    for (const auto& z : zones.zones()) listed = listed || (z.name() == zone.name() && z.postal_codes_size() == 1);
    if (zones.next_page_token().empty()) break;
    list.set_page_token(zones.next_page_token());
  }
  EXPECT_TRUE(listed);

  sm::GetGapMatrixRequest missing;
  missing.set_zone("zones/" + UniqueId("nowhere"));
  sm::GapMatrix none;
  status = stub_->GetGapMatrix(Ctx(caw_token_).get(), missing, &none);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "ZONE_NOT_FOUND");
  sm::GetGapMatrixRequest bad_matrix;
  bad_matrix.set_zone("zone/x");
  bad_matrix.mutable_quarter()->set_year(2026);
  bad_matrix.mutable_quarter()->set_quarter(5);
  EXPECT_EQ(ViolationFields(stub_->GetGapMatrix(Ctx(caw_token_).get(), bad_matrix, &none)),
            (Names{"zone", "quarter"}));
  bad_matrix.set_zone(zone.name());
  bad_matrix.mutable_quarter()->set_year(2100);
  bad_matrix.mutable_quarter()->set_quarter(4);
  EXPECT_EQ(ViolationFields(stub_->GetGapMatrix(Ctx(caw_token_).get(), bad_matrix, &none)), Names{"quarter"})
      << "a quarter that has not ended";
  create.set_zone_id("bad id");
  create.mutable_zone()->add_postal_codes("0999");
  status = stub_->CreateZone(Ctx(AdminToken()).get(), create, &zone);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), (Names{"zone_id", "zone.postal_codes"}));
}

// An organisation offers at most 1,000 services (not INACTIVE), however it writes them: search
// shows no more of one organisation. An inactive one may be added, or made inactive to make room.
TEST_F(SocialMapTest, AnOrganisationOffersAtMostAThousandServices) {
  const auto first = MustCreate(Offer("Schuldbemiddeling", {D::LIFE_DOMAIN_FINANCES}, {"8200"}));
  sm::ExportServicesRequest export_request;
  export_request.set_parent("organizations/" + caw_);
  sm::ExportServicesResponse exported;
  ASSERT_TRUE(stub_->ExportServices(Ctx(caw_token_).get(), export_request, &exported).ok());
  const auto one = nlohmann::json::parse(exported.hsds_json()).at(0);
  const auto import = [&](int how_many) {
    auto services = nlohmann::json::array();
    for (int i = 0; i < how_many; ++i) {
      services.push_back(one);
      services.back()["id"] = UniqueUuid();
    }
    sm::ImportServicesRequest request;
    request.set_parent("organizations/" + caw_);
    request.set_hsds_json(services.dump());
    sm::ImportServicesResponse imported;
    return stub_->ImportServices(Ctx(caw_token_).get(), request, &imported);
  };
  ASSERT_TRUE(import(499).ok());
  auto status = import(1);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(import(499).ok());  // 1,000 now
  sm::Service out;
  for (const auto& refused : {import(1), Create(caw_token_, caw_, Offer("Eén te veel", {D::LIFE_DOMAIN_FINANCES}, {"8200"}), &out)}) {
    EXPECT_EQ(refused.error_code(), StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ErrorReason(refused), "SERVICE_LIMIT_REACHED");
  }
  auto ended = Offer("Gestopt", {D::LIFE_DOMAIN_FINANCES}, {"8200"});
  ended.set_status(sm::SERVICE_STATUS_INACTIVE);
  const auto inactive = MustCreate(ended);
  sm::UpdateServiceRequest offer_again;
  offer_again.mutable_service()->set_name(inactive.name());
  offer_again.mutable_service()->set_status(sm::SERVICE_STATUS_ACTIVE);
  offer_again.mutable_update_mask()->add_paths("status");
  status = stub_->UpdateService(Ctx(caw_token_).get(), offer_again, &out);
  EXPECT_EQ(ErrorReason(status), "SERVICE_LIMIT_REACHED") << "offered again, it would be one too many";
  sm::UpdateServiceRequest end_first;
  end_first.mutable_service()->set_name(first.name());
  end_first.mutable_service()->set_status(sm::SERVICE_STATUS_INACTIVE);
  end_first.mutable_update_mask()->add_paths("status");
  ASSERT_TRUE(stub_->UpdateService(Ctx(caw_token_).get(), end_first, &out).ok());
  status = stub_->UpdateService(Ctx(caw_token_).get(), offer_again, &out);
  EXPECT_TRUE(status.ok()) << "room was made: " << status.error_message();
}

// An organisation that leaves the directory (an administrator deactivates it) takes no referral:
// its services are no longer found nor counted, and are again once it is active.
TEST_F(SocialMapTest, TheServicesOfAnOrganisationNoLongerActiveAreNeitherFoundNorCounted) {
  const std::string code = std::to_string(4000 + std::random_device{}() % 4000);
  const std::string zone_id = UniqueId("elz");
  sm::CreateZoneRequest create;
  create.set_zone_id(zone_id);
  create.mutable_zone()->set_display_name("ELZ Test");
  create.mutable_zone()->add_postal_codes(code);
  sm::Zone zone;
  ASSERT_TRUE(stub_->CreateZone(Ctx(AdminToken()).get(), create, &zone).ok());
  const std::string leaving = UniqueOrg("leaving", true, team_v1::ORGANIZATION_KIND_OTHER);
  MustCreate(Offer("Blijvend", {D::LIFE_DOMAIN_MOBILITY}, {code}));
  MustCreate(Offer("Vertrekkend", {D::LIFE_DOMAIN_MOBILITY}, {code}), Token(leaving), leaving);

  const auto adults_counted = [&] {
    sm::GetGapMatrixRequest request;
    request.set_zone(zone.name());
    sm::GapMatrix matrix;
    EXPECT_TRUE(stub_->GetGapMatrix(Ctx(caw_token_).get(), request, &matrix).ok());
    for (const auto& cell : matrix.cells())
      if (cell.life_domain() == D::LIFE_DOMAIN_MOBILITY && cell.age_group() == sm::AGE_GROUP_18_TO_64)
        return cell.active_services();
    return -1;
  };
  const auto set_active = [&](bool active) {
    team_v1::UpdateOrganizationRequest update;
    update.mutable_organization()->set_name("organizations/" + leaving);
    update.mutable_organization()->set_active(active);
    update.mutable_update_mask()->add_paths("active");
    team_v1::Organization out;
    ASSERT_TRUE(TeamStub()->UpdateOrganization(Ctx(AdminToken()).get(), update, &out).ok());
  };
  // The map asks the organisation gate, which keeps the directory's answer for
  // team::DirectoryGate::kTtl: in the process that made the change at once, elsewhere within that time.
  const auto within_the_gates_time = [&](const Names& found, int counted) {
    const auto until = std::chrono::steady_clock::now() + team::DirectoryGate::kTtl + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < until &&
           (Found(Filters(D::LIFE_DOMAIN_MOBILITY, {}, code)) != found || adults_counted() != counted))
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(Found(Filters(D::LIFE_DOMAIN_MOBILITY, {}, code)), found);
    EXPECT_EQ(adults_counted(), counted);
  };
  within_the_gates_time({"Blijvend", "Vertrekkend"}, 2);
  set_active(false);
  within_the_gates_time({"Blijvend"}, 1);
  set_active(true);
  within_the_gates_time({"Blijvend", "Vertrekkend"}, 2);
}

TEST_F(SocialMapTest, BadInputIsRefusedFieldByFieldAndNothingIsStored) {
  sm::Service bad;
  bad.set_display_name("");
  bad.add_life_domains(D::LIFE_DOMAIN_FINANCES);
  bad.add_life_domains(D::LIFE_DOMAIN_FINANCES);
  bad.add_postal_codes("800");
  bad.add_postal_codes("0800");
  bad.set_minimum_age(65);
  bad.set_maximum_age(18);
  bad.add_languages("NL");
  bad.set_website("ftp://caw.example");
  bad.set_email("geen e-mail");
  bad.add_locations()->set_postal_code("B-8000");
  bad.set_status(static_cast<sm::ServiceStatus>(9));
  sm::Service out;
  sm::CreateServiceRequest create;
  create.set_parent("organisaties/" + caw_);
  *create.mutable_service() = bad;
  create.set_request_id("not-a-uuid");
  auto status = stub_->CreateService(Ctx(caw_token_).get(), create, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  auto fields = ViolationFields(status);
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  EXPECT_EQ(fields, (Names{"parent", "request_id", "service.display_name", "service.email", "service.languages",
                           "service.life_domains", "service.locations.postal_code", "service.maximum_age",
                           "service.postal_codes", "service.status", "service.website"}));

  sm::CreateServiceRequest empty;
  empty.set_parent("organizations/" + caw_);
  status = stub_->CreateService(Ctx(caw_token_).get(), empty, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  fields = ViolationFields(status);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "service.life_domains"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "service.postal_codes"), fields.end());

  sm::ListServicesRequest list;
  list.set_parent("organizations/" + caw_);
  sm::ListServicesResponse listed;
  ASSERT_TRUE(stub_->ListServices(Ctx(caw_token_).get(), list, &listed).ok());
  EXPECT_EQ(listed.services_size(), 0) << "nothing was stored";

  const auto search_refused = [&](sm::SearchServicesRequest request, const std::string& field) {
    const auto s = Search(request);
    EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_EQ(ViolationFields(s), Names{field});
  };
  search_refused(Filters(static_cast<D>(99), {}, ""), "life_domain");
  search_refused(Filters(D::LIFE_DOMAIN_FINANCES, 121, ""), "age");
  search_refused(Filters(D::LIFE_DOMAIN_FINANCES, -1, ""), "age");
  search_refused(Filters(D::LIFE_DOMAIN_FINANCES, {}, "80000"), "postal_code");
  search_refused(Filters(D::LIFE_DOMAIN_FINANCES, {}, "", "Nederlands"), "language");
  search_refused(Filters(D::LIFE_DOMAIN_FINANCES, {}, "", "", "de het een"), "query");
  search_refused(Filters(D::LIFE_DOMAIN_FINANCES, {}, "", "", std::string(201, 'a')), "query");
  auto paged = Filters(D::LIFE_DOMAIN_FINANCES, {}, "");
  paged.set_page_token("bogus");
  search_refused(paged, "page_token");

  sm::GetServiceRequest get;
  get.set_name("organizations/" + caw_ + "/services/42");
  status = stub_->GetService(Ctx(caw_token_).get(), get, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), Names{"name"});
  get.set_name("organizations/" + caw_ + "/services/00000000-0000-4000-8000-000000000000");
  status = stub_->GetService(Ctx(caw_token_).get(), get, &out);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "SERVICE_NOT_FOUND");
}

}  // namespace
}  // namespace kp::test
