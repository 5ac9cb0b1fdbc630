// CaseService cases through the gRPC API: create, read, update, lifecycle, privacy.
#include <thread>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;

class CaseTest : public CaseApiTest {
 protected:
  grpc::Status Transition(const std::string& verb, const std::string& name, const std::string& reason,
                          v1::Case* out, const std::string& etag = "") {
    v1::TransitionCaseRequest request;
    request.set_name(name);
    request.set_reason(reason);
    request.set_etag(etag);
    auto ctx = Ctx(token_);
    if (verb == "activate") return stub_->ActivateCase(ctx.get(), request, out);
    if (verb == "suspend") return stub_->SuspendCase(ctx.get(), request, out);
    if (verb == "close") return stub_->CloseCase(ctx.get(), request, out);
    return stub_->ReopenCase(ctx.get(), request, out);
  }

  grpc::Status Get(const std::string& token, const std::string& name, v1::Case* out) {
    v1::GetCaseRequest request;
    request.set_name(name);
    return stub_->GetCase(Ctx(token).get(), request, out);
  }
};

TEST_F(CaseTest, CreateReturnsTheCaseWithItsClient) {
  auto client = CreateClient(token_);
  v1::CreateCaseRequest request;
  request.mutable_case_()->set_client(client.name());
  request.mutable_case_()->set_title("Onbetaalde rekeningen, vochtige woning");
  request.mutable_case_()->set_summary("Huisarts signaleert:\nrekeningen blijven liggen.");
  request.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_HOUSING);
  request.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  v1::Case created;
  ASSERT_TRUE(stub_->CreateCase(Ctx(token_).get(), request, &created).ok());
  EXPECT_EQ(created.state(), v1::CASE_STATE_REGISTERED);
  EXPECT_EQ(created.owner_organization(), "organizations/" + org_);
  EXPECT_EQ(created.client_summary().insz(), client.insz());
  EXPECT_EQ(created.client_summary().family_name(), "Peeters");
  ASSERT_EQ(created.life_domains_size(), 2);
  EXPECT_EQ(created.life_domains(0), kruispunt::type::v1::LIFE_DOMAIN_HOUSING);

  v1::Case read;
  ASSERT_TRUE(Get(token_, created.name(), &read).ok());
  EXPECT_EQ(read.SerializeAsString(), created.SerializeAsString());
}

TEST_F(CaseTest, RetryWithTheSameRequestIdCreatesOneCase) {
  auto client = CreateClient(token_);
  v1::CreateCaseRequest request;
  request.mutable_case_()->set_client(client.name());
  request.mutable_case_()->set_title("Budgetbegeleiding");
  request.set_request_id("0b7d1c3e-52e2-4c8f-9a51-2f0d3b8f6a11");
  v1::Case first, second;
  ASSERT_TRUE(stub_->CreateCase(Ctx(token_).get(), request, &first).ok());
  ASSERT_TRUE(stub_->CreateCase(Ctx(token_).get(), request, &second).ok());
  EXPECT_EQ(first.name(), second.name());
  v1::ListCasesRequest list;
  v1::ListCasesResponse listed;
  ASSERT_TRUE(stub_->ListCases(Ctx(token_).get(), list, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 1);
}

TEST_F(CaseTest, ConcurrentRetriesWithOneRequestIdCreateOneCase) {
  auto client = CreateClient(token_);
  v1::CreateCaseRequest request;
  request.mutable_case_()->set_client(client.name());
  request.mutable_case_()->set_title("Budgetbegeleiding");
  request.set_request_id("7c9e6679-7425-40de-944b-e07fc1f90ae7");
  std::vector<std::string> names(8);
  std::vector<std::thread> threads;
  for (auto& name : names)
    threads.emplace_back([&, out = &name] {
      v1::Case created;
      auto status = CaseStub()->CreateCase(Ctx(token_).get(), request, &created);
      *out = status.ok() ? created.name() : "error: " + status.error_message();
    });
  for (auto& t : threads) t.join();
  for (const auto& name : names) EXPECT_EQ(name, names[0]);
}

TEST_F(CaseTest, ACaseForAnUnknownClientIsAFailedPrecondition) {
  v1::CreateCaseRequest request;
  request.mutable_case_()->set_client("clients/2fbd547f-ac6d-4731-8fd3-2b0300863a58");
  request.mutable_case_()->set_title("Schulden");
  v1::Case created;
  auto status = stub_->CreateCase(Ctx(token_).get(), request, &created);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "CLIENT_NOT_FOUND");

  // Nor for a client of another organisation.
  auto foreign = CreateClient(Token(UniqueOrg("caw")));
  request.mutable_case_()->set_client(foreign.name());
  status = stub_->CreateCase(Ctx(token_).get(), request, &created);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
}

