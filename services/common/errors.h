// One place that turns the project's errors into gRPC status codes with google.rpc details.
#pragma once

#include <grpcpp/support/status.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kp {

// The ErrorInfo domain of every error this project raises.
inline constexpr const char* kErrorDomain = "kruispunt.be";

struct FieldViolation {
  std::string field;        // path in the request, e.g. "case.title"
  std::string description;  // what is wrong, never the offending value (it may be personal data)
};

// An error meant for the caller: a canonical code, a machine-readable reason, a message without
// personal data, and optional field violations.
class Error : public std::runtime_error {
 public:
  Error(grpc::StatusCode code, std::string reason, std::string message,
        std::vector<FieldViolation> violations = {},
        std::map<std::string, std::string> metadata = {});

  static Error InvalidArgument(std::vector<FieldViolation> violations);
  static Error InvalidField(std::string field, std::string description);
  static Error NotFound(std::string reason, std::string message);
  static Error AlreadyExists(std::string reason, std::string message);
  static Error FailedPrecondition(std::string reason, std::string message);
  static Error Aborted(std::string reason, std::string message);
  static Error PermissionDenied(std::string reason, std::string message);
  static Error Unauthenticated(std::string reason, std::string message);
  static Error Unavailable(std::string reason, std::string message);

  grpc::StatusCode code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::vector<FieldViolation>& violations() const { return violations_; }

  // The status with a serialized google.rpc.Status (ErrorInfo, BadRequest) as details.
  grpc::Status ToStatus() const;

 private:
  grpc::StatusCode code_;
  std::string reason_;
  std::vector<FieldViolation> violations_;
  std::map<std::string, std::string> metadata_;
};

// A status to answer the caller with as it is: a peer service's answer (with its google.rpc
// details), or an access decision's denial.
class StatusError : public std::runtime_error {
 public:
  explicit StatusError(grpc::Status status) : std::runtime_error(status.error_message()), status_(std::move(status)) {}
  const grpc::Status& status() const { return status_; }

 private:
  grpc::Status status_;
};

// What anyone who may not see a case is told, the same as for a case that does not exist.
Error CaseNotFound();

// Maps a named database constraint to the caller's error, so that a unique violation becomes a
// precise ALREADY_EXISTS. Services register their constraints once at start-up.
void RegisterConstraintError(const std::string& constraint, Error error);

// Converts whatever a handler threw into the status the caller receives. Anything that is not
// the caller's mistake becomes INTERNAL (or UNAVAILABLE for a lost database) and is logged with
// the method name but without SQL text or data.
grpc::Status StatusFromException(std::exception_ptr error, std::string_view method);

}  // namespace kp
