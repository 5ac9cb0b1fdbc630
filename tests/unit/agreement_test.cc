// The agreement log's hash chain, an agreement's status and the rule for a party's answer, and
// request validation, as pure functions.
#include <gtest/gtest.h>

#include <cstdio>

#include "agreements/domain/agreement_log.h"
#include "agreements/domain/agreement_rules.h"
#include "agreements/grpc/agreement_validation.h"
#include "common/errors.h"
#include "support/refusals.h"

namespace kp::agreements {
namespace {

using nlohmann::json;

TEST(AgreementLog, CanonicalFormAndHashMatchAnIndependentImplementation) {
  const json content = {{"sequence", 1},
                        {"kind", "PROPOSED"},
                        {"content", {{"text", "An doet op zaterdag de boodschappen — na 11 uur"}, {"goals", json::array()}}},
                        {"actor", {{"person", "p"}, {"organization", "o"}}}};
  const auto canonical = Canonical(content);
  // Python: json.dumps(x, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
  EXPECT_EQ(canonical,
            "{\"actor\":{\"organization\":\"o\",\"person\":\"p\"},\"content\":{\"goals\":[],\"text\":\"An doet op "
            "zaterdag de boodschappen — na 11 uur\"},\"kind\":\"PROPOSED\",\"sequence\":1}");
  // Python: hashlib.sha256(("0" * 64 + "\n" + canonical).encode()).hexdigest()
  EXPECT_EQ(ChainHash(kGenesisHash, canonical), "eaff20f628ff76fd6ca431b816ae802bec2a1d1210af93580eb70fe314ebd676");
  EXPECT_EQ(Canonical(json{{"t", "a\"b\\c\nd\x01"}}), "{\"t\":\"a\\\"b\\\\c\\nd\\u0001\"}");
}

std::vector<LogEntry> Chain(int length) {
  std::vector<LogEntry> entries;
  std::string previous = kGenesisHash;
  for (int i = 1; i <= length; ++i) {
    const auto canonical = Canonical({{"sequence", i}, {"kind", "ANSWERED"}, {"answer", "ACCEPT"}});
    entries.push_back({i, canonical, previous, ChainHash(previous, canonical)});
    previous = entries.back().hash;
  }
  return entries;
}

ChainHead HeadOf(const std::vector<LogEntry>& entries) {
  return entries.empty() ? ChainHead{} : ChainHead{entries.back().sequence, entries.back().hash};
}

TEST(AgreementLog, VerifyNamesTheFirstBrokenEntry) {
  auto entries = Chain(5);
  const auto head = HeadOf(entries);
  auto v = Verify(entries, head);
  EXPECT_TRUE(v.intact);
  EXPECT_EQ(v.checked, 5);
  EXPECT_EQ(v.head_hash, entries.back().hash);
  EXPECT_TRUE(Verify({}, ChainHead{}).intact);
  EXPECT_EQ(Verify({}, ChainHead{}).head_hash, kGenesisHash);

  auto altered = entries;
  altered[2].canonical.replace(altered[2].canonical.find("ACCEPT"), 6, "DECLINE");
  v = Verify(altered, head);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 3);
  EXPECT_EQ(v.checked, 2);

  // Rehashing the altered entry does not help: the next one no longer follows it.
  altered[2].hash = ChainHash(altered[2].previous_hash, altered[2].canonical);
  EXPECT_EQ(Verify(altered, head).first_broken, 4);

  auto missing = entries;
  missing.erase(missing.begin() + 1);
  EXPECT_EQ(Verify(missing, head).first_broken, 3);

  // An entry whose content claims another place in the chain.
  auto moved = Chain(2);
  moved[1].canonical = Canonical({{"sequence", 7}});
  moved[1].hash = ChainHash(moved[1].previous_hash, moved[1].canonical);
  EXPECT_EQ(Verify(moved, HeadOf(moved)).first_broken, 2);
}

// Entries removed from the end leave a chain that is whole in itself: the stored head tells.
TEST(AgreementLog, VerifyChecksTheChainEndsAtItsStoredHead) {
  const auto entries = Chain(5);
  auto shortened = entries;
  shortened.pop_back();
  auto v = Verify(shortened, HeadOf(entries));
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 5);
  EXPECT_EQ(v.checked, 4);
  EXPECT_FALSE(Verify({}, HeadOf(entries)).intact) << "every entry removed";
  EXPECT_EQ(Verify(entries, HeadOf(shortened)).first_broken, 5) << "an entry past the stored head";
  auto other_head = HeadOf(entries);
  other_head.last_hash = ChainHash(kGenesisHash, "x");
  EXPECT_EQ(Verify(entries, other_head).first_broken, 5);
}

// A chain rewritten from its start (every hash recomputed, the stored head too) is whole; the head
// a partner kept from before is not in it.
TEST(AgreementLog, VerifyChecksAKeptHead) {
  const auto entries = Chain(5);
  const ChainHead kept{3, entries[2].hash};
  EXPECT_TRUE(Verify(entries, HeadOf(entries), kept).intact);
  std::vector<LogEntry> rewritten;
  std::string previous = kGenesisHash;
  for (int i = 1; i <= 5; ++i) {
    const auto canonical = Canonical({{"sequence", i}, {"kind", "ANSWERED"}, {"answer", "DECLINE"}});
    rewritten.push_back({i, canonical, previous, ChainHash(previous, canonical)});
    previous = rewritten.back().hash;
  }
  ASSERT_TRUE(Verify(rewritten, HeadOf(rewritten)).intact);
  auto v = Verify(rewritten, HeadOf(rewritten), kept);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken, 3);
  EXPECT_EQ(Verify(Chain(2), HeadOf(Chain(2)), kept).first_broken, 3) << "the kept entry is gone";
}

