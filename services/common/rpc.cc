#include "common/rpc.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "common/errors.h"

namespace kp {

namespace {
std::string RequestId(const grpc::CallbackServerContext& context) {
  auto it = context.client_metadata().find("x-request-id");
  if (it != context.client_metadata().end()) {
    std::string id(it->second.data(), it->second.size());
    if (IsValidPrincipalId(id)) return id;
  }
  thread_local std::mt19937_64 random{std::random_device{}()};
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(random()));
  return buffer;
}

void Finish(grpc::ServerUnaryReactor* reactor, const char* method, const Call& call,
            std::chrono::steady_clock::time_point start, const grpc::Status& status) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start).count();
  spdlog::info("rpc method={} code={} duration_us={} org={} person={} request_id={}", method,
               static_cast<int>(status.error_code()), micros,
               call.caller.organization.empty() ? "-" : call.caller.organization,
               call.caller.person.empty() ? "-" : call.caller.person, call.request_id);
  reactor->Finish(status);
}

constexpr int kAttempts = 3;
}  // namespace

grpc::ServerUnaryReactor* ServeUnary(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, UnaryHandler handler) {
  const auto start = std::chrono::steady_clock::now();
  auto* reactor = context->DefaultReactor();
  Call call;
  call.request_id = RequestId(*context);
  context->AddInitialMetadata("x-request-id", call.request_id);
  try {
    call.caller = runtime.auth->Authenticate(*context);
  } catch (const Error& e) {
    Finish(reactor, method, call, start, e.ToStatus());
    return reactor;
  }

  auto job = [reactor, method, start, context, call,
              handler = std::move(handler)](DbPool::Session& session) {
    if (context->deadline() < std::chrono::system_clock::now()) {
      Finish(reactor, method, call, start,
             grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed while queued"));
      return;
    }
    grpc::Status status;
    for (int attempt = 1;; ++attempt) {
      try {
        handler(call, session.conn());
        status = grpc::Status::OK;
      } catch (const pqxx::serialization_failure&) {
        // The statement was rolled back, so a retry is safe.
        if (attempt < kAttempts) continue;
        status = Error::Aborted("CONCURRENT_UPDATE", "the request conflicted with another; retry")
                     .ToStatus();
      } catch (const pqxx::deadlock_detected&) {
        if (attempt < kAttempts) continue;
        status = Error::Aborted("CONCURRENT_UPDATE", "the request conflicted with another; retry")
                     .ToStatus();
      } catch (...) {
        status = StatusFromException(std::current_exception(), method);
      }
      break;
    }
    Finish(reactor, method, call, start, status);
  };
  if (!runtime.db->Submit(std::move(job))) {
    Finish(reactor, method, call, start,
           Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "OVERLOADED",
                 "the server is overloaded or shutting down; retry later").ToStatus());
  }
  return reactor;
}

}  // namespace kp
