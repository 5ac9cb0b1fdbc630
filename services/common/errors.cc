#include "common/errors.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <typeinfo>
#include <pqxx/except>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace kp {

Error::Error(grpc::StatusCode code, std::string reason, std::string message,
             std::vector<FieldViolation> violations, std::map<std::string, std::string> metadata)
    : std::runtime_error(message),
      code_(code),
      reason_(std::move(reason)),
      violations_(std::move(violations)),
      metadata_(std::move(metadata)) {}

Error Error::InvalidArgument(std::vector<FieldViolation> violations) {
  std::string message = "invalid request:";
  for (const auto& v : violations) message += " " + v.field + ": " + v.description + ";";
  message.pop_back();
  return Error(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", message,
               std::move(violations));
}
Error Error::InvalidField(std::string field, std::string description) {
  return InvalidArgument({{std::move(field), std::move(description)}});
}
Error Error::NotFound(std::string reason, std::string message) {
  return Error(grpc::StatusCode::NOT_FOUND, std::move(reason), std::move(message));
}
Error Error::AlreadyExists(std::string reason, std::string message) {
  return Error(grpc::StatusCode::ALREADY_EXISTS, std::move(reason), std::move(message));
}
Error Error::FailedPrecondition(std::string reason, std::string message) {
  return Error(grpc::StatusCode::FAILED_PRECONDITION, std::move(reason), std::move(message));
}
Error Error::Aborted(std::string reason, std::string message) {
  return Error(grpc::StatusCode::ABORTED, std::move(reason), std::move(message));
}
Error Error::PermissionDenied(std::string reason, std::string message) {
  return Error(grpc::StatusCode::PERMISSION_DENIED, std::move(reason), std::move(message));
}
Error Error::Unauthenticated(std::string reason, std::string message) {
  return Error(grpc::StatusCode::UNAUTHENTICATED, std::move(reason), std::move(message));
}
Error Error::Unavailable(std::string reason, std::string message) {
  return Error(grpc::StatusCode::UNAVAILABLE, std::move(reason), std::move(message));
}

grpc::Status Error::ToStatus() const {
  google::rpc::Status status;
  status.set_code(static_cast<int>(code_));
  status.set_message(what());
  google::rpc::ErrorInfo info;
  info.set_reason(reason_);
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : metadata_) (*info.mutable_metadata())[key] = value;
  status.add_details()->PackFrom(info);
  if (!violations_.empty()) {
    google::rpc::BadRequest bad_request;
    for (const auto& v : violations_) {
      auto* fv = bad_request.add_field_violations();
      fv->set_field(v.field);
      fv->set_description(v.description);
    }
    status.add_details()->PackFrom(bad_request);
  }
  return grpc::Status(code_, what(), status.SerializeAsString());
}

namespace {
std::mutex constraint_mutex;
std::map<std::string, Error>& ConstraintErrors() {
  static std::map<std::string, Error> errors;
  return errors;
}

// libpqxx 6 does not expose the constraint name; PostgreSQL's message (lc_messages C) names it
// in quotes after the word "constraint".
std::string ConstraintName(const std::string& message) {
  const std::string marker = "constraint \"";
  auto start = message.find(marker);
  if (start == std::string::npos) return {};
  start += marker.size();
  auto end = message.find('"', start);
  return end == std::string::npos ? std::string{} : message.substr(start, end - start);
}
}  // namespace

void RegisterConstraintError(const std::string& constraint, Error error) {
  std::lock_guard lock(constraint_mutex);
  ConstraintErrors().insert_or_assign(constraint, std::move(error));
}

grpc::Status StatusFromException(std::exception_ptr error, std::string_view method) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e.ToStatus();
  } catch (const StatusError& e) {
    return e.status();
  } catch (const pqxx::in_doubt_error&) {
    spdlog::warn("method={} connection lost during commit; outcome unknown", method);
    return Error::Unavailable("OUTCOME_UNKNOWN",
                              "the database connection was lost while committing; retry with the "
                              "same request_id").ToStatus();
  } catch (const pqxx::broken_connection&) {
    spdlog::warn("method={} database connection lost", method);
    return Error::Unavailable("DATABASE_UNAVAILABLE", "the database is unreachable; retry later")
        .ToStatus();
  } catch (const pqxx::integrity_constraint_violation& e) {
    const std::string constraint = ConstraintName(e.what());
    {
      std::lock_guard lock(constraint_mutex);
      auto it = ConstraintErrors().find(constraint);
      if (it != ConstraintErrors().end()) return it->second.ToStatus();
    }
    spdlog::error("method={} unmapped constraint violation sqlstate={} constraint={}", method,
                  e.sqlstate(), constraint);
  } catch (const pqxx::sql_error& e) {
    spdlog::error("method={} database error sqlstate={}", method, e.sqlstate());
  } catch (const std::exception& e) {
    spdlog::error("method={} internal error type={}", method, typeid(e).name());
  } catch (...) {
    spdlog::error("method={} internal error of unknown type", method);
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
}

Error CaseNotFound() {
  return Error::NotFound("CASE_NOT_FOUND", "no such case, or not visible to your organisation");
}

}  // namespace kp
