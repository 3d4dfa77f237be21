// coturn use-auth-secret credentials ("TURN REST API" draft).
#include "common/turn.hpp"

#include "common/crypto.hpp"

namespace telemed {

TurnCredentials make_turn_credentials(std::string_view secret, std::string_view opaque_id, int64_t now,
                                      int64_t ttl_seconds) {
    TurnCredentials c;
    c.expires_at = now + ttl_seconds;
    c.username = std::to_string(c.expires_at);
    c.username += ':';
    c.username.append(opaque_id);
    c.credential = base64_encode(hmac_sha1(secret, c.username));
    return c;
}

}  // namespace telemed
