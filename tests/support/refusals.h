// What a request validation refused, for the unit tests of the pure validation functions.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/errors.h"

namespace kp::test {

// The field violations `validate` threw, in order; none when it accepted. Throwing anything but
// INVALID_ARGUMENT fails the test.
inline std::vector<FieldViolation> Refusals(const std::function<void()>& validate) {
  try {
    validate();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), grpc::StatusCode::INVALID_ARGUMENT) << e.what();
    return e.violations();
  }
  return {};
}

// The fields of Refusals(validate).
inline std::vector<std::string> RefusedFields(const std::function<void()>& validate) {
  std::vector<std::string> fields;
  for (const auto& v : Refusals(validate)) fields.push_back(v.field);
  return fields;
}

}  // namespace kp::test
