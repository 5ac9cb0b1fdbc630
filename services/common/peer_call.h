// What a call from one Kruispunt service to another carries, whichever way it goes: into a service
// hosted in the same process (a direct C++ call, on the caller's database worker and connection),
// or to a service in another process (a blocking gRPC call with the service token, which the
// peer's methods for services only require). Both mean the same: the caller's request id and
// deadline, and the same statuses, thrown as kp::Error or kp::StatusError for the caller's handler
// to answer with.
#pragma once

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

#include "common/errors.h"
#include "common/peers.h"
#include "common/rpc.h"

namespace kp {

struct PeerContext {
  // The worker's connection: a peer hosted here runs its own SQL on it (its repository, its
  // schema), so that one request pays one hand-off to a worker.
  pqxx::connection& db;
  // The call being served: its request id and deadline are passed on.
  const Call& call;
  // The caller's open transaction, for a change that must commit atomically with the peer's
  // (CreateCase and the team's registration of the case). A hosted peer writes in it; a remote
  // peer cannot, which is why such a caller commits first and asks the remote peer after.
  pqxx::transaction_base* transaction = nullptr;
};

// The status to give a caller when a call to a peer failed: the peer's own answer (it carries
// google.rpc details: a rule, a lost database, overload), or UNAVAILABLE with `reason` when the
// peer did not answer or refused this process's service token (logged: not the caller's doing).
grpc::Status PeerStatusForCaller(const grpc::Status& status, const char* peer, const char* reason);

// One blocking unary call to a peer in another process: the service token, the request id, the
// caller's trace context (common/trace_context.h) and deadline (at most Peers::kCallTimeout).
// `invoke(stub, context, request, response)` names the method. Throws StatusError (see
// PeerStatusForCaller) unless the peer answers OK.
template <class Service, class Request, class Response, class Invoke>
Response CallRemote(Peers& peers, const PeerContext& context, const Request& request, Invoke invoke,
                    const char* peer, const char* reason) {
  auto channel = peers.Get(Service::service_full_name());
  if (!channel)
    throw StatusError(PeerStatusForCaller(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no channel"), peer, reason));
  auto client_context = peers.NewContext();
  client_context->set_deadline(std::min(client_context->deadline(), context.call.deadline));
  client_context->AddMetadata("x-request-id", context.call.request_id);
  if (!context.call.traceparent.empty()) client_context->AddMetadata("traceparent", context.call.traceparent);
  if (!context.call.tracestate.empty()) client_context->AddMetadata("tracestate", context.call.tracestate);
  auto stub = Service::NewStub(channel);
  Response response;
  const grpc::Status status = invoke(*stub, client_context.get(), request, &response);
  if (!status.ok()) throw StatusError(PeerStatusForCaller(status, peer, reason));
  return response;
}

// Throws INTERNAL (as StatusError) unless a batch answer has exactly one result per question.
void RequireOneAnswerEach(int answers, std::size_t asked, const char* peer);

}  // namespace kp
