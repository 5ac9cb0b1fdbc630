#include "common/peer_call.h"

#include <spdlog/spdlog.h>

#include "common/errors.h"

namespace kp {

grpc::Status PeerStatusForCaller(const grpc::Status& status, const char* peer, const char* reason) {
  const bool about_our_credentials = status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                                     status.error_code() == grpc::StatusCode::PERMISSION_DENIED;
  if (!status.error_details().empty() && !about_our_credentials) return status;
  spdlog::warn("peer={} code={} message={}", peer, static_cast<int>(status.error_code()), status.error_message());
  return Error::Unavailable(reason, std::string(peer) + " did not answer; retry").ToStatus();
}

void RequireOneAnswerEach(int answers, std::size_t asked, const char* peer) {
  if (answers < 0 || static_cast<std::size_t>(answers) != asked) {
    spdlog::error("peer={} answered {} of {} questions", peer, answers, asked);
    throw StatusError(grpc::Status(grpc::StatusCode::INTERNAL, "a peer service answered the wrong number of questions"));
  }
}

}  // namespace kp
