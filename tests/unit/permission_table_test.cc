// Which mandate permission allows which category of data and action is written down where
// integrators read it, the README and team.proto, as one table rendered here from the one place
// that decides it (consent::PermissionsFor). Changing the rule without the documents fails.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "consent/domain/access_decision.h"
#include "kruispunt/consent/v1/consent.pb.h"
#include "kruispunt/team/v1/team.pb.h"

namespace kp::consent {
namespace {

std::string Permissions(int32_t bits) {
  std::string out;
  for (int p = 1; p <= 7; ++p)
    if (bits & PermissionBit(p)) {
      const std::string name = kruispunt::team::v1::Permission_Name(static_cast<kruispunt::team::v1::Permission>(p));
      out += (out.empty() ? "`" : ", `") + name.substr(std::string("PERMISSION_").size()) + "`";
    }
  return out.empty() ? "the owner only" : out;
}

std::string Table() {
  std::string table = "| data category | read: a mandate with any of | write: a mandate with any of |\n|---|---|---|\n";
  for (int c = 1; c <= 8; ++c) {
    const auto category = static_cast<Category>(c);
    const std::string name =
        kruispunt::consent::v1::DataCategory_Name(static_cast<kruispunt::consent::v1::DataCategory>(c));
    table += "| `" + name.substr(std::string("DATA_CATEGORY_").size()) + "` | " +
             Permissions(PermissionsFor(category, Action::kRead)) + " | " +
             Permissions(PermissionsFor(category, Action::kWrite)) + " |\n";
  }
  return table;
}

std::string Read(const std::string& path) {
  std::ifstream in(std::string(KP_SOURCE_DIR) + "/" + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PermissionTable, TheReadmeAndTheProtoShowTheRuleTheDecisionApplies) {
  const std::string table = Table();
  EXPECT_NE(Read("README.md").find(table), std::string::npos) << "README.md should hold:\n" << table;
  std::string commented;
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) commented += "// " + line + "\n";
  EXPECT_NE(Read("proto/kruispunt/team/v1/team.proto").find(commented), std::string::npos)
      << "team.proto should hold, above enum Permission:\n" << commented;
}

}  // namespace
}  // namespace kp::consent
