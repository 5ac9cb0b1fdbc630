// The one way a unary RPC is served: authenticate the caller (cached), hand the work to a
// database worker, retry a serialization failure, map any error to a status with details, and
// write one access line. Every handler of every service goes through ServeUnary, so no method
// can forget authentication or logging.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
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

using UnaryHandler = std::function<void(const Call&, pqxx::connection&)>;

// Returns the reactor the callback method must return. The handler runs on a database worker;
// it fills the response or throws kp::Error (or a database error, mapped centrally).
grpc::ServerUnaryReactor* ServeUnary(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, UnaryHandler handler);

}  // namespace kp
