// A case's id derived from its owner and request id: the same for a retry, another for anyone
// else, and a valid UUID of version 8.
#include "cases/domain/case_id.h"

#include <gtest/gtest.h>

#include "common/validation.h"

using kp::cases::CaseIdFor;

TEST(CaseId, TheSameOwnerAndRequestIdGiveTheSameIdAndNothingElseDoes) {
  const std::string request = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  const auto id = CaseIdFor("dmw-cm", request);
  EXPECT_EQ(id, CaseIdFor("dmw-cm", request));
  EXPECT_NE(id, CaseIdFor("caw-oost", request));
  EXPECT_NE(id, CaseIdFor("dmw-cm", "0b7d1c3e-52e2-4c8f-9a51-2f0d3b8f6a11"));
  // The separator keeps "ab" + "c..." apart from "a" + "bc...".
  EXPECT_NE(CaseIdFor("ab", "c"), CaseIdFor("a", "bc"));
}

TEST(CaseId, IsAUuidOfVersion8) {
  for (const std::string org : {"dmw-cm", "caw-oost", "ocmw-gent"}) {
    const auto id = CaseIdFor(org, "7c9e6679-7425-40de-944b-e07fc1f90ae7");
    EXPECT_TRUE(kp::IsUuid(id)) << id;
    EXPECT_EQ(id[14], '8') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  }
}
