// How a process reaches the Kruispunt services it does not host: one gRPC channel per such peer
// (its configured address) and the service token every such call presents. The channels are set
// once, at start-up. Services hosted in the same process are called directly (common/peer_clients.h).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/service_token.h"

namespace kp {

class Peers {
 public:
  // How long a call to a peer may take at most.
  static constexpr std::chrono::milliseconds kCallTimeout{3000};
  // How long a lost peer (given by address) waits at most between attempts to reconnect.
  static constexpr std::chrono::milliseconds kReconnectAtMost{2000};

  // Throws std::runtime_error when the token file holds no token.
  Peers(const std::string& service_token_file, std::chrono::seconds recheck_every)
      : service_token_(service_token_file, recheck_every) {}

  void Set(const std::string& service_full_name, std::shared_ptr<grpc::Channel> channel) {
    std::lock_guard lock(mutex_);
    channels_[service_full_name] = std::move(channel);
  }
  // Null while the peer is not reachable yet (the server is still starting).
  std::shared_ptr<grpc::Channel> Get(const std::string& service_full_name) const {
    std::lock_guard lock(mutex_);
    auto it = channels_.find(service_full_name);
    return it == channels_.end() ? nullptr : it->second;
  }
  // A context carrying the service token and a deadline.
  std::unique_ptr<grpc::ClientContext> NewContext() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + service_token_.Current());
    context->set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    return context;
  }

 private:
  mutable ServiceToken service_token_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

// Whether an organisation may act: it must exist in the partner directory and be active.
struct PeerContext;

class OrganizationGate {
 public:
  virtual ~OrganizationGate() = default;
  // Calls done with OK, or with the status to answer the caller. May call it before returning.
  virtual void Check(const std::string& organization,
                     std::function<void(const grpc::Status&)> done) = 0;
  // Drops what is known of an organisation (it was just created or changed in this process).
  virtual void Forget(const std::string& organization) = 0;
  // Of `organizations`, those in the directory and active: what is known as Check knows it, the
  // rest asked on the caller's connection. For what a call lists of other organisations (the
  // social map leaves out the services of one that is not active).
  virtual std::set<std::string> ActiveAmong(const PeerContext& context, const std::set<std::string>& organizations) = 0;
};

}  // namespace kp
