// One asynchronous unary call to a peer service over Peers: the stub, context, request and
// response live until the callback has run, and no thread waits for the answer.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "common/peers.h"

namespace kp {

// `invoke(async_stub, context, request, response, callback)` starts the call (it names the
// method); `done(status, response)` runs on a gRPC thread when it ends.
template <class Service, class Request, class Response, class Invoke, class Done>
void CallPeer(Peers& peers, Request request, Invoke invoke, Done done) {
  auto channel = peers.Get(Service::service_full_name());
  if (!channel) {
    done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the peer service is not reachable yet"), Response{});
    return;
  }
  struct State {
    std::unique_ptr<typename Service::Stub> stub;
    std::unique_ptr<grpc::ClientContext> context;
    Request request;
    Response response;
  };
  auto state = std::make_shared<State>(
      State{Service::NewStub(channel), peers.NewContext(), std::move(request), Response{}});
  invoke(state->stub->async(), state->context.get(), &state->request, &state->response,
         [state, done = std::move(done)](grpc::Status status) { done(status, state->response); });
}

// Hands the results of a batch call to `done` (status, vector of results), or INTERNAL when the
// peer did not answer exactly one result per question asked.
template <class Results, class Done>
void DeliverBatch(const grpc::Status& status, const Results& results, std::size_t asked, const Done& done) {
  using Value = typename Results::value_type;
  if (status.ok() && static_cast<std::size_t>(results.size()) != asked) {
    done(grpc::Status(grpc::StatusCode::INTERNAL, "a peer service answered the wrong number of questions"),
         std::vector<Value>{});
    return;
  }
  done(status, std::vector<Value>(results.begin(), results.end()));
}

// The status to give a caller when a call to a peer failed: the peer's own answer (it carries
// google.rpc details: a rule, a lost database, overload), or UNAVAILABLE with `reason` when the
// peer did not answer or refused this process's service token (logged: not the caller's doing).
grpc::Status PeerStatusForCaller(const grpc::Status& status, const char* peer, const char* reason);

}  // namespace kp
