// AgreementService through the gRPC API on PostgreSQL: the scenario's agreements (CAW budget
// guidance, the OCMW's rights check, the daughter's Saturday shopping that home nursing declines
// and is amended), who may answer for which party, two parties answering at the same moment,
// the hash-chained log and its verification after tampering in SQL, back-office lists, bad input.
#include <google/protobuf/util/time_util.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "integration/harness.h"

namespace kp::test {
namespace {

using grpc::StatusCode;
using T = team_v1::ParticipantRole;
using P = team_v1::Permission;
using C = consent_v1::DataCategory;
namespace ag = agreements_v1;

ag::Party Org(const std::string& org) {
  ag::Party p;
  p.set_organization("organizations/" + org);
  return p;
}

ag::Party Participant(const std::string& name) {
  ag::Party p;
  p.set_participant(name);
  return p;
}

class AgreementTest : public CaseApiTest {
 protected:
  // Maria's case: the CAW, the OCMW and home nursing may answer agreements, with Maria's consent
  // for them to see the agreements.
  MariasCase Maria() {
    const std::vector<P> answer = {P::PERMISSION_READ_CASE, P::PERMISSION_ANSWER_AGREEMENTS};
    auto m = OpenMariasCase(answer, answer, answer);
    GrantConsent(token_, m.name, {m.caw.org, m.ocmw.org, m.nursing.org}, {C::DATA_CATEGORY_CASE, C::DATA_CATEGORY_AGREEMENTS});
    return m;
  }

  grpc::Status Propose(const std::string& token, const std::string& case_name, const std::string& text,
                       std::vector<ag::Party> parties, ag::Agreement* out, std::vector<ag::Party> performers = {}) {
    ag::ProposeAgreementRequest request;
    request.set_parent(case_name);
    auto* c = request.mutable_content();
    c->set_text(text);
    c->set_schedule("wekelijks");
    for (auto& p : parties) *c->add_required_parties() = p;
    for (auto& p : performers) *c->add_performers() = p;
    c->mutable_consultation_date()->set_year(2026);
    c->mutable_consultation_date()->set_month(11);
    c->mutable_consultation_date()->set_day(20);
    return AgreementStub()->ProposeAgreement(Ctx(token).get(), request, out);
  }

