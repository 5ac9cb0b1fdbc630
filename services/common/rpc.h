// The one way a unary RPC is served: authenticate the caller (cached), hand the work to a
// database worker, retry a serialization failure, map any error to a status with details, and
// write one access line. Every handler of every service goes through BeginCall (ServeUnary and
// the Coalescer build on it), so no method can forget authentication or logging.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/auth.h"
#include "common/db_pool.h"

namespace kp {

// What a process shares between its services.
struct Runtime {
  Authenticator* auth;
  DbPool* db;
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

// Authenticates the caller. On failure the call is already finished (UNAUTHENTICATED) and the
// result is empty. `reactor` receives the reactor the callback method must return.
std::optional<PendingCall> BeginCall(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, grpc::ServerUnaryReactor** reactor);

using UnaryHandler = std::function<void(const Call&, pqxx::connection&)>;

// Runs a handler on a database worker. It fills the response or throws kp::Error (or a
// database error, mapped centrally); a serialization failure or deadlock is retried.
grpc::ServerUnaryReactor* ServeUnary(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, UnaryHandler handler);

// Runs fn, retrying a serialization failure or deadlock, and maps what it throws to a status.
grpc::Status RunMapped(const char* method, const std::function<void()>& fn);

// The status for work the pool refused (queue full or shutting down).
grpc::Status OverloadedStatus();

}  // namespace kp
