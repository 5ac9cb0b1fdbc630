#include "host/unparseable_requests.h"

#include <google/protobuf/descriptor.h>
#include <spdlog/spdlog.h>

#include <string>

#include "common/errors.h"
#include "common/metrics.h"

namespace kp {

namespace {

// "/kruispunt.cases.v1.CaseService/GetCase" -> whether Kruispunt has that method.
bool IsKruispuntMethod(const std::string& path) {
  if (path.rfind("/kruispunt.", 0) != 0) return false;
  std::string dotted = path.substr(1);
  const auto slash = dotted.rfind('/');
  if (slash == std::string::npos) return false;
  dotted[slash] = '.';
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted) != nullptr;
}

class UnparseableRequests : public grpc::experimental::Interceptor {
 public:
  explicit UnparseableRequests(grpc::experimental::ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      // A method this server serves is unary; gRPC answers a method it does not serve (an internal
      // service asked on the public port, say) through its generic handler, whose calls are not.
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED && status.error_message().empty() &&
          info_->type() == grpc::experimental::ServerRpcInfo::Type::UNARY && info_->method() != nullptr &&
          IsKruispuntMethod(info_->method())) {
        const std::string path = info_->method();
        const std::string method = path.substr(path.rfind('/') + 1);
        spdlog::warn("request_unparseable method={}", method);
        ProcessMetrics().ObserveCall(method, grpc::StatusCode::INVALID_ARGUMENT, 0);
        methods->ModifySendStatus(Error(grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_UNPARSEABLE",
                                        "could not parse the request as this method's message")
                                      .ToStatus());
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
};

}  // namespace

grpc::experimental::Interceptor* UnparseableRequestsFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new UnparseableRequests(info);
}

}  // namespace kp