TEST_F(CaseTest, AnotherOrganisationCannotTellAnExistingCaseFromAMissingOne) {
  auto c = CreateCase(token_, CreateClient(token_).name());
  const std::string other = Token(UniqueOrg("ocmw"));
  v1::Case read;
  auto existing = Get(other, c.name(), &read);
  auto missing = Get(other, "cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58", &read);
  EXPECT_EQ(existing.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(existing.error_code(), missing.error_code());
  EXPECT_EQ(existing.error_message(), missing.error_message());
  EXPECT_EQ(ErrorReason(existing), ErrorReason(missing));
  EXPECT_FALSE(read.has_client_summary()) << "nothing of the case leaks into the response";

  v1::TransitionCaseRequest close;
  close.set_name(c.name());
  close.set_reason("niet van ons");
  EXPECT_EQ(stub_->CloseCase(Ctx(other).get(), close, &read).error_code(), StatusCode::NOT_FOUND);
  v1::ListCaseStatusChangesRequest history;
  history.set_parent(c.name());
  v1::ListCaseStatusChangesResponse changes;
  EXPECT_EQ(stub_->ListCaseStatusChanges(Ctx(other).get(), history, &changes).error_code(),
            StatusCode::NOT_FOUND);
  v1::ListCasesRequest list;
  v1::ListCasesResponse listed;
  ASSERT_TRUE(stub_->ListCases(Ctx(other).get(), list, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);
}

TEST_F(CaseTest, BadNamesAreInvalidArguments) {
  v1::Case read;
  auto status = Get(token_, "cases/not-a-uuid", &read);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"name"});
  status = Get(token_, "clients/2fbd547f-ac6d-4731-8fd3-2b0300863a58", &read);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(CaseTest, UpdateWithAStaleEtagIsAborted) {
  auto c = CreateCase(token_, CreateClient(token_).name());
  v1::UpdateCaseRequest update;
  update.mutable_case_()->set_name(c.name());
  update.mutable_case_()->set_title("Schulden, woning en eenzaamheid");
  update.mutable_case_()->add_life_domains(kruispunt::type::v1::LIFE_DOMAIN_SOCIAL_NETWORK);
  update.mutable_case_()->set_etag(c.etag());
  update.mutable_update_mask()->add_paths("title");
  update.mutable_update_mask()->add_paths("life_domains");
  v1::Case updated;
  ASSERT_TRUE(stub_->UpdateCase(Ctx(token_).get(), update, &updated).ok());
  EXPECT_EQ(updated.title(), "Schulden, woning en eenzaamheid");
  ASSERT_EQ(updated.life_domains_size(), 1);
  EXPECT_EQ(updated.life_domains(0), kruispunt::type::v1::LIFE_DOMAIN_SOCIAL_NETWORK);
  EXPECT_NE(updated.etag(), c.etag());

  auto status = stub_->UpdateCase(Ctx(token_).get(), update, &updated);
  EXPECT_EQ(status.error_code(), StatusCode::ABORTED);
  EXPECT_EQ(ErrorReason(status), "ETAG_MISMATCH");
}

TEST_F(CaseTest, TwoConcurrentUpdatesWithOneEtagLetExactlyOneWin) {
  auto c = CreateCase(token_, CreateClient(token_).name());
  std::atomic<int> ok{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      v1::UpdateCaseRequest update;
      update.mutable_case_()->set_name(c.name());
      update.mutable_case_()->set_title("versie " + std::to_string(i));
      update.mutable_case_()->set_etag(c.etag());
      update.mutable_update_mask()->add_paths("title");
      v1::Case out;
      auto status = CaseStub()->UpdateCase(Ctx(token_).get(), update, &out);
      if (status.ok()) ++ok;
      else if (status.error_code() == StatusCode::ABORTED) ++aborted;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(aborted.load(), 5);
}

TEST_F(CaseTest, LifecycleFollowsTheRulesAndKeepsItsHistory) {
  auto c = CreateCase(token_, CreateClient(token_).name());
  v1::Case out;
  auto status = Transition("suspend", c.name(), "client in het ziekenhuis", &out);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "ILLEGAL_TRANSITION");
  // An active case needs a care coordinator in its team. TeamService's refusal leaves the case
  // as it was: in one process the case's change and the team's commit or roll back together;
  // between processes TeamService is asked first.
  status = Transition("activate", c.name(), "", &out);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "NO_CARE_COORDINATOR");
  v1::GetCaseRequest get;
  get.set_name(c.name());
  v1::Case unchanged;
  ASSERT_TRUE(stub_->GetCase(Ctx(token_).get(), get, &unchanged).ok());
  EXPECT_EQ(unchanged.state(), c.state());
  EXPECT_EQ(unchanged.etag(), c.etag());
  AppointCoordinator(c.name());

  ASSERT_TRUE(Transition("activate", c.name(), "", &out).ok());
  EXPECT_EQ(out.state(), v1::CASE_STATE_ACTIVE);
  status = Transition("suspend", c.name(), "", &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"reason"});
  ASSERT_TRUE(Transition("suspend", c.name(), "client in het ziekenhuis", &out).ok());
  EXPECT_EQ(out.state_reason(), "client in het ziekenhuis");
  ASSERT_TRUE(Transition("activate", c.name(), "", &out).ok());
  ASSERT_TRUE(Transition("close", c.name(), "doelen bereikt", &out).ok());
  EXPECT_EQ(out.state(), v1::CASE_STATE_CLOSED);

  // A closed case is not edited until it is reopened.
  v1::UpdateCaseRequest update;
  update.mutable_case_()->set_name(c.name());
  update.mutable_case_()->set_title("nieuw");
  update.mutable_update_mask()->add_paths("title");
  v1::Case updated;
  status = stub_->UpdateCase(Ctx(token_).get(), update, &updated);
  EXPECT_EQ(status.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(status), "CASE_CLOSED");
  EXPECT_EQ(Transition("close", c.name(), "nogmaals", &out).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Transition("reopen", c.name(), "", &out).error_code(), StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Transition("reopen", c.name(), "nieuwe schulden", &out).ok());
  EXPECT_EQ(out.state(), v1::CASE_STATE_ACTIVE);
  // A stale etag on a transition is ABORTED.
  EXPECT_EQ(Transition("suspend", c.name(), "x", &out, c.etag()).error_code(), StatusCode::ABORTED);

  v1::ListCaseStatusChangesRequest history;
  history.set_parent(c.name());
  history.set_page_size(2);
  std::vector<std::pair<v1::CaseState, v1::CaseState>> seen;
  std::vector<std::string> reasons;
  for (;;) {
    v1::ListCaseStatusChangesResponse page;
    ASSERT_TRUE(stub_->ListCaseStatusChanges(Ctx(token_).get(), history, &page).ok());
    for (const auto& change : page.changes()) {
      seen.emplace_back(change.from_state(), change.to_state());
      reasons.push_back(change.reason());
      EXPECT_EQ(change.changed_by_organization(), "organizations/" + org_);
      EXPECT_EQ(change.changed_by_person(), person_);
    }
    if (page.next_page_token().empty()) break;
    history.set_page_token(page.next_page_token());
  }
  using S = v1::CaseState;
  const std::vector<std::pair<S, S>> expected = {
      {v1::CASE_STATE_UNSPECIFIED, v1::CASE_STATE_REGISTERED}, {v1::CASE_STATE_REGISTERED, v1::CASE_STATE_ACTIVE},
      {v1::CASE_STATE_ACTIVE, v1::CASE_STATE_SUSPENDED},       {v1::CASE_STATE_SUSPENDED, v1::CASE_STATE_ACTIVE},
      {v1::CASE_STATE_ACTIVE, v1::CASE_STATE_CLOSED},          {v1::CASE_STATE_CLOSED, v1::CASE_STATE_ACTIVE}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(reasons[2], "client in het ziekenhuis");
  EXPECT_EQ(reasons[5], "nieuwe schulden");
}

TEST_F(CaseTest, ConcurrentTransitionsApplyOnce) {
  auto c = CreateCase(token_, CreateClient(token_).name());
  AppointCoordinator(c.name());
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      v1::TransitionCaseRequest request;
      request.set_name(c.name());
      v1::Case out;
      auto status = CaseStub()->ActivateCase(Ctx(token_).get(), request, &out);
      if (status.ok()) ++ok;
      else if (status.error_code() == StatusCode::FAILED_PRECONDITION) ++refused;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 5);
}

}  // namespace
}  // namespace kp::test
