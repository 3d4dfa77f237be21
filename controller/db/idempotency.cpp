#include "controller/db/idempotency.hpp"

#include <stdexcept>

#include "common/crypto.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {

bool valid_idempotency_key(std::string_view key) {
    if (key.empty() || key.size() > 255) return false;
    for (char ch : key) {
        auto u = static_cast<unsigned char>(ch);
        if (u < 0x20 || u > 0x7e) return false;
    }
    return true;
}

std::string idempotency_request_hash(std::string_view method, std::string_view path, std::string_view body) {
    std::string text;
    text.reserve(method.size() + path.size() + body.size() + 2);
    text.append(method).append("\n").append(path).append("\n").append(body);
    return sha256(text);
}

std::optional<StoredResponse> idem_claim(PGconn* c, const std::string& api_key_id, const std::string& key,
                                         const std::string& request_hash) {
    // At most a few rounds: a row older than idempotency_key_retention_h may
    // be deleted by the lifecycle job's prune (jobs/session_lifecycle.hpp)
    // between the INSERT that conflicted with it and the SELECT; the key is
    // then past its replay window and is claimed anew.
    for (int round = 0; round < 3; ++round) {
        ResultPtr ins = exec(c,
                             "INSERT INTO idempotency_keys (api_key_id, key, request_hash, status)"
                             " VALUES ($1, $2, $3::bytea, 0) ON CONFLICT (api_key_id, key) DO NOTHING RETURNING 1",
                             Params().add(api_key_id).add(key).add_bytea(request_hash));
        if (PQntuples(ins.get()) == 1) return std::nullopt;
        // The conflicting row is committed (ON CONFLICT waited for its owner):
        // this statement sees it unless the prune deleted it meanwhile.
        ResultPtr r = exec(c,
                           "SELECT request_hash, status, body, location FROM idempotency_keys"
                           " WHERE api_key_id = $1 AND key = $2",
                           Params().add(api_key_id).add(key));
        if (PQntuples(r.get()) != 1) continue;
        StoredResponse s;
        s.request_hash = bytea(r.get(), 0, 0);
        s.status = static_cast<int>(int64(r.get(), 0, 1));
        s.body = str(r.get(), 0, 2);
        s.location = opt_str(r.get(), 0, 3);
        return s;
    }
    throw std::runtime_error("idempotency key row keeps vanishing");
}

void idem_complete(PGconn* c, const std::string& api_key_id, const std::string& key, int status,
                   const std::string& body, const std::optional<std::string>& location) {
    exec(c, "UPDATE idempotency_keys SET status = $3::int, body = $4, location = $5 WHERE api_key_id = $1 AND key = $2",
         Params().add(api_key_id).add(key).add(status).add(body).add(location));
}

}  // namespace telemed::db
