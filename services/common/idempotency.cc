#include "common/idempotency.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <memory>

#include "common/errors.h"
#include "common/sha256.h"

namespace kp {

std::string RequestFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> content(request.New());
  content->CopyFrom(request);
  if (const auto* field = content->GetDescriptor()->FindFieldByName("request_id"))
    content->GetReflection()->ClearField(content.get(), field);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    content->SerializeToCodedStream(&coded);
  }
  return Sha256Hex(bytes);
}

void BindRequestId(pqxx::connection& db, const std::string& schema, const Call& call, const std::string& request_id,
                   const std::string& fingerprint) {
  if (request_id.empty()) return;
  pqxx::nontransaction tx(db);
  pqxx::result bound;
  // An insert that waited for a concurrent retry's binding finds no row in the statement's
  // snapshot; the second statement sees the committed binding.
  for (int attempt = 0; attempt < 2 && bound.empty(); ++attempt)
    bound = tx.exec_prepared(schema + ".request_id_bind", call.caller.organization, call.method, request_id,
                             fingerprint);
  if (bound.empty() || bound[0][0].as<std::string>() != fingerprint)
    throw Error(grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED",
                "this request_id was used for a request with other content; a retry must repeat the request "
                "exactly, a new request needs a new request_id",
                {{"request_id", "was used for a request with other content"}});
}

}  // namespace kp
