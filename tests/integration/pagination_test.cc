// ListCases: filters and keyset pagination, also while other cases are being created.
#include <set>
#include <thread>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;

class PaginationTest : public CaseApiTest {
 protected:
  // Every case name over all pages, in order (as the fixture's organisation, or `token`'s).
  std::vector<std::string> ListAll(v1::ListCasesRequest request, const std::string& token = "",
                                   int* pages_read = nullptr) {
    std::vector<std::string> names;
    for (int pages = 0; pages < 1000; ++pages) {
      if (pages_read) *pages_read = pages + 1;
      v1::ListCasesResponse page;
      auto status = stub_->ListCases(Ctx(token.empty() ? token_ : token).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      EXPECT_LE(page.cases_size(), request.page_size() == 0 ? 50 : request.page_size());
      for (const auto& c : page.cases()) names.push_back(c.name());
      if (page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    return names;
  }
};

TEST_F(PaginationTest, EveryExistingCaseAppearsExactlyOnceWhileOthersAreInserted) {
  auto client = CreateClient(token_);
  std::set<std::string> before;
  for (int i = 0; i < 23; ++i) before.insert(CreateCase(token_, client.name()).name());

  std::atomic<bool> stop{false};
  std::atomic<int> inserted{0};
  std::thread writer([&] {
    auto stub = CaseStub();
    while (!stop && inserted < 40) {
      v1::CreateCaseRequest request;
      request.mutable_case_()->set_client(client.name());
      request.mutable_case_()->set_title("gelijktijdig");
      v1::Case created;
      if (stub->CreateCase(Ctx(token_).get(), request, &created).ok()) ++inserted;
    }
  });
  v1::ListCasesRequest request;
  request.set_page_size(4);
  auto names = ListAll(request);
  stop = true;
  writer.join();

  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size()) << "no case is listed twice";
  for (const auto& name : before) EXPECT_EQ(unique.count(name), 1u) << name;
  EXPECT_GT(inserted.load(), 0);
}

// An organisation's own cases come first, oldest first; then, in the same page once they run out,
// the cases it takes part in, in the order it joined them: each page reads about a page of rows,
// however many cases the organisation has.
TEST_F(PaginationTest, OwnCasesFirstThenTheCasesItTakesPartIn) {
  const auto caw = MakePartner("caw", team_v1::ORGANIZATION_KIND_CAW);
  std::vector<std::string> expected;
  for (int i = 0; i < 3; ++i) expected.push_back(CreateCase(caw.token, CreateClient(caw.token).name()).name());
  for (int i = 0; i < 4; ++i) {
    const auto c = CreateCase(token_, CreateClient(token_).name());
    AppointCoordinator(c.name());
    team_v1::Participant added;
    ASSERT_TRUE(AddParticipant(token_, c.name(), caw.person_name(), team_v1::PARTICIPANT_ROLE_PROFESSIONAL,
                               {team_v1::PERMISSION_READ_CASE}, &added).ok());
    GrantConsent(token_, c.name(), {caw.org}, {consent_v1::DATA_CATEGORY_CASE});
    expected.push_back(c.name());
  }
  v1::ListCasesRequest request;
  request.set_page_size(2);
  int pages = 0;
  EXPECT_EQ(ListAll(request, caw.token, &pages), expected);
  EXPECT_EQ(pages, 4);  // [own, own], [own, taken part in], [..., ...], [...]
  request.set_page_size(0);
  EXPECT_EQ(ListAll(request, caw.token, &pages), expected);
  EXPECT_EQ(pages, 1);
}

TEST_F(PaginationTest, FiltersByStateLifeDomainAndClientInsz) {
  auto maria = CreateClient(token_, MakeInsz(1959, 3, 12));
  auto jan = CreateClient(token_, MakeInsz(1948, 11, 30));
  auto a = CreateCase(token_, maria.name());
  CreateCase(token_, maria.name());
  auto c = CreateCase(token_, jan.name());
  v1::Case out;
  AppointCoordinator(a.name());
  v1::TransitionCaseRequest activate;
  activate.set_name(a.name());
  ASSERT_TRUE(stub_->ActivateCase(Ctx(token_).get(), activate, &out).ok());
  v1::UpdateCaseRequest update;
  update.mutable_case_()->set_name(c.name());
  update.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_MOBILITY);
  update.mutable_update_mask()->add_paths("life_domains");
  ASSERT_TRUE(stub_->UpdateCase(Ctx(token_).get(), update, &out).ok());

  v1::ListCasesRequest by_state;
  by_state.set_state(v1::CASE_STATE_ACTIVE);
  EXPECT_EQ(ListAll(by_state), std::vector<std::string>{a.name()});
  v1::ListCasesRequest by_domain;
  by_domain.set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_MOBILITY);
  EXPECT_EQ(ListAll(by_domain), std::vector<std::string>{c.name()});
  v1::ListCasesRequest by_insz;
  by_insz.set_client_insz(jan.insz());
  EXPECT_EQ(ListAll(by_insz), std::vector<std::string>{c.name()});
  by_insz.set_client_insz(maria.insz());
  by_insz.set_page_size(1);
  EXPECT_EQ(ListAll(by_insz).size(), 2u);
}

TEST_F(PaginationTest, RefusesForeignTokensNegativeSizesAndBadFilters) {
  auto client = CreateClient(token_);
  CreateCase(token_, client.name());
  CreateCase(token_, client.name());
  v1::ListCasesRequest request;
  request.set_page_size(1);
  v1::ListCasesResponse page;
  ASSERT_TRUE(stub_->ListCases(Ctx(token_).get(), request, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());

  request.set_page_token(page.next_page_token());
  request.set_state(v1::CASE_STATE_CLOSED);  // other filters than the token was made for
  auto status = stub_->ListCases(Ctx(token_).get(), request, &page);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"page_token"});

  v1::ListCasesRequest bad;
  bad.set_page_size(-1);
  bad.set_state(static_cast<v1::CaseState>(42));
  bad.set_client_insz("123");
  status = stub_->ListCases(Ctx(token_).get(), bad, &page);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"state"});
  bad.set_state(v1::CASE_STATE_UNSPECIFIED);
  status = stub_->ListCases(Ctx(token_).get(), bad, &page);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"client_insz"});
  bad.clear_client_insz();
  status = stub_->ListCases(Ctx(token_).get(), bad, &page);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"page_size"});
}

}  // namespace
}  // namespace kp::test
