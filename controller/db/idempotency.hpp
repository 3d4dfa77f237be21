// Idempotency-Key support for POST /sessions (table idempotency_keys,
// sql/001_init.sql). Keys are scoped per API key id.
//
// In the creating transaction:
//   auto prior = idem_claim(c, api_key_id, key, hash);
//   if (prior) -> replay prior (same hash) or 422 idempotency-key-reused;
//                 roll back.
//   else       -> this transaction owns the key: do the work, then
//                 idem_complete(c, ...) before COMMIT.
// A concurrent request with the same key blocks in idem_claim until the
// owner commits (then sees its row) or rolls back (then owns the key).
#pragma once
#include <libpq-fe.h>

#include <optional>
#include <string>
#include <string_view>

namespace telemed::db {

// 1..255 characters, each printable ASCII 0x20..0x7E.
bool valid_idempotency_key(std::string_view key);

// SHA-256(method "\n" path "\n" body): 32 raw bytes.
std::string idempotency_request_hash(std::string_view method, std::string_view path, std::string_view body);

struct StoredResponse {
    std::string request_hash;  // 32 raw bytes
    int status = 0;
    std::string body;
    std::optional<std::string> location;
};

// INSERT ... ON CONFLICT DO NOTHING. nullopt: this transaction now owns the
// key. Otherwise the committed row of an earlier request.
std::optional<StoredResponse> idem_claim(PGconn* c, const std::string& api_key_id, const std::string& key,
                                         const std::string& request_hash);
// Records the response of the owning request (same transaction).
void idem_complete(PGconn* c, const std::string& api_key_id, const std::string& key, int status,
                   const std::string& body, const std::optional<std::string>& location);

}  // namespace telemed::db
