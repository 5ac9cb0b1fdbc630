// A request whose bytes are not its message (garbage, a string field that is not UTF-8) never
// reaches a handler: gRPC 1.51's callback API answers it UNIMPLEMENTED, with no message, before
// the token is even looked at. A server interceptor turns exactly that answer, for a method
// Kruispunt has, into INVALID_ARGUMENT REQUEST_UNPARSEABLE, counts it and logs it (the method
// only, never the bytes). Kruispunt's handlers never answer UNIMPLEMENTED themselves, and a
// method Kruispunt does not have stays UNIMPLEMENTED.
#pragma once

#include <grpcpp/support/server_interceptor.h>

namespace kp {

class UnparseableRequestsFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace kp
