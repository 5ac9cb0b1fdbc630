#include "common/rpc.h"

#include <spdlog/spdlog.h>

#include <random>

#include "common/errors.h"
#include "common/metrics.h"
#include "common/trace_context.h"

namespace kp {

namespace {
std::string_view Header(const grpc::CallbackServerContext& context, const char* key) {
  const auto it = context.client_metadata().find(key);
  if (it == context.client_metadata().end()) return {};
  return {it->second.data(), it->second.size()};
}

// The client's trace context, kept when valid.
void TakeTraceContext(const grpc::CallbackServerContext& context, Call& call) {
  const std::string_view traceparent = Header(context, "traceparent");
  auto trace_id = TraceIdOf(traceparent);
  if (!trace_id) return;
  call.traceparent = traceparent;
  call.trace_id = std::move(*trace_id);
  if (const auto tracestate = Header(context, "tracestate"); IsForwardableTracestate(tracestate))
    call.tracestate = tracestate;
}

std::string RequestId(const grpc::CallbackServerContext& context, const Call& call) {
  if (std::string id(Header(context, "x-request-id")); IsValidPrincipalId(id)) return id;
  if (!call.trace_id.empty()) return call.trace_id;
  thread_local std::mt19937_64 random{std::random_device{}()};
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(random()));
  return buffer;
}

}  // namespace

// Every answered call: one log line (with the request id that ties it to the access log and to
// the lines of the services it reached; the caller's organisation, never a person or a case) and
// the call's metrics.
void RecordAnswer(const char* method, const Call& call, std::chrono::steady_clock::time_point start,
                  const grpc::Status& status) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start).count();
  spdlog::info("rpc method={} code={} duration_us={} org={} request_id={} trace_id={}", method,
               static_cast<int>(status.error_code()), micros,
               call.caller.organization.empty() ? "-" : call.caller.organization, call.request_id,
               call.trace_id.empty() ? "-" : call.trace_id);
  ProcessMetrics().ObserveCall(method, status.error_code(), static_cast<double>(micros) / 1e6);
}

namespace {
constexpr int kAttempts = 3;
}  // namespace

std::optional<grpc::Status> PendingCall::GivenUp() const {
  if (context_->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while queued");
  if (context_->deadline() < std::chrono::system_clock::now())
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed while queued");
  return std::nullopt;
}

void PendingCall::Finish(const grpc::Status& status) const {
  RecordAnswer(method_, call_, start_, status);
  reactor_->Finish(status);
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

std::unique_ptr<Periodic> EveryOnAWorker(DbPool& pool, const char* task, std::chrono::milliseconds every,
                                         std::function<void(pqxx::connection&)> work) {
  // A round is skipped while the last one still waits or runs (a database that hangs holds it):
  // rounds never pile up in the pool's queue.
  auto busy = std::make_shared<std::atomic<bool>>(false);
  return std::make_unique<Periodic>(every, every, [&pool, task, work = std::move(work), busy] {
    if (busy->exchange(true)) return;
    const bool submitted = pool.Submit([task, work, busy](DbPool::Session& session) {
      const auto status = RunMapped(task, [&] { work(session.conn()); });
      if (!status.ok()) spdlog::warn("{}_failed code={}", task, static_cast<int>(status.error_code()));
      busy->store(false);
    });
    if (!submitted) busy->store(false);
  });
}

namespace {
// Runs the handler on a worker of `pool` and answers the call.
void RunOnWorker(DbPool& pool, PendingCall pending, UnaryHandler handler) {
  auto job = [pending, handler = std::move(handler)](DbPool::Session& session) {
    if (const auto given_up = pending.GivenUp()) return pending.Finish(*given_up);
    pending.Finish(RunMapped(pending.method(), [&] { handler(pending.call(), session.conn()); }));
  };
  if (!pool.Submit(std::move(job))) pending.Finish(OverloadedStatus());
}

}  // namespace

void AdmitCall(Runtime& runtime, grpc::CallbackServerContext* context, const char* method, Callers callers,
               std::function<void(Call)> admitted, std::function<void(const Call&, const grpc::Status&)> refused) {
  Call call;
  TakeTraceContext(*context, call);
  call.request_id = RequestId(*context, call);
  call.deadline = context->deadline();
  call.method = method;
  context->AddInitialMetadata("x-request-id", call.request_id);
  try {
    call.caller = runtime.auth->Authenticate(*context);
  } catch (const Error& e) {
    return refused(call, e.ToStatus());
  }
  if (callers == Callers::kServices) {
    if (call.caller.role == "service") return admitted(std::move(call));
    return refused(call, Error::PermissionDenied("SERVICE_ONLY", "only Kruispunt's own services call this method")
                             .ToStatus());
  }
  if (IsPlatformRole(call.caller.role)) {
    if (callers == Callers::kOrganizationsAndPlatform) return admitted(std::move(call));
    return refused(call, Error::PermissionDenied("PLATFORM_TOKEN",
                                                 "this method acts for an organisation; a platform "
                                                 "token cannot call it").ToStatus());
  }
  const std::string org = call.caller.organization;
  runtime.orgs->Check(org, [call = std::move(call), admitted = std::move(admitted),
                            refused = std::move(refused)](const grpc::Status& status) {
    if (status.ok()) admitted(call);
    else refused(call, status);
  });
}

grpc::ServerUnaryReactor* BeginCall(Runtime& runtime, grpc::CallbackServerContext* context,
                                    const char* method, std::function<void(PendingCall)> then,
                                    Callers callers) {
  const auto start = std::chrono::steady_clock::now();
  auto* reactor = context->DefaultReactor();
  AdmitCall(runtime, context, method, callers,
            [=, then = std::move(then)](Call call) { then(PendingCall(reactor, context, method, std::move(call), start)); },
            [=](const Call& call, const grpc::Status& status) {
              PendingCall(reactor, context, method, call, start).Finish(status);
            });
  return reactor;
}

void RequireAdmin(const Call& call, const char* what) {
  if (call.caller.role != "admin") throw Error::PermissionDenied("ADMIN_ONLY", what);
}

grpc::ServerUnaryReactor* ServeUnary(Runtime& runtime, grpc::CallbackServerContext* context,
                                     const char* method, UnaryHandler handler, Callers callers) {
  DbPool& pool = callers == Callers::kServices ? *runtime.internal_db : *runtime.db;
  return BeginCall(runtime, context, method, [&pool, handler = std::move(handler)](PendingCall pending) {
    RunOnWorker(pool, std::move(pending), handler);
  }, callers);
}

}  // namespace kp