TEST(AgreementRules, StatusFollowsTheAnswers) {
  using A = v1::Answer;
  EXPECT_EQ(DeriveStatus(false, {A::ANSWER_UNSPECIFIED, A::ANSWER_ACCEPT}), v1::AGREEMENT_STATUS_PROPOSED);
  EXPECT_EQ(DeriveStatus(false, {A::ANSWER_ACCEPT, A::ANSWER_ACCEPT}), v1::AGREEMENT_STATUS_IN_FORCE);
  EXPECT_EQ(DeriveStatus(false, {A::ANSWER_ACCEPT, A::ANSWER_DECLINE}), v1::AGREEMENT_STATUS_DECLINED);
  EXPECT_EQ(DeriveStatus(false, {A::ANSWER_UNSPECIFIED, A::ANSWER_DECLINE}), v1::AGREEMENT_STATUS_DECLINED);
  EXPECT_EQ(DeriveStatus(true, {A::ANSWER_ACCEPT}), v1::AGREEMENT_STATUS_ENDED);
  EXPECT_EQ(DeriveStatus(false, {}), v1::AGREEMENT_STATUS_PROPOSED) << "no parties, nobody agreed";

  EXPECT_EQ(ConsiderAnswer(A::ANSWER_UNSPECIFIED, A::ANSWER_DECLINE), AnswerOutcome::kRecord);
  EXPECT_EQ(ConsiderAnswer(A::ANSWER_ACCEPT, A::ANSWER_ACCEPT), AnswerOutcome::kAlreadyGiven);
  EXPECT_EQ(ConsiderAnswer(A::ANSWER_ACCEPT, A::ANSWER_DECLINE), AnswerOutcome::kConflicts);
  EXPECT_EQ(ConsiderAnswer(A::ANSWER_DECLINE, A::ANSWER_ACCEPT), AnswerOutcome::kConflicts);
}

TEST(AgreementValidation, PartiesAndContent) {
  const std::string c = "cases/3f2a6c1e-0b7d-4e8a-9c1f-2d3e4f5a6b7c";
  v1::ProposeAgreementRequest request;
  request.set_parent(c);
  auto* content = request.mutable_content();
  content->set_text("CAW start wekelijkse budgetbegeleiding");
  content->add_required_parties()->set_organization("organizations/caw-ob");
  content->add_required_parties()->set_participant(c + "/participants/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  content->add_goals(c + "/goals/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f");
  const auto p = ValidatePropose(request);
  EXPECT_EQ(p.content.parties,
            (std::vector<std::string>{"organizations/caw-ob", "participants/7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f"}));
  EXPECT_EQ(p.content.goal_ids, std::vector<std::string>{"7c6b5a4f-3e2d-4f1c-8a9e-7d0b1e6c2a3f"});

  content->add_required_parties();  // names nobody
  content->add_performers()->set_organization("organizations/");
  content->set_schedule(std::string(201, 's'));
  EXPECT_EQ(test::RefusedFields([&] { ValidatePropose(request); }),
            (std::vector<std::string>{"content.schedule", "content.performers[0].organization",
                                      "content.required_parties[2]"}));
}

// CarePlanService is asked about an agreement's goals, and TeamService about its parties, in one
// call each: their numbers are bounded.
TEST(AgreementValidation, AtMostFiftyGoalsPerformersAndRequiredParties) {
  const std::string c = "cases/3f2a6c1e-0b7d-4e8a-9c1f-2d3e4f5a6b7c";
  v1::ProposeAgreementRequest request;
  request.set_parent(c);
  request.mutable_content()->set_text("CAW start wekelijkse budgetbegeleiding");
  request.mutable_content()->add_required_parties()->set_organization("organizations/caw-ob");
  const auto add_goal = [&](int i) {
    char id[37];
    std::snprintf(id, sizeof id, "7c6b5a4f-3e2d-4f1c-8a9e-%012d", i);
    request.mutable_content()->add_goals(c + "/goals/" + id);
  };
  for (int i = 0; i < 50; ++i) add_goal(i);
  EXPECT_EQ(ValidatePropose(request).content.goal_ids.size(), 50u);
  add_goal(50);
  EXPECT_EQ(test::RefusedFields([&] { ValidatePropose(request); }), std::vector<std::string>{"content.goals"});

  request.mutable_content()->clear_goals();
  for (int i = 1; i < 50; ++i) {
    request.mutable_content()->add_required_parties()->set_organization("organizations/org-" + std::to_string(i));
    request.mutable_content()->add_performers()->set_organization("organizations/org-" + std::to_string(i));
  }
  EXPECT_EQ(ValidatePropose(request).content.parties.size(), 50u);
  request.mutable_content()->add_required_parties()->set_organization("organizations/org-50");
  request.mutable_content()->add_performers()->set_organization("organizations/org-50");
  request.mutable_content()->add_performers()->set_organization("organizations/org-51");
  EXPECT_EQ(test::RefusedFields([&] { ValidatePropose(request); }),
            (std::vector<std::string>{"content.performers", "content.required_parties"}));
}

}  // namespace
}  // namespace kp::agreements
