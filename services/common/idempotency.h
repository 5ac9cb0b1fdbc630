// A create's request_id is bound to the request it first came with, as Stripe's idempotency keys
// are: a retry with the same content gets the first result; the same request_id with other content
// is refused (INVALID_ARGUMENT REQUEST_ID_REUSED on request_id) rather than answered with the first
// result as if it were this request's. Every idempotent create binds its request_id here first.
#pragma once

#include <google/protobuf/message.h>
#include <pqxx/pqxx>

#include <string>

#include "common/rpc.h"

namespace kp {

// The request's content as a SHA-256 of its deterministic serialization, request_id left out.
std::string RequestFingerprint(const google::protobuf::Message& request);

// Binds `request_id` (within the caller's organisation and the method) to the request's content
// (its RequestFingerprint), on the create's connection before the create; nothing when request_id
// is empty. Throws when it is bound to other content. The binding stays when the create then
// fails: a retry must repeat the request.
void BindRequestId(pqxx::connection& db, const std::string& schema, const Call& call, const std::string& request_id,
                   const std::string& fingerprint);

// The statement BindRequestId runs, for a schema's statement list: KP_REQUEST_ID_STATEMENT("cases").
// An insert that finds the request_id bound already returns the bound fingerprint instead.
#define KP_REQUEST_ID_STATEMENT(schema)                                                                  \
  {                                                                                                      \
    schema ".request_id_bind",                                                                           \
        "WITH bound AS (INSERT INTO " schema ".request_ids (organization, method, request_id, fingerprint) " \
        "VALUES ($1, $2, $3::uuid, $4) ON CONFLICT DO NOTHING RETURNING fingerprint) "                   \
        "SELECT fingerprint FROM bound UNION ALL SELECT fingerprint FROM " schema ".request_ids "          \
        "WHERE organization = $1 AND method = $2 AND request_id = $3::uuid LIMIT 1"                      \
  }

}  // namespace kp
