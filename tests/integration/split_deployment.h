// Each service in a server of its own, as the single-service binaries run them, on the harness's
// database. Each server is given only the addresses of the peers its ServiceModule declares (and
// TeamService's, which every process asks), so a call to a peer a module does not declare fails.
// The harness runs the whole integration suite against one of these when KP_TEST_DEPLOYMENT=split;
// the split tests start their own to stop and restart one service.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/module.h"

namespace kp {
class ServerApp;
}

namespace kp::test {

class SplitDeployment {
 public:
  // `adjust` changes each process's settings before it starts (TLS, say).
  explicit SplitDeployment(const std::function<void(Config&)>& adjust = {});
  ~SplitDeployment();

  // Starts (again, on the same address) or stops the server of `service`.
  void Start(const std::string& service);
  void Stop(const std::string& service);

  // The public port of `service`'s server, and the internal one its peers call.
  std::shared_ptr<grpc::Channel> Channel(const std::string& service) const;
  std::shared_ptr<grpc::Channel> InternalChannel(const std::string& service) const;
  // "127.0.0.1:{port}" of `service`'s public port.
  std::string Address(const std::string& service) const;

 private:
  struct Process {
    Config config;
    ServiceModule module;
    std::unique_ptr<ServerApp> server;
  };
  std::string InternalAddress(const std::string& service) const;

  std::map<std::string, int> ports_, internal_ports_;
  std::map<std::string, Process> processes_;
};

}  // namespace kp::test
