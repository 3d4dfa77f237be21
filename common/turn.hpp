// Ephemeral TURN credentials (coturn "TURN REST API" / use-auth-secret scheme).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace telemed {

struct TurnCredentials {
    std::string username;    // "<expiry unix seconds>:<opaque id>"
    std::string credential;  // base64(HMAC-SHA1(secret, username))
    int64_t expires_at = 0;
};

TurnCredentials make_turn_credentials(std::string_view secret, std::string_view opaque_id,
                                      int64_t now, int64_t ttl_seconds);

}  // namespace telemed
