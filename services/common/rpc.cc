#include "common/rpc.h"

#include <spdlog/spdlog.h>

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

void WriteAccessLine(const char* method, const Call& call,
                     std::chrono::steady_clock::time_point start, const grpc::Status& status) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start).count();
  spdlog::info("rpc method={} code={} duration_us={} org={} person={} request_id={}", method,
               static_cast<int>(status.error_code()), micros,
               call.caller.organization.empty() ? "-" : call.caller.organization,
               call.caller.person.empty() ? "-" : call.caller.person, call.request_id);
}

constexpr int kAttempts = 3;
}  // namespace

bool PendingCall::DeadlinePassed() const {
  return context_->deadline() < std::chrono::system_clock::now();
}

void PendingCall::Finish(const grpc::Status& status) const {
  WriteAccessLine(method_, call_, start_, status);
  reactor_->Finish(status);
}

std::optional<PendingCall> BeginCall(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, grpc::ServerUnaryReactor** reactor) {
  const auto start = std::chrono::steady_clock::now();
  *reactor = context->DefaultReactor();
  Call call;
  call.request_id = RequestId(*context);
  context->AddInitialMetadata("x-request-id", call.request_id);
  try {
    call.caller = runtime.auth->Authenticate(*context);
  } catch (const Error& e) {
    PendingCall(*reactor, context, method, std::move(call), start).Finish(e.ToStatus());
    return std::nullopt;
  }
  return PendingCall(*reactor, context, method, std::move(call), start);
}

grpc::Status RunMapped(const char* method, const std::function<void()>& fn) {
  for (int attempt = 1;; ++attempt) {
    try {
      fn();
      return grpc::Status::OK;
    } catch (const pqxx::serialization_failure&) {
      // The statement was rolled back, so a retry is safe.
      if (attempt < kAttempts) continue;
    } catch (const pqxx::deadlock_detected&) {
      if (attempt < kAttempts) continue;
    } catch (...) {
      return StatusFromException(std::current_exception(), method);
    }
    return Error::Aborted("CONCURRENT_UPDATE", "the request conflicted with another; retry").ToStatus();
  }
}

grpc::Status OverloadedStatus() {
  return Error(grpc::StatusCode::RESOURCE_EXHAUSTED, "OVERLOADED",
               "the server is overloaded or shutting down; retry later").ToStatus();
}

grpc::ServerUnaryReactor* ServeUnary(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, UnaryHandler handler) {
  grpc::ServerUnaryReactor* reactor = nullptr;
  auto pending = BeginCall(runtime, context, method, &reactor);
  if (!pending) return reactor;
  auto job = [pending = *pending, handler = std::move(handler)](DbPool::Session& session) {
    if (pending.DeadlinePassed()) {
      pending.Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed while queued"));
      return;
    }
    pending.Finish(RunMapped(pending.method(), [&] { handler(pending.call(), session.conn()); }));
  };
  if (!runtime.db->Submit(std::move(job))) pending->Finish(OverloadedStatus());
  return reactor;
}

}  // namespace kp
