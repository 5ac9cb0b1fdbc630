// How other services ask ConsentService for access decisions (and the change feed for consent
// events): one interface, implemented by a
// direct call into ConsentService's decider when this process hosts it (consent/grpc/
// consent_service.cc, LocalConsentClient) and over gRPC when it runs elsewhere
// (RemoteConsentClient). Services use it through AccessGate.
#pragma once

#include <string>

#include "common/peer_call.h"
#include "kruispunt/consent/v1/consent.grpc.pb.h"
#include "kruispunt/consent/v1/consent_internal.grpc.pb.h"

namespace kp::consent {

// A question about a case's data, asked for a caller of `rpc` (logged with the request id).
kruispunt::consent::v1::AccessQuestion CaseQuestion(const std::string& case_id, const std::string& org,
                                                    const std::string& person,
                                                    kruispunt::consent::v1::DataCategory category,
                                                    kruispunt::consent::v1::Action action, const std::string& rpc,
                                                    const std::string& request_id);

class ConsentClient {
 public:
  virtual ~ConsentClient() = default;
  // decisions(i) answers questions(i); every decision is in the access log before this returns.
  virtual kruispunt::consent::v1::BatchCheckAccessResponse BatchCheckAccess(
      const PeerContext& context, const kruispunt::consent::v1::BatchCheckAccessRequest& request) = 0;
  // The change feed's read of consent events in commit order.
  virtual kruispunt::consent::v1::ReadConsentChangesResponse ReadConsentChanges(
      const PeerContext& context, const kruispunt::consent::v1::ReadConsentChangesRequest& request) = 0;
};

class RemoteConsentClient final : public ConsentClient {
 public:
  explicit RemoteConsentClient(Peers& peers) : peers_(peers) {}
  kruispunt::consent::v1::BatchCheckAccessResponse BatchCheckAccess(
      const PeerContext& context, const kruispunt::consent::v1::BatchCheckAccessRequest& request) override;
  kruispunt::consent::v1::ReadConsentChangesResponse ReadConsentChanges(
      const PeerContext& context, const kruispunt::consent::v1::ReadConsentChangesRequest& request) override;

 private:
  Peers& peers_;
};

}  // namespace kp::consent