  ag::Agreement Proposed(const std::string& case_name, const std::string& text, std::vector<ag::Party> parties) {
    ag::Agreement out;
    const auto status = Propose(token_, case_name, text, std::move(parties), &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  grpc::Status Respond(const std::string& token, const ag::Agreement& a, const ag::Party& party, ag::Answer answer,
                       ag::Agreement* out = nullptr, const std::string& comment = "") {
    ag::RespondToAgreementRequest request;
    request.set_name(a.name());
    request.set_version(a.current().version());
    *request.mutable_party() = party;
    request.set_answer(answer);
    request.set_comment(comment);
    ag::Agreement ignored;
    return AgreementStub()->RespondToAgreement(Ctx(token).get(), request, out ? out : &ignored);
  }

  ag::Agreement Get(const std::string& token, const std::string& name) {
    ag::GetAgreementRequest request;
    request.set_name(name);
    ag::Agreement out;
    const auto status = AgreementStub()->GetAgreement(Ctx(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  std::vector<ag::AgreementLogEntry> Log(const std::string& token, const std::string& case_name,
                                         int64_t after_sequence = 0) {
    ag::ListAgreementLogRequest request;
    request.set_parent(case_name);
    request.set_after_sequence(after_sequence);
    request.set_page_size(4);  // several pages
    std::vector<ag::AgreementLogEntry> all;
    for (;;) {
      ag::ListAgreementLogResponse page;
      const auto status = AgreementStub()->ListAgreementLog(Ctx(token).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      all.insert(all.end(), page.entries().begin(), page.entries().end());
      if (!status.ok() || page.next_page_token().empty()) return all;
      request.set_page_token(page.next_page_token());
    }
  }

  ag::VerifyAgreementLogResponse Verify(const std::string& token, const std::string& case_name,
                                        int64_t kept_sequence = 0, const std::string& kept_hash = "") {
    ag::VerifyAgreementLogRequest request;
    request.set_parent(case_name);
    request.set_kept_sequence(kept_sequence);
    request.set_kept_hash(kept_hash);
    ag::VerifyAgreementLogResponse out;
    const auto status = AgreementStub()->VerifyAgreementLog(Ctx(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
};

TEST_F(AgreementTest, TheScenariosAgreements) {
  const auto m = Maria();
  ag::Agreement budget;
  ASSERT_TRUE(Propose(token_, m.name, "CAW start wekelijkse budgetbegeleiding", {Org(m.caw.org), Participant(m.client)},
                      &budget, {Org(m.caw.org)}).ok());
  EXPECT_EQ(budget.current().content().performers(0).organization(), "organizations/" + m.caw.org);
  EXPECT_EQ(budget.current().content().consultation_date().day(), 20);
  auto rights = Proposed(m.name, "OCMW onderzoekt het recht op een verhoogde tegemoetkoming",
                         {Org(m.ocmw.org), Participant(m.client)});
  auto shopping = Proposed(m.name, "An doet op zaterdag de boodschappen; de thuisverpleging komt om 10 uur",
                           {Participant(m.daughter), Participant(m.client), Org(m.nursing.org)});
  EXPECT_EQ(budget.status(), ag::AGREEMENT_STATUS_PROPOSED);
  EXPECT_EQ(budget.current().version(), 1);
  ASSERT_EQ(shopping.current().answers_size(), 3);

  // Each party answers for itself; the coordinator records Maria's and her daughter's answers.
  ASSERT_TRUE(Respond(m.caw.token, budget, Org(m.caw.org), ag::ANSWER_ACCEPT).ok());
  ASSERT_TRUE(Respond(token_, budget, Participant(m.client), ag::ANSWER_ACCEPT, &budget).ok());
  EXPECT_EQ(budget.status(), ag::AGREEMENT_STATUS_IN_FORCE);
  ASSERT_TRUE(Respond(m.ocmw.token, rights, Org(m.ocmw.org), ag::ANSWER_ACCEPT).ok());
  ASSERT_TRUE(Respond(token_, rights, Participant(m.client), ag::ANSWER_ACCEPT, &rights).ok());
  EXPECT_EQ(rights.status(), ag::AGREEMENT_STATUS_IN_FORCE);
  EXPECT_EQ(rights.current().answers(0).answered_by(), m.ocmw.person);
  EXPECT_EQ(rights.current().answers(1).answered_by(), person_) << "the coordinator recorded Maria's answer";

  ASSERT_TRUE(Respond(token_, shopping, Participant(m.daughter), ag::ANSWER_ACCEPT).ok());
  ASSERT_TRUE(Respond(token_, shopping, Participant(m.client), ag::ANSWER_ACCEPT).ok());
  ASSERT_TRUE(Respond(m.nursing.token, shopping, Org(m.nursing.org), ag::ANSWER_DECLINE, &shopping,
                      "Op zaterdag komen wij om 10 uur; kan het na 11 uur?").ok());
  EXPECT_EQ(shopping.status(), ag::AGREEMENT_STATUS_DECLINED);

  // A party cannot answer for another, nor answer otherwise once it answered.
  auto status = Respond(m.caw.token, rights, Org(m.ocmw.org), ag::ANSWER_DECLINE);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorReason(status), "NOT_THIS_PARTY");
  status = Respond(m.caw.token, rights, Participant(m.client), ag::ANSWER_DECLINE);
  EXPECT_EQ(ErrorReason(status), "NOT_THIS_PARTY") << "only the coordinator records the client's answer";
  status = Respond(m.nursing.token, budget, Org(m.nursing.org), ag::ANSWER_ACCEPT);
  EXPECT_EQ(ErrorReason(status), "NOT_A_PARTY");
  status = Respond(m.ocmw.token, rights, Org(m.ocmw.org), ag::ANSWER_DECLINE);
  EXPECT_EQ(ErrorReason(status), "ALREADY_ANSWERED");
  // The same answer again is a retry: nothing new.
  const auto entries_before = Log(token_, m.name).size();
  ASSERT_TRUE(Respond(m.ocmw.token, rights, Org(m.ocmw.org), ag::ANSWER_ACCEPT).ok());
  EXPECT_EQ(Log(token_, m.name).size(), entries_before);

  // The declined agreement is amended: a new version that needs every answer again.
  ag::AmendAgreementRequest amend;
  amend.set_name(shopping.name());
  *amend.mutable_content() = shopping.current().content();
  amend.mutable_content()->set_text("An doet op zaterdag na 11 uur de boodschappen");
  amend.mutable_content()->clear_required_parties();
  for (const auto& p : {Participant(m.daughter), Participant(m.client), Org(m.nursing.org)})
    *amend.mutable_content()->add_required_parties() = p;
  amend.set_etag("1");
  ASSERT_TRUE(AgreementStub()->AmendAgreement(Ctx(token_).get(), amend, &shopping).ok());
  EXPECT_EQ(shopping.current().version(), 2);
  EXPECT_EQ(shopping.status(), ag::AGREEMENT_STATUS_PROPOSED);
  for (const auto& a : shopping.current().answers()) EXPECT_EQ(a.answer(), ag::ANSWER_UNSPECIFIED);
  auto old = shopping;
  old.mutable_current()->set_version(1);
  EXPECT_EQ(ErrorReason(Respond(m.nursing.token, old, Org(m.nursing.org), ag::ANSWER_ACCEPT)), "VERSION_SUPERSEDED");
  ASSERT_TRUE(Respond(m.nursing.token, shopping, Org(m.nursing.org), ag::ANSWER_ACCEPT).ok());
  ASSERT_TRUE(Respond(token_, shopping, Participant(m.daughter), ag::ANSWER_ACCEPT).ok());
  ASSERT_TRUE(Respond(token_, shopping, Participant(m.client), ag::ANSWER_ACCEPT, &shopping).ok());
  EXPECT_EQ(shopping.status(), ag::AGREEMENT_STATUS_IN_FORCE);
  ag::ListAgreementVersionsRequest versions_request;
  versions_request.set_name(shopping.name());
  ag::ListAgreementVersionsResponse versions;
  ASSERT_TRUE(AgreementStub()->ListAgreementVersions(Ctx(m.ocmw.token).get(), versions_request, &versions).ok());
  ASSERT_EQ(versions.versions_size(), 2);
  EXPECT_EQ(versions.versions(0).status(), ag::AGREEMENT_STATUS_SUPERSEDED);
  EXPECT_EQ(versions.versions(0).answers(2).answer(), ag::ANSWER_DECLINE);
  EXPECT_EQ(versions.versions(0).answers(2).comment(), "Op zaterdag komen wij om 10 uur; kan het na 11 uur?");
  EXPECT_EQ(versions.versions(1).status(), ag::AGREEMENT_STATUS_IN_FORCE);

  // The CAW withdraws its acceptance: the agreement is no longer in force, and awaits the CAW.
  ag::WithdrawAcceptanceRequest withdraw;
  withdraw.set_name(budget.name());
  withdraw.set_version(1);
  *withdraw.mutable_party() = Org(m.caw.org);
  withdraw.set_reason("Eerst een intake nodig");
  ASSERT_TRUE(AgreementStub()->WithdrawAcceptance(Ctx(m.caw.token).get(), withdraw, &budget).ok());
  EXPECT_EQ(budget.status(), ag::AGREEMENT_STATUS_PROPOSED);
  EXPECT_TRUE(budget.current().answers(0).withdrawn());
  ag::ListAwaitingAnswerRequest awaiting;
  awaiting.set_parent("organizations/" + m.caw.org);
  ag::ListAgreementsResponse listed;
  ASSERT_TRUE(AgreementStub()->ListAwaitingAnswer(Ctx(m.caw.token).get(), awaiting, &listed).ok());
  ASSERT_EQ(listed.agreements_size(), 1);
  EXPECT_EQ(listed.agreements(0).name(), budget.name());
  awaiting.set_parent("organizations/" + m.ocmw.org);
  listed.Clear();
  ASSERT_TRUE(AgreementStub()->ListAwaitingAnswer(Ctx(m.ocmw.token).get(), awaiting, &listed).ok());
  EXPECT_EQ(listed.agreements_size(), 0);
  ag::ListAgreementsRequest by_status;
  by_status.set_parent(m.name);
  by_status.set_status(ag::AGREEMENT_STATUS_IN_FORCE);
  listed.Clear();
  ASSERT_TRUE(AgreementStub()->ListAgreements(Ctx(m.ocmw.token).get(), by_status, &listed).ok());
  ASSERT_EQ(listed.agreements_size(), 2);
  EXPECT_EQ(listed.agreements(0).name(), rights.name());
  EXPECT_EQ(listed.agreements(1).name(), shopping.name());

  // The log: every event, chained; what changed since the start, for the case and for the OCMW.
  const auto log = Log(m.ocmw.token, m.name);
  // 3 proposals; 2 + 2 + 3 answers to the first versions; the amendment; 3 answers to it; the
  // withdrawal.
  ASSERT_EQ(log.size(), 15u);
  int answered = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].sequence(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(log[i].previous_hash(), i == 0 ? std::string(64, '0') : log[i - 1].hash());
    const auto content = nlohmann::json::parse(log[i].canonical());
    EXPECT_EQ(content["sequence"], log[i].sequence());
    EXPECT_EQ(content["agreement"], log[i].agreement());
    if (log[i].kind() == ag::EVENT_KIND_ANSWERED) ++answered;
  }
  EXPECT_EQ(answered, 10);  // 2 + 2 + 3 on version 1, 3 on version 2
  EXPECT_EQ(log[0].kind(), ag::EVENT_KIND_PROPOSED);
  EXPECT_EQ(log[13].kind(), ag::EVENT_KIND_ANSWERED);
  EXPECT_EQ(log[14].kind(), ag::EVENT_KIND_WITHDRAWN);
  EXPECT_NE(log[0].canonical().find("CAW start wekelijkse budgetbegeleiding"), std::string::npos);
  const auto verified = Verify(m.caw.token, m.name);
  EXPECT_TRUE(verified.intact()) << verified.problem();
  EXPECT_EQ(verified.entries_checked(), 15);
  EXPECT_EQ(verified.head_hash(), log.back().hash());

  // What changed, in commit order: across the OCMW's cases, then from a cursor in the case.
  ag::ListAgreementChangesRequest changes;
  changes.set_parent("organizations/" + m.ocmw.org);
  changes.set_page_size(100);
  ag::ListAgreementChangesResponse changed;
  // A transaction still running elsewhere (another test's) may hold the last ones back a moment.
  for (const auto until = std::chrono::steady_clock::now() + kCommitOrderWait;;) {
    changed.Clear();
    ASSERT_TRUE(AgreementStub()->ListAgreementChanges(Ctx(m.ocmw.token).get(), changes, &changed).ok());
    if (changed.entries_size() >= 15 || std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(changed.entries_size(), 15);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(changed.entries(i).hash(), log[i].hash());
  EXPECT_TRUE(changed.next_page_token().empty());
  ASSERT_FALSE(changed.cursor().empty());
  changes.set_after_cursor(changed.cursor());  // nothing committed since
  changed.Clear();
  ASSERT_TRUE(AgreementStub()->ListAgreementChanges(Ctx(m.ocmw.token).get(), changes, &changed).ok());
  EXPECT_EQ(changed.entries_size(), 0);
  EXPECT_FALSE(changed.cursor().empty());
  changes.set_parent(m.name);  // the first 13 of the case, then on from that page's cursor
  changes.clear_after_cursor();
  changes.set_page_size(13);
  changed.Clear();
  ASSERT_TRUE(AgreementStub()->ListAgreementChanges(Ctx(m.ocmw.token).get(), changes, &changed).ok());
  ASSERT_EQ(changed.entries_size(), 13);
  EXPECT_FALSE(changed.next_page_token().empty());
  changes.set_after_cursor(changed.cursor());
  changed.Clear();
  ASSERT_TRUE(AgreementStub()->ListAgreementChanges(Ctx(m.ocmw.token).get(), changes, &changed).ok());
  ASSERT_EQ(changed.entries_size(), 2);
  EXPECT_EQ(changed.entries(0).sequence(), 14);
  EXPECT_EQ(changed.entries(1).sequence(), 15);
  changes.set_after_cursor("not-a-cursor");
  const auto bad_cursor = AgreementStub()->ListAgreementChanges(Ctx(m.ocmw.token).get(), changes, &changed);
  EXPECT_EQ(bad_cursor.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(bad_cursor), std::vector<std::string>{"after_cursor"});

  // A stranger sees nothing; ending needs the mandate to propose.
  ag::GetAgreementRequest get;
  get.set_name(budget.name());
  ag::Agreement seen;
  EXPECT_EQ(AgreementStub()->GetAgreement(Ctx(Token(UniqueOrg("stranger"), "x")).get(), get, &seen).error_code(),
            StatusCode::NOT_FOUND);
  ag::EndAgreementRequest end;
  end.set_name(rights.name());
  end.set_reason("Recht toegekend");
  EXPECT_EQ(AgreementStub()->EndAgreement(Ctx(m.ocmw.token).get(), end, &seen).error_code(), StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(AgreementStub()->EndAgreement(Ctx(token_).get(), end, &seen).ok());
  EXPECT_EQ(seen.status(), ag::AGREEMENT_STATUS_ENDED);
  EXPECT_EQ(ErrorReason(Respond(token_, rights, Participant(m.client), ag::ANSWER_ACCEPT)), "AGREEMENT_ENDED");
}

// Someone changes a log entry in SQL, bypassing the service: verification names that entry.
// A back office that resumes from its cursor gets every change, also one that committed after a
// later one was read. A transaction held open here stands in for a writer that took its
// transaction id and has not committed yet: a change committed meanwhile is not listed before it
// ends (the cursor stays behind it); then it is. Then 4 writers in 4 cases while the back office
// (the cases' owner) polls: every entry arrives once, each case's in sequence order.
TEST_F(AgreementTest, ChangesArriveInCommitOrderWithoutAGap) {
  std::vector<MariasCase> cases;
  for (int i = 0; i < 4; ++i) cases.push_back(Maria());
  ag::ListAgreementChangesRequest request;
  request.set_parent("organizations/" + org_);
  request.set_page_size(7);
  std::map<std::string, std::vector<int64_t>> seen;  // per case name, the sequences in arrival order
  auto case_of = [](const std::string& agreement) { return agreement.substr(0, agreement.find("/agreements/")); };
  int polls = 0;
  auto poll = [&] {  // reads every page from the cursor on; returns how many entries arrived
    int arrived = 0;
    for (;;) {
      ag::ListAgreementChangesResponse page;
      const auto status = AgreementStub()->ListAgreementChanges(Ctx(token_).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return arrived;
      ++polls;
      for (const auto& e : page.entries()) seen[case_of(e.agreement())].push_back(e.sequence());
      arrived += page.entries_size();
      request.set_after_cursor(page.cursor());
      if (page.next_page_token().empty()) return arrived;
    }
  };
  // Other tests' transactions (the other deployment's, on the same database) may hold the
  // horizon back for a moment (kCommitOrderWait): what is due arrives then, never out of order.
  auto poll_until = [&](int expected) {
    int arrived = poll();
    for (const auto until = std::chrono::steady_clock::now() + kCommitOrderWait;
         arrived < expected && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      arrived += poll();
    }
    return arrived;
  };
  EXPECT_EQ(poll(), 0);

  const auto& first = cases[0];
  pqxx::connection writer(Harness::Get().database_url());
  pqxx::work held(writer);
  held.exec("SELECT pg_current_xact_id()");  // takes a transaction id, commits nothing yet
  Proposed(first.name, "Huisarts bespreekt de medicatie", {Org(first.ocmw.org)});
  EXPECT_EQ(poll(), 0) << "listed past a transaction that had not ended";
  held.commit();
  EXPECT_EQ(poll_until(1), 1);

  std::atomic<int> running{4};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (int k = 0; k < 8; ++k) Proposed(cases[w].name, "afspraak " + std::to_string(k), {Org(cases[w].ocmw.org)});
      --running;
    });
  int arrived = 0;
  while (running > 0) arrived += poll();
  for (auto& t : writers) t.join();
  arrived += poll_until(32 - arrived);
  EXPECT_EQ(arrived, 32);
  EXPECT_GT(polls, 4);
  for (const auto& c : cases) {
    std::vector<int64_t> expected;
    for (const auto& e : Log(token_, c.name)) expected.push_back(e.sequence());
    EXPECT_EQ(expected.size(), c.name == first.name ? 9u : 8u);
    EXPECT_EQ(seen[c.name], expected) << c.name;
  }
}

TEST_F(AgreementTest, TamperingIsDetected) {
  const auto m = Maria();
  auto a = Proposed(m.name, "CAW start wekelijkse budgetbegeleiding", {Org(m.caw.org), Participant(m.client)});
  ASSERT_TRUE(Respond(m.caw.token, a, Org(m.caw.org), ag::ANSWER_ACCEPT).ok());
  ASSERT_TRUE(Respond(token_, a, Participant(m.client), ag::ANSWER_ACCEPT).ok());
  ASSERT_TRUE(Verify(token_, m.name).intact());

  const std::string case_id = m.name.substr(std::string("cases/").size());
  pqxx::connection db(Harness::Get().database_url());
  {
    pqxx::nontransaction tx(db);
    EXPECT_THROW(tx.exec("UPDATE agreements.log SET canonical = 'x'"), pqxx::sql_error) << "append-only";
  }
  {
    // As a database administrator could: the trigger switched off for a moment.
    pqxx::work tx(db);
    tx.exec("ALTER TABLE agreements.log DISABLE TRIGGER log_append_only");
    tx.exec_params("UPDATE agreements.log SET canonical = replace(canonical, '\"ACCEPT\"', '\"DECLINE\"') "
                   "WHERE case_id = $1::uuid AND sequence = 2",
                   case_id);
    tx.exec("ALTER TABLE agreements.log ENABLE TRIGGER log_append_only");
    tx.commit();
  }
  auto result = Verify(token_, m.name);
  EXPECT_FALSE(result.intact());
  EXPECT_EQ(result.first_broken_sequence(), 2);
  EXPECT_EQ(result.entries_checked(), 1);
  EXPECT_FALSE(result.problem().empty());
}

// Someone removes the last entries in SQL (the chain left is whole in itself): verification
// compares against the head stored with the last append, and against the head a partner kept;
// the service refuses to extend the broken chain. A partner reads only what is new.
TEST_F(AgreementTest, ARemovedTailIsDetectedAndTheChainIsNotExtended) {
  const auto m = Maria();
  auto a = Proposed(m.name, "Wekelijks huisbezoek", {Org(m.caw.org), Participant(m.client)});
  ASSERT_TRUE(Respond(m.caw.token, a, Org(m.caw.org), ag::ANSWER_ACCEPT).ok());
  const auto kept = Verify(m.caw.token, m.name);
  ASSERT_TRUE(kept.intact());
  ASSERT_EQ(kept.head_sequence(), 2);
  ASSERT_TRUE(Respond(token_, a, Participant(m.client), ag::ANSWER_ACCEPT).ok());
  const auto news = Log(m.caw.token, m.name, kept.head_sequence());
  ASSERT_EQ(news.size(), 1u) << "only what is new since the kept head";
  EXPECT_EQ(news[0].sequence(), 3);
  EXPECT_TRUE(Verify(m.caw.token, m.name, kept.head_sequence(), kept.head_hash()).intact());

  const std::string case_id = m.name.substr(std::string("cases/").size());
  {
    pqxx::connection db(Harness::Get().database_url());
    pqxx::work tx(db);  // as a database administrator could, the trigger off for a moment
    tx.exec("ALTER TABLE agreements.log DISABLE TRIGGER log_append_only");
    tx.exec_params("DELETE FROM agreements.log WHERE case_id = $1::uuid AND sequence >= 2", case_id);
    tx.exec("ALTER TABLE agreements.log ENABLE TRIGGER log_append_only");
    tx.commit();
  }
  auto result = Verify(token_, m.name);
  EXPECT_FALSE(result.intact());
  EXPECT_EQ(result.entries_checked(), 1);
  EXPECT_EQ(result.first_broken_sequence(), 2);
  EXPECT_NE(result.problem().find("missing from the end"), std::string::npos) << result.problem();
  result = Verify(m.caw.token, m.name, kept.head_sequence(), kept.head_hash());
  EXPECT_FALSE(result.intact());

  ag::Agreement out;
  const auto status = Propose(token_, m.name, "Nog een afspraak", {Org(m.caw.org)}, &out);
  EXPECT_EQ(status.error_code(), StatusCode::DATA_LOSS);
  EXPECT_EQ(ErrorReason(status), "AGREEMENT_LOG_BROKEN");
  EXPECT_EQ(Log(token_, m.name).size(), 1u) << "nothing appended to a broken chain";

  // Bad input: a negative sequence, a malformed kept head.
  ag::ListAgreementLogRequest list;
  list.set_parent(m.name);
  list.set_after_sequence(-1);
  ag::ListAgreementLogResponse page;
  const auto bad_list = AgreementStub()->ListAgreementLog(Ctx(token_).get(), list, &page);
  EXPECT_EQ(bad_list.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(bad_list), std::vector<std::string>{"after_sequence"});
  ag::VerifyAgreementLogRequest verify;
  verify.set_parent(m.name);
  verify.set_kept_hash("XYZ");
  ag::VerifyAgreementLogResponse verified;
  const auto bad_verify = AgreementStub()->VerifyAgreementLog(Ctx(token_).get(), verify, &verified);
  EXPECT_EQ(bad_verify.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(bad_verify), (std::vector<std::string>{"kept_sequence", "kept_hash"}));
}

// A chain longer than a page (1,000 entries) is verified page by page in one snapshot: whole, it
// verifies to its last entry; with an entry in a later page changed, verification names it.
TEST_F(AgreementTest, ALongChainIsVerifiedPageByPage) {
  const auto m = Maria();
  const auto a = Proposed(m.name, "Wekelijks huisbezoek", {Org(m.caw.org)});
  const std::string case_id = m.name.substr(std::string("cases/").size());
  constexpr int kLast = 2600;
  {
    // Valid entries appended as the schemas' owner could, each hashed over the one before.
    pqxx::connection db(Harness::Get().database_url());
    pqxx::work tx(db);
    tx.exec_params(
        "WITH RECURSIVE head AS (SELECT last_sequence, last_hash FROM agreements.chain_heads WHERE case_id = $1::uuid), "
        "chain(sequence, canonical, previous_hash, hash) AS ("
        "  SELECT h.last_sequence + 1, c, h.last_hash, encode(sha256(convert_to(h.last_hash || E'\\n' || c, 'UTF8')), 'hex') "
        "  FROM head h, LATERAL (SELECT '{\"sequence\":' || (h.last_sequence + 1) || '}' AS c) x "
        "  UNION ALL "
        "  SELECT k.sequence + 1, c, k.hash, encode(sha256(convert_to(k.hash || E'\\n' || c, 'UTF8')), 'hex') "
        "  FROM chain k, LATERAL (SELECT '{\"sequence\":' || (k.sequence + 1) || '}' AS c) y WHERE k.sequence < $2) "
        "INSERT INTO agreements.log (case_id, sequence, kind, agreement_id, version, event_time, canonical, previous_hash, hash) "
        "SELECT $1::uuid, sequence, 1, $3::uuid, 1, now(), canonical, previous_hash, hash FROM chain",
        case_id, kLast, a.name().substr(a.name().rfind('/') + 1));
    tx.exec_params("UPDATE agreements.chain_heads SET last_sequence = l.sequence, last_hash = l.hash "
                   "FROM agreements.log l WHERE chain_heads.case_id = $1::uuid AND l.case_id = $1::uuid AND l.sequence = $2",
                   case_id, kLast);
    tx.commit();
  }
  auto result = Verify(token_, m.name);
  EXPECT_TRUE(result.intact()) << result.problem();
  EXPECT_EQ(result.entries_checked(), kLast);
  EXPECT_EQ(result.head_sequence(), kLast);
  {
    pqxx::connection db(Harness::Get().database_url());
    pqxx::work tx(db);
    tx.exec("ALTER TABLE agreements.log DISABLE TRIGGER log_append_only");
    tx.exec_params("UPDATE agreements.log SET canonical = '{\"sequence\":1700,\"x\":1}' "
                   "WHERE case_id = $1::uuid AND sequence = 1700", case_id);
    tx.exec("ALTER TABLE agreements.log ENABLE TRIGGER log_append_only");
    tx.commit();
  }
  result = Verify(token_, m.name);
  EXPECT_FALSE(result.intact());
  EXPECT_EQ(result.first_broken_sequence(), 1700);
  EXPECT_EQ(result.entries_checked(), 1699);
  EXPECT_NE(result.problem().find("hash does not match"), std::string::npos) << result.problem();
}

// Two parties answer the same agreement at the same moment, over two connections: both answers
// are recorded, the agreement is in force, and the chain stays whole.
TEST_F(AgreementTest, TwoPartiesAnswerAtTheSameMoment) {
  const auto m = Maria();
  for (int round = 0; round < 5; ++round) {
    const auto a = Proposed(m.name, "Overleg over de huur, ronde " + std::to_string(round),
                            {Org(m.caw.org), Org(m.ocmw.org)});
    std::atomic<int> ok{0};
    auto answer = [&](const Partner& p) {
      auto stub = ag::AgreementService::NewStub(Harness::Get().NewChannel(ag::AgreementService::service_full_name()));
      ag::RespondToAgreementRequest request;
      request.set_name(a.name());
      request.set_version(1);
      *request.mutable_party() = Org(p.org);
      request.set_answer(ag::ANSWER_ACCEPT);
      ag::Agreement out;
      if (stub->RespondToAgreement(Ctx(p.token).get(), request, &out).ok()) ++ok;
    };
    std::thread caw(answer, m.caw), ocmw(answer, m.ocmw);
    caw.join();
    ocmw.join();
    EXPECT_EQ(ok.load(), 2);
    const auto now = Get(token_, a.name());
    EXPECT_EQ(now.status(), ag::AGREEMENT_STATUS_IN_FORCE);
    EXPECT_EQ(now.current().answers(0).answer(), ag::ANSWER_ACCEPT);
    EXPECT_EQ(now.current().answers(1).answer(), ag::ANSWER_ACCEPT);
  }
  const auto verified = Verify(token_, m.name);
  EXPECT_TRUE(verified.intact()) << verified.problem();
  EXPECT_EQ(verified.entries_checked(), 15);  // 5 x (proposed + 2 answers)
}

// An agreement serves goals of the case's care plan: CarePlanService is asked whether they exist,
// after the access decision. A goal that is not there is the proposer's mistake, answered before
// anything is written.
TEST_F(AgreementTest, TheGoalsAnAgreementServesAreInTheCasesCarePlan) {
  const auto m = Maria();
  careplan_v1::CreateGoalRequest create_goal;
  create_goal.set_parent(m.name);
  create_goal.mutable_goal()->set_statement("Ik wil mijn schulden afbetalen");
  create_goal.mutable_goal()->set_life_domain(kruispunt::type::v1::LIFE_DOMAIN_FINANCES);
  create_goal.mutable_goal()->set_held_by(m.client);
  create_goal.mutable_goal()->set_priority(1);
  careplan_v1::Goal goal;
  ASSERT_TRUE(CarePlanStub()->CreateGoal(Ctx(token_).get(), create_goal, &goal).ok());
  const std::string missing = m.name + "/goals/00000000-0000-4000-8000-00000000beef";

  const auto propose = [&](const std::string& token, std::vector<std::string> goals, ag::Agreement* out) {
    ag::ProposeAgreementRequest request;
    request.set_parent(m.name);
    request.mutable_content()->set_text("CAW start wekelijkse budgetbegeleiding");
    *request.mutable_content()->add_required_parties() = Org(m.caw.org);
    for (const auto& g : goals) request.mutable_content()->add_goals(g);
    return AgreementStub()->ProposeAgreement(Ctx(token).get(), request, out);
  };
  const auto entries_before = Log(token_, m.name).size();
  ag::Agreement budget;
  auto status = propose(token_, {goal.name(), missing}, &budget);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"content.goals"});
  EXPECT_NE(status.error_details().find(missing), std::string::npos);
  EXPECT_EQ(status.error_details().find(goal.name()), std::string::npos);
  EXPECT_EQ(Log(token_, m.name).size(), entries_before);  // nothing proposed
  // Someone who may not propose learns nothing about the goals.
  EXPECT_EQ(propose(m.caw.token, {missing}, &budget).error_code(), StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(propose(token_, {goal.name()}, &budget).ok());
  ASSERT_EQ(budget.current().content().goals_size(), 1);
  EXPECT_EQ(budget.current().content().goals(0), goal.name());

  // An amendment is checked the same way.
  ag::AmendAgreementRequest amend;
  amend.set_name(budget.name());
  *amend.mutable_content() = budget.current().content();
  amend.mutable_content()->add_goals(missing);
  ag::Agreement amended;
  status = AgreementStub()->AmendAgreement(Ctx(token_).get(), amend, &amended);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status), std::vector<std::string>{"content.goals"});

  // DescribeGoals answers Kruispunt's own services only.
  careplan_v1::DescribeGoalsRequest describe;
  describe.set_parent(m.name);
  describe.add_goals(missing);
  describe.add_goals(goal.name());
  careplan_v1::DescribeGoalsResponse described;
  auto careplan = CarePlanInternalStub();
  EXPECT_EQ(ErrorReason(careplan->DescribeGoals(Ctx(token_).get(), describe, &described)), "SERVICE_ONLY");
  const auto service = ServiceToken();
  ASSERT_TRUE(careplan->DescribeGoals(Ctx(service).get(), describe, &described).ok());
  EXPECT_EQ(std::vector<bool>(described.exists().begin(), described.exists().end()), (std::vector<bool>{false, true}));
  describe.add_goals("cases/00000000-0000-4000-8000-000000000000/goals/00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(ViolationFields(careplan->DescribeGoals(Ctx(service).get(), describe, &described)),
            std::vector<std::string>{"goals[2]"});
}

TEST_F(AgreementTest, BadInput) {
  const auto m = Maria();
  ag::ProposeAgreementRequest request;
  request.set_parent(m.name);
  auto* c = request.mutable_content();
  *c->add_required_parties() = Org(m.caw.org);
  *c->add_required_parties() = Org(m.caw.org);
  *c->add_required_parties() = Participant("cases/00000000-0000-4000-8000-000000000000/participants/"
                                           "00000000-0000-4000-8000-000000000001");
  c->add_goals("goals/1");
  c->mutable_start_date()->set_year(2027);
  c->mutable_start_date()->set_month(1);
  c->mutable_start_date()->set_day(10);
  c->mutable_end_date()->set_year(2026);
  c->mutable_end_date()->set_month(12);
  c->mutable_end_date()->set_day(31);
  ag::Agreement out;
  auto status = AgreementStub()->ProposeAgreement(Ctx(token_).get(), request, &out);
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolationFields(status),
            (std::vector<std::string>{"content.text", "content.goals", "content.required_parties",
                                      "content.required_parties[2].participant", "content.end_date"}));

  // A party that does not take part in the case.
  status = Propose(token_, m.name, "Iets", {Org(UniqueOrg("elders"))}, &out);
  EXPECT_EQ(ErrorReason(status), "PARTY_NOT_IN_TEAM");
  // The CAW may answer but not propose.
  status = Propose(m.caw.token, m.name, "Iets", {Org(m.caw.org)}, &out);
  EXPECT_EQ(status.error_code(), StatusCode::PERMISSION_DENIED);

  // An idempotent proposal.
  request.Clear();
  request.set_parent(m.name);
  request.mutable_content()->set_text("Huisbezoek elke maand");
  *request.mutable_content()->add_required_parties() = Participant(m.client);
  request.set_request_id("6a1f2e3d-4c5b-4a69-8877-665544332211");
  ag::Agreement first, again;
  ASSERT_TRUE(AgreementStub()->ProposeAgreement(Ctx(token_).get(), request, &first).ok());
  ASSERT_TRUE(AgreementStub()->ProposeAgreement(Ctx(token_).get(), request, &again).ok());
  EXPECT_EQ(first.name(), again.name());
  EXPECT_EQ(Log(token_, m.name).size(), 1u);

  ag::RespondToAgreementRequest respond;
  respond.set_name(first.name());
  status = AgreementStub()->RespondToAgreement(Ctx(token_).get(), respond, &out);
  EXPECT_EQ(ViolationFields(status), (std::vector<std::string>{"version", "party", "answer"}));
}

}  // namespace
}  // namespace kp::test
