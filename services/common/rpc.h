// The one way a unary RPC is served: authenticate the caller (cached), check that the caller's
// organisation is active (cached), hand the work to a database worker, retry a serialization
// failure, map any error to a status with details, and write one access line. Every handler of
// every service goes through ServeUnary, so no method can forget authentication, the
// organisation check or logging. The handler runs on the worker from start to end: validation,
// the access decision (on the same connection, where ConsentService is hosted in this process),
// its own SQL.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/auth.h"
#include "common/config.h"
#include "common/db_pool.h"
#include "common/peer_clients.h"
#include "common/peers.h"
#include "common/periodic.h"

namespace kp {

// What a process shares between its services.
struct Runtime {
  Authenticator* auth;
  DbPool* db;           // the workers of the public methods
  DbPool* internal_db;  // the workers of the methods only Kruispunt's services call (Callers::kServices)
  OrganizationGate* orgs;
  PeerClients* clients;
  // True once the process begins to stop: long-lived calls (streams) end then, instead of holding
  // the shutdown for its whole grace period.
  const std::atomic<bool>* stopping;
  const Config* config;  // the process's settings
};

// One RPC as the handler sees it.
struct Call {
  Identity caller;
  std::string request_id;  // x-request-id from the client, else its trace id, else generated; echoed back
  // The client's W3C trace context when valid (common/trace_context.h), passed on unchanged to
  // every peer; empty otherwise.
  std::string traceparent, tracestate;
  std::string trace_id;  // of traceparent, for the log
  const char* method = "";  // the RPC's name in its service, e.g. "GetCase"
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
};

// An authenticated RPC in flight. Finish answers the client and writes the access line.
class PendingCall {
 public:
  PendingCall(grpc::ServerUnaryReactor* reactor, grpc::CallbackServerContext* context,
              const char* method, Call call, std::chrono::steady_clock::time_point start)
      : reactor_(reactor), context_(context), method_(method), call_(std::move(call)), start_(start) {}

  const Call& call() const { return call_; }
  const char* method() const { return method_; }
  // The status to finish the call with when its caller gave up while it was queued (its deadline
  // passed, or it, or the server's shutdown, cancelled it): such a call costs the database
  // nothing, and nothing of it is written after its caller saw it fail.
  std::optional<grpc::Status> GivenUp() const;
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
// methods (the directory) also serve platform tokens, without the directory check; they decide
// themselves which role they need. The methods only Kruispunt's own services call (kServices)
// refuse every other token, and run on workers of their own: a process whose workers all wait
// for a peer in another process can never keep that peer from answering them.
enum class Callers { kOrganizations, kOrganizationsAndPlatform, kServices };

// For a method of Callers::kOrganizationsAndPlatform that only a platform administrator may call:
// PERMISSION_DENIED ADMIN_ONLY, saying `what`, for anyone else.
void RequireAdmin(const Call& call, const char* what);

using UnaryHandler = std::function<void(const Call&, pqxx::connection&)>;

// Serves a unary call: authenticates the caller and checks its organisation (UNAUTHENTICATED,
// PERMISSION_DENIED or UNAVAILABLE otherwise), then runs the handler on a database worker. The
// handler fills the response or throws kp::Error, kp::StatusError or a database error (mapped
// centrally); a serialization failure or deadlock is retried. Returns the reactor the callback
// method must return.
grpc::ServerUnaryReactor* ServeUnary(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, UnaryHandler handler,
                                     Callers callers = Callers::kOrganizations);

// Authenticates the caller and checks its organisation, then hands the call to `then`: at once,
// or on a database worker once the directory answered. On failure the call is finished
// (UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE) and `then` never runs. Returns the reactor
// the callback method must return. ServeUnary and ServeBatched (common/batcher.h) build on it.
grpc::ServerUnaryReactor* BeginCall(Runtime& runtime, grpc::CallbackServerContext* context,
                                    const char* method, std::function<void(PendingCall)> then,
                                    Callers callers = Callers::kOrganizations);

// The admission of every call, unary or streaming: authenticates the caller and checks its
// organisation (as BeginCall says), then calls `admitted`, or `refused` with the status to finish
// the call with (at once, or once the directory answered).
void AdmitCall(Runtime& runtime, grpc::CallbackServerContext* context, const char* method, Callers callers,
               std::function<void(Call)> admitted, std::function<void(const Call&, const grpc::Status&)> refused);

// Every answered call, unary or streaming: its one access line (the caller's organisation, never a
// person or a case) and its metrics.
void RecordAnswer(const char* method, const Call& call, std::chrono::steady_clock::time_point start,
                  const grpc::Status& status);

// Runs fn, retrying a serialization failure or deadlock, and maps what it throws to a status.
grpc::Status RunMapped(const char* method, const std::function<void()>& fn);

// The status for work the pool refused (queue full or shutting down).
grpc::Status OverloadedStatus();

// A service's upkeep (re-sending what failed, recording what ran out): every `every`, `work` runs
// on a worker of `pool`, retried and mapped as a call's handler is (RunMapped); a failure is logged
// as "{task}_failed" and tried again next time; a round is skipped while the last one still waits
// or runs. It stops when the returned object is destroyed.
std::unique_ptr<Periodic> EveryOnAWorker(DbPool& pool, const char* task, std::chrono::milliseconds every,
                                         std::function<void(pqxx::connection&)> work);

}  // namespace kp
