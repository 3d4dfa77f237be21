// Janus core signed tokens (janus.jcfg `token_auth = true` with
// `token_auth_secret`, Janus 1.1.2 src/auth.c "Signed-token mode"):
//
//   <expiry unix seconds>,janus,<plugin>[,<plugin>...]:<base64(HMAC-SHA1(secret, data))>
//
// where data is everything before the ':'. Janus checks one on EVERY request
// of a Janus session (create, attach, message, trickle, keepalive, claim,
// detach, hangup, destroy; only info and ping go without): the expiry
// against its clock, the realm "janus", the HMAC (constant time), and at
// attach that the plugin is listed. It is not bound to a Janus session or
// handle. The controller mints one with every join object (`janus_token`),
// for janus.plugin.telemed only; it carries no ids and no personal data.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemed {

inline constexpr std::string_view kJanusTokenRealm = "janus";
inline constexpr std::size_t kMinJanusTokenSecret = 32;   // bytes
inline constexpr std::size_t kMaxJanusTokenInput = 1024;  // longer input: refused unread

// The token text for `plugins` (each a Janus package name such as
// "janus.plugin.telemed": [a-z0-9._-], 1..64 chars, at least one), valid
// until `expires_at` (Unix seconds, > 0). Throws std::invalid_argument on a
// bad plugin name, a bad expiry, or a secret shorter than
// kMinJanusTokenSecret. Janus hashes the secret as a C string: a secret
// with a NUL byte is refused too.
std::string mint_janus_token(std::string_view secret, int64_t expires_at, const std::vector<std::string>& plugins);

struct JanusTokenClaims {
    int64_t expires_at = 0;
    std::vector<std::string> plugins;
};

// What Janus would accept at time `now` (tests and tools; the controller
// only mints): shape, realm, HMAC (constant time), expiry (valid while
// now <= expires_at, as in Janus). nullopt otherwise. Never throws.
std::optional<JanusTokenClaims> verify_janus_token(std::string_view token, std::string_view secret, int64_t now);

}  // namespace telemed
