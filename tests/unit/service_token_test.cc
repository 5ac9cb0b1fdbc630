#include "common/service_token.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "support/test_keys.h"

using kp::ServiceToken;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

class ServiceTokenTest : public ::testing::Test {
 protected:
  void Write(const std::string& content) { std::ofstream(path_) << content; }
  const std::string path_ = kp::test::MakeTempDir() + "/service.jwt";
};

TEST_F(ServiceTokenTest, AServerDoesNotStartWithoutAToken) {
  EXPECT_THROW(ServiceToken(path_, seconds{30}), std::runtime_error);  // no file
  Write(" \n");
  EXPECT_THROW(ServiceToken(path_, seconds{30}), std::runtime_error);  // only white space
}

TEST_F(ServiceTokenTest, ReadsTheTokenWithoutTheTrailingNewline) {
  Write("header.claims.signature\n");
  ServiceToken token(path_, seconds{30});
  EXPECT_EQ(token.Current(), "header.claims.signature");
}

TEST_F(ServiceTokenTest, FollowsTheFileOnceTheRecheckTimeHasPassed) {
  Write("first");
  ServiceToken token(path_, seconds{0});
  Write("second\n");
  EXPECT_EQ(token.Current(), "second");
}

TEST_F(ServiceTokenTest, DoesNotReadTheFileBeforeTheRecheckTime) {
  Write("first");
  ServiceToken token(path_, hours{1});
  Write("second");
  EXPECT_EQ(token.Current(), "first");
}

TEST_F(ServiceTokenTest, KeepsTheLastTokenWhileTheFileIsEmptyOrGone) {
  Write("first");
  ServiceToken token(path_, seconds{0});
  Write("");
  EXPECT_EQ(token.Current(), "first");
  std::filesystem::remove(path_);
  EXPECT_EQ(token.Current(), "first");
  Write("second");
  EXPECT_EQ(token.Current(), "second");
}

}  // namespace
