// The one way a unary RPC is served: authenticate the caller (cached), check that the caller's
// organisation is active (cached), hand the work to a database worker, retry a serialization
// failure, map any error to a status with details, and write one access line. Every handler of
// every service goes through BeginCall (ServeUnary and the Coalescer build on it), so no method
// can forget authentication, the organisation check or logging.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/auth.h"
#include "common/db_pool.h"
#include "common/peers.h"

namespace kp {

// What a process shares between its services.
struct Runtime {
  Authenticator* auth;
  DbPool* db;
  OrganizationGate* orgs;
  Peers* peers;
};

// One RPC as the handler sees it.
struct Call {
  Identity caller;
  std::string request_id;  // x-request-id from the client, or generated; echoed back
};

// An authenticated RPC in flight. Finish answers the client and writes the access line.
class PendingCall {
 public:
  PendingCall(grpc::ServerUnaryReactor* reactor, grpc::CallbackServerContext* context,
              const char* method, Call call, std::chrono::steady_clock::time_point start)
      : reactor_(reactor), context_(context), method_(method), call_(std::move(call)), start_(start) {}

  const Call& call() const { return call_; }
  const char* method() const { return method_; }
  bool DeadlinePassed() const;
  void Finish(const grpc::Status& status) const;

 private:
  grpc::ServerUnaryReactor* reactor_;
  grpc::CallbackServerContext* context_;
  const char* method_;
  Call call_;
  std::chrono::steady_clock::time_point start_;
};

// Who may call a method. Most methods act for the caller's organisation, which must be active
// in the partner directory; tokens of a platform role (admin, service) cannot call them. A few
// methods (the directory, Kruispunt's internal calls) also serve platform tokens, without the
// directory check; they decide themselves which role they need.
enum class Callers { kOrganizations, kOrganizationsAndPlatform };

// Authenticates the caller and checks its organisation, then hands the call to `then`: at once,
// or on a gRPC client thread once the directory answered. On failure the call is finished
// (UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE) and `then` never runs. Returns the reactor
// the callback method must return.
grpc::ServerUnaryReactor* BeginCall(Runtime& runtime, grpc::CallbackServerContext* context,
                                    const char* method, std::function<void(PendingCall)> then,
                                    Callers callers = Callers::kOrganizations);

using UnaryHandler = std::function<void(const Call&, pqxx::connection&)>;

// Runs a handler on a database worker. It fills the response or throws kp::Error (or a
// database error, mapped centrally); a serialization failure or deadlock is retried.
grpc::ServerUnaryReactor* ServeUnary(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, UnaryHandler handler,
                                     Callers callers = Callers::kOrganizations);

// Runs a handler for an already begun call on a database worker and finishes the call (for a
// call that first waited for another service's answer).
void RunOnWorker(Runtime& runtime, PendingCall pending, UnaryHandler handler);

// Runs a handler on a database worker; if it fails, finishes the call with the mapped error, else
// hands the call to `next`, which finishes it (perhaps after asking another service).
void RunOnWorkerThen(Runtime& runtime, PendingCall pending, UnaryHandler handler,
                     std::function<void(PendingCall)> next);

// Throws PERMISSION_DENIED SERVICE_ONLY (with `what` as the message) unless the caller is one of
// Kruispunt's own services (role "service"): for the methods only they call.
void RequireService(const Identity& caller, const char* what);

// Runs fn (validation, say); if it throws kp::Error, finishes the call with it and returns false.
bool Guarded(const PendingCall& call, const std::function<void()>& fn);

// Runs fn, retrying a serialization failure or deadlock, and maps what it throws to a status.
grpc::Status RunMapped(const char* method, const std::function<void()>& fn);

// The status for work the pool refused (queue full or shutting down).
grpc::Status OverloadedStatus();

}  // namespace kp
