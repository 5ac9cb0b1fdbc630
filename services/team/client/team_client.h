// How other services (and the server host) talk to TeamService: asynchronous calls over the
// peer channel with the service token, so that no thread waits for the answer. In kruispuntd the
// channel is the server's in-process channel.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/peers.h"
#include "kruispunt/team/v1/team.grpc.pb.h"

namespace kp::team {

namespace v1 = kruispunt::team::v1;

class TeamClient {
 public:
  explicit TeamClient(Peers& peers) : peers_(peers) {}

  void RegisterCases(std::vector<v1::CaseRegistration> cases, std::function<void(const grpc::Status&)> done);
  // facts[i] answers queries[i].
  void DescribeTeams(std::vector<v1::TeamQuery> queries,
                     std::function<void(const grpc::Status&, const std::vector<v1::TeamFacts>& facts)> done);
  // The ids of the cases the organisation owns or takes part in now.
  void OrganizationCases(const std::string& org_id,
                         std::function<void(const grpc::Status&, const std::vector<std::string>& case_ids)> done);
  void GetOrganization(const std::string& org_id,
                       std::function<void(const grpc::Status&, const v1::Organization&)> done);

  // The status to give a caller when a call to TeamService failed: TeamService's own answer
  // (with its details), or UNAVAILABLE TEAM_UNAVAILABLE when it did not answer or refused the
  // service token.
  static grpc::Status ForCaller(const grpc::Status& status);

 private:
  Peers& peers_;
};

// The partner directory as a gate: an organisation must exist and be active. Answers are cached
// for kTtl, so a deactivation reaches other processes within that time; in the process that
// made the change the cache entry is dropped at once (Forget).
class DirectoryGate : public OrganizationGate {
 public:
  static constexpr std::chrono::seconds kTtl{5};
  explicit DirectoryGate(TeamClient& team) : team_(team) {}

  void Check(const std::string& organization, std::function<void(const grpc::Status&)> done) override;
  void Forget(const std::string& organization) override;

 private:
  struct Entry {
    bool exists;
    bool active;
    std::chrono::steady_clock::time_point fetched;
  };
  static grpc::Status Verdict(const Entry& entry);

  TeamClient& team_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace kp::team
