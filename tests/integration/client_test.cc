// CaseService clients through the gRPC API.
#include <set>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;

class ClientTest : public CaseApiTest {};

TEST_F(ClientTest, CreateAndGetKeepTheClientsWordsAsWritten) {
  v1::CreateClientRequest request;
  auto* c = request.mutable_client();
  c->set_insz(MakeInsz(1959, 3, 12));
  c->set_given_name("Marïa-Ødette");
  c->set_family_name("بيترز");  // any language, kept as written
  c->mutable_birth_date()->set_year(1959);
  c->mutable_birth_date()->set_month(3);
  c->mutable_birth_date()->set_day(12);
  c->mutable_contact()->set_city("Sint-Niklaas");
  v1::Client created;
  ASSERT_TRUE(stub_->CreateClient(Ctx(token_).get(), request, &created).ok());
  EXPECT_EQ(created.registering_organization(), "organizations/" + org_);
  EXPECT_EQ(created.etag(), "1");

  v1::GetClientRequest get;
  get.set_name(created.name());
  v1::Client read;
  ASSERT_TRUE(stub_->GetClient(Ctx(token_).get(), get, &read).ok());
  EXPECT_EQ(read.given_name(), "Marïa-Ødette");
  EXPECT_EQ(read.family_name(), "بيترز");
  EXPECT_EQ(read.contact().city(), "Sint-Niklaas");
  EXPECT_EQ(read.birth_date().year(), 1959);
}

TEST_F(ClientTest, BadInputGetsFieldViolations) {
  v1::CreateClientRequest request;
  request.mutable_client()->set_insz("12345678901");
  request.mutable_client()->set_family_name(std::string(201, 'x'));
  v1::Client created;
  auto status = stub_->CreateClient(Ctx(token_).get(), request, &created);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status),
            (std::vector<std::string>{"client.insz", "client.given_name", "client.family_name",
                                      "client.birth_date"}));
}

TEST_F(ClientTest, RetryWithTheSameRequestIdReturnsTheSameClient) {
  const std::string request_id = "6e8bc430-9c3a-11d9-9669-0800200c9a66";
  const std::string insz = MakeInsz(1959, 3, 12);
  auto first = CreateClient(token_, insz, request_id);
  auto second = CreateClient(token_, insz, request_id);
  EXPECT_EQ(first.name(), second.name());
  v1::ListClientsRequest list;
  v1::ListClientsResponse listed;
  ASSERT_TRUE(stub_->ListClients(Ctx(token_).get(), list, &listed).ok());
  EXPECT_EQ(listed.clients_size(), 1);
}

TEST_F(ClientTest, TheSameInszTwiceInOneOrganisationIsAlreadyExists) {
  const std::string insz = MakeInsz(1960, 1, 1);
  CreateClient(token_, insz);
  v1::CreateClientRequest request;
  auto* c = request.mutable_client();
  c->set_insz(insz);
  c->set_given_name("Maria");
  c->set_family_name("Peeters");
  c->mutable_birth_date()->set_year(1960);
  c->mutable_birth_date()->set_month(1);
  c->mutable_birth_date()->set_day(1);
  v1::Client created;
  auto status = stub_->CreateClient(Ctx(token_).get(), request, &created);
  EXPECT_EQ(status.error_code(), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ErrorReason(status), "CLIENT_ALREADY_EXISTS");

  // Another organisation registering the same person learns nothing about the first one.
  const std::string other = Token(UniqueOrg("caw"));
  EXPECT_TRUE(stub_->CreateClient(Ctx(other).get(), request, &created).ok());
}

TEST_F(ClientTest, AnotherOrganisationCannotSeeOrFindTheClient) {
  const std::string insz = MakeInsz(1959, 3, 12);
  auto client = CreateClient(token_, insz);
  const std::string other = Token(UniqueOrg("ocmw"));

  v1::GetClientRequest get;
  get.set_name(client.name());
  v1::Client read;
  auto status = stub_->GetClient(Ctx(other).get(), get, &read);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);

  v1::ListClientsRequest list;
  list.set_insz(insz);
  v1::ListClientsResponse listed;
  ASSERT_TRUE(stub_->ListClients(Ctx(other).get(), list, &listed).ok());
  EXPECT_EQ(listed.clients_size(), 0);
  ASSERT_TRUE(stub_->ListClients(Ctx(token_).get(), list, &listed).ok());
  ASSERT_EQ(listed.clients_size(), 1);
  EXPECT_EQ(listed.clients(0).name(), client.name());
}

TEST_F(ClientTest, UpdateFollowsTheMaskAndTheEtag) {
  auto client = CreateClient(token_);
  v1::UpdateClientRequest update;
  update.mutable_client()->set_name(client.name());
  update.mutable_client()->set_given_name("Marie");
  update.mutable_client()->set_family_name("ignored: not in the mask");
  update.mutable_client()->mutable_contact()->set_phone("+32 9 123 45 67");
  update.mutable_client()->set_etag(client.etag());
  update.mutable_update_mask()->add_paths("given_name");
  update.mutable_update_mask()->add_paths("contact.phone");
  v1::Client updated;
  ASSERT_TRUE(stub_->UpdateClient(Ctx(token_).get(), update, &updated).ok());
  EXPECT_EQ(updated.given_name(), "Marie");
  EXPECT_EQ(updated.family_name(), "Peeters");
  EXPECT_EQ(updated.contact().phone(), "+32 9 123 45 67");
  EXPECT_EQ(updated.etag(), "2");

  // The old etag is stale now.
  auto status = stub_->UpdateClient(Ctx(token_).get(), update, &updated);
  EXPECT_EQ(status.error_code(), StatusCode::ABORTED);
  EXPECT_EQ(ErrorReason(status), "ETAG_MISMATCH");

  update.mutable_update_mask()->add_paths("insz");
  status = stub_->UpdateClient(Ctx(token_).get(), update, &updated);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"update_mask"});

  // Another organisation's update finds nothing.
  update.clear_update_mask();
  update.mutable_update_mask()->add_paths("given_name");
  update.mutable_client()->clear_etag();
  status = stub_->UpdateClient(Ctx(Token(UniqueOrg("caw"))).get(), update, &updated);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
}

TEST_F(ClientTest, ListPagesThroughEveryClientOnceAndRefusesAnotherFiltersToken) {
  std::set<std::string> registered;
  for (int i = 0; i < 7; ++i) registered.insert(CreateClient(token_, MakeInsz(1950 + i, 1, 2)).name());
  v1::ListClientsRequest request;
  request.set_page_size(3);
  std::vector<std::string> listed;
  int pages = 0;
  for (;; ++pages) {
    v1::ListClientsResponse page;
    ASSERT_TRUE(stub_->ListClients(Ctx(token_).get(), request, &page).ok());
    EXPECT_LE(page.clients_size(), 3);
    for (const auto& c : page.clients()) listed.push_back(c.name());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages + 1, 3);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), registered);
  EXPECT_EQ(listed.size(), registered.size());

  // A token of the unfiltered list is refused for a list filtered by INSZ.
  request.set_page_size(3);
  request.clear_page_token();
  v1::ListClientsResponse first;
  ASSERT_TRUE(stub_->ListClients(Ctx(token_).get(), request, &first).ok());
  request.set_page_token(first.next_page_token());
  request.set_insz(MakeInsz(1950, 1, 2));
  auto status = stub_->ListClients(Ctx(token_).get(), request, &first);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"page_token"});
}

}  // namespace
}  // namespace kp::test
