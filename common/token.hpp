// Join token: JWT HS256 with kid-based key rotation (see docs/DESIGN.md).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/permissions.hpp"

namespace telemed {

inline constexpr std::string_view kTokenAudience = "janus.plugin.telemed";
inline constexpr std::size_t kMaxTokenLength = 4096;

struct TokenClaims {
    std::string iss;
    std::string sub;   // participant id
    std::string sid;   // session id
    Role role = Role::Observer;
    PermissionSet perms = 0;
    int64_t iat = 0, nbf = 0, exp = 0;
    std::string jti;
};

class KeyRing {
public:
    // kid: 1..64 chars [A-Za-z0-9_.-]; secret >= 32 bytes. false if invalid.
    bool add(std::string kid, std::string secret);
    // Parses "kid1:secret1,kid2:secret2"; false (and ring unchanged) on error.
    bool add_from_spec(std::string_view spec, std::string* error);
    const std::string* find(std::string_view kid) const;
    bool empty() const { return keys_.empty(); }
    std::size_t size() const { return keys_.size(); }
private:
    std::map<std::string, std::string, std::less<>> keys_;
};

// Signs claims (aud is always kTokenAudience). Throws std::invalid_argument on bad kid/secret.
std::string mint_token(const TokenClaims& claims, std::string_view kid, std::string_view secret);

enum class TokenError {
    None = 0,
    Malformed,        // not three base64url parts, bad JSON, too long
    UnsupportedAlg,   // alg != HS256 (incl. "none")
    UnknownKey,       // kid missing or not in the ring
    BadSignature,
    WrongAudience,
    WrongIssuer,
    NotYetValid,
    Expired,
    BadClaims,        // missing/ill-typed claims, unknown role/permission, bad ids
};
std::string_view to_string(TokenError e);

struct VerifyOptions {
    std::string_view issuer;  // empty: any issuer accepted
    int64_t now = 0;          // unix seconds
    int64_t leeway = 30;      // seconds applied to nbf/exp
};

struct VerifyResult {
    TokenError error = TokenError::None;
    TokenClaims claims;  // valid only when error == None
    bool ok() const { return error == TokenError::None; }
};

VerifyResult verify_token(std::string_view token, const KeyRing& keys, const VerifyOptions& opts);

}  // namespace telemed
