#include "integration/split_deployment.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "host/server.h"
#include "integration/harness.h"

namespace kp::test {

namespace {

// `count` different loopback ports nothing listens on now (the kernel's picks, each held until all
// are picked), for servers started soon after.
std::vector<int> FreeLoopbackPorts(std::size_t count) {
  std::vector<int> ports, sockets;
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0;
    sockets.push_back(fd);
    ports.push_back(ok ? ntohs(addr.sin_port) : 0);
  }
  for (int fd : sockets) close(fd);
  return ports;
}

// The setting that gives a process a peer's address.
std::string Config::*AddressSetting(const std::string& service) {
  for (const auto& setting : PeerAddressSettings())
    if (setting.service == service) return setting.address;
  throw std::invalid_argument("no address setting for " + service);
}

}  // namespace

SplitDeployment::SplitDeployment(const std::function<void(Config&)>& adjust) {
  const std::vector<ServiceModule> modules = AllModules();
  const auto ports = FreeLoopbackPorts(2 * modules.size());
  for (std::size_t i = 0; i < modules.size(); ++i) {
    ports_[modules[i].full_name] = ports[2 * i];
    internal_ports_[modules[i].full_name] = ports[2 * i + 1];
  }
  for (const auto& m : modules) {
    Config config = TestServerConfig();
    config.migrate = 0;
    config.listen = Address(m.full_name);
    config.internal_listen = InternalAddress(m.full_name);
    std::set<std::string> peers(m.peers.begin(), m.peers.end());
    peers.insert(team_v1::TeamService::service_full_name());  // every process asks it (the organisation gate)
    peers.erase(m.full_name);
    for (const auto& peer : peers) config.*AddressSetting(peer) = InternalAddress(peer);
    if (adjust) adjust(config);
    processes_.emplace(m.full_name, Process{config, m, nullptr});
  }
  for (const auto& m : modules) Start(m.full_name);
}

SplitDeployment::~SplitDeployment() {
  for (auto& [name, process] : processes_) Stop(name);
}

void SplitDeployment::Start(const std::string& service) {
  auto& process = processes_.at(service);
  process.server = std::make_unique<ServerApp>(process.config, std::vector<ServiceModule>{process.module});
  process.server->Start();
}

void SplitDeployment::Stop(const std::string& service) {
  auto& process = processes_.at(service);
  if (process.server) process.server->Shutdown();
  process.server.reset();
}

std::shared_ptr<grpc::Channel> SplitDeployment::Channel(const std::string& service) const {
  return LocalChannel(ports_.at(service));
}

std::shared_ptr<grpc::Channel> SplitDeployment::InternalChannel(const std::string& service) const {
  return LocalChannel(internal_ports_.at(service));
}

std::string SplitDeployment::Address(const std::string& service) const {
  return "127.0.0.1:" + std::to_string(ports_.at(service));
}

std::string SplitDeployment::InternalAddress(const std::string& service) const {
  return "127.0.0.1:" + std::to_string(internal_ports_.at(service));
}

}  // namespace kp::test
