// Join token (JWT HS256, kid rotation). See docs/DESIGN.md "Join token".
//
// Verification order (each step's failure is the reported TokenError):
//   1. length 1..kMaxTokenLength, exactly three '.'-separated parts,
//      header and payload base64url (strict)           -> Malformed
//   2. header is a JSON object (duplicate keys refused) -> Malformed
//   3. "alg" exactly "HS256" (missing, "none", ...)     -> UnsupportedAlg
//   4. header has only alg/typ/kid, typ "JWT" if present -> Malformed
//   5. "kid" a string naming a key in the ring           -> UnknownKey
//   6. signature base64url                               -> Malformed
//      constant-time HMAC compare                        -> BadSignature
//   7. payload is a JSON object                          -> Malformed
//   8. aud == kTokenAudience (string, or array holding it) -> WrongAudience
//   9. iss == opts.issuer when an issuer is configured   -> WrongIssuer
//  10. iat/nbf/exp integers in [0, 253402300799]          -> BadClaims
//  11. nbf > now + leeway                               -> NotYetValid
//  12. exp <= now - leeway                              -> Expired
//  13. exp >= nbf, sub/sid UUIDs, role/perms known names (no duplicates),
//      iss/jti non-empty strings of bounded length      -> BadClaims
// Unknown extra claims are ignored.
#include "common/token.hpp"

#include <stdexcept>

#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/key_spec.hpp"

namespace telemed {
namespace {

constexpr std::size_t kMinSecretBytes = 32;
constexpr std::size_t kMaxSpecKeys = 64;  // token_keys items
constexpr std::size_t kMaxIssChars = 256;
constexpr std::size_t kMaxJtiChars = 128;
constexpr int64_t kMaxTime = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMaxLeeway = 86400;

// json_stringn() refuses invalid UTF-8; minting must not silently drop a claim.
json_t* checked_string(std::string_view s) {
    json_t* j = json_stringn(s.data(), s.size());
    if (j == nullptr) throw std::invalid_argument("mint_token: claim is not valid UTF-8");
    return j;
}

std::string_view string_of(const json_t* j) {
    return std::string_view(json_string_value(j), json_string_length(j));
}

bool time_claim(const json_t* payload, const char* name, int64_t* out) {
    const json_t* v = json_object_get(payload, name);
    if (!json_is_integer(v)) return false;
    const json_int_t x = json_integer_value(v);
    if (x < 0 || x > kMaxTime) return false;
    *out = static_cast<int64_t>(x);
    return true;
}

bool audience_ok(const json_t* aud) {
    if (json_is_string(aud)) return string_of(aud) == kTokenAudience;
    if (json_is_array(aud)) {
        std::size_t i;
        json_t* v;
        json_array_foreach(aud, i, v) {
            if (json_is_string(v) && string_of(v) == kTokenAudience) return true;
        }
    }
    return false;
}

bool bounded_string(const json_t* v, std::size_t max, std::string* out) {
    if (!json_is_string(v)) return false;
    const std::string_view s = string_of(v);
    if (s.empty() || s.size() > max) return false;
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7F) return false;
    out->assign(s);
    return true;
}

}  // namespace

bool KeyRing::add(std::string kid, std::string secret) {
    if (!valid_key_id(kid) || secret.size() < kMinSecretBytes) return false;
    if (keys_.find(kid) != keys_.end()) return false;
    keys_.emplace(std::move(kid), std::move(secret));
    return true;
}

// "kid1:secret1,kid2:secret2" read by common/key_spec.hpp; a kid already
// in the ring is a duplicate too.
bool KeyRing::add_from_spec(std::string_view spec, std::string* error) {
    std::optional<std::vector<KeySpecItem>> items = parse_key_spec(spec, "token key", kMinSecretBytes, kMaxSpecKeys, error);
    if (!items) return false;
    for (std::size_t i = 0; i < items->size(); ++i)
        if (keys_.find((*items)[i].kid) != keys_.end()) {
            if (error != nullptr) *error = "token key #" + std::to_string(i + 1) + ": duplicate kid";
            return false;
        }
    for (KeySpecItem& k : *items) keys_.emplace(std::move(k.kid), std::move(k.secret));
    return true;
}

const std::string* KeyRing::find(std::string_view kid) const {
    const auto it = keys_.find(kid);
    return it == keys_.end() ? nullptr : &it->second;
}

std::string mint_token(const TokenClaims& claims, std::string_view kid, std::string_view secret) {
    if (!valid_key_id(kid)) throw std::invalid_argument("mint_token: invalid kid");
    if (secret.size() < kMinSecretBytes) throw std::invalid_argument("mint_token: secret too short");

    Json header(json_object());
    json_object_set_new(header.get(), "alg", json_string("HS256"));
    json_object_set_new(header.get(), "typ", json_string("JWT"));
    json_object_set_new(header.get(), "kid", checked_string(kid));

    Json payload(json_object());
    json_t* p = payload.get();
    json_object_set_new(p, "iss", checked_string(claims.iss));
    json_object_set_new(p, "aud", checked_string(kTokenAudience));
    json_object_set_new(p, "sub", checked_string(claims.sub));
    json_object_set_new(p, "sid", checked_string(claims.sid));
    const std::string_view role = to_string(claims.role);
    json_object_set_new(p, "role", checked_string(role));
    json_object_set_new(p, "perms", permissions_to_json(claims.perms).release());
    json_object_set_new(p, "iat", json_integer(claims.iat));
    json_object_set_new(p, "nbf", json_integer(claims.nbf));
    json_object_set_new(p, "exp", json_integer(claims.exp));
    json_object_set_new(p, "jti", checked_string(claims.jti));

    const std::string h = json_dump(header.get());
    const std::string b = json_dump(payload.get());
    if (h.empty() || b.empty()) throw std::invalid_argument("mint_token: claims not serialisable");
    std::string signing_input = base64url_encode(h);
    signing_input += '.';
    signing_input += base64url_encode(b);
    const std::string sig = hmac_sha256(secret, signing_input);
    signing_input += '.';
    signing_input += base64url_encode(sig);
    return signing_input;
}

std::string_view to_string(TokenError e) {
    switch (e) {
        case TokenError::None: return "none";
        case TokenError::Malformed: return "malformed";
        case TokenError::UnsupportedAlg: return "unsupported_alg";
        case TokenError::UnknownKey: return "unknown_key";
        case TokenError::BadSignature: return "bad_signature";
        case TokenError::WrongAudience: return "wrong_audience";
        case TokenError::WrongIssuer: return "wrong_issuer";
        case TokenError::NotYetValid: return "not_yet_valid";
        case TokenError::Expired: return "expired";
        case TokenError::BadClaims: return "bad_claims";
    }
    return "unknown";
}

VerifyResult verify_token(std::string_view token, const KeyRing& keys, const VerifyOptions& opts) {
    VerifyResult r;
    const auto fail = [&r](TokenError e) {
        r.error = e;
        r.claims = TokenClaims{};
        return r;
    };

    // 1. Shape.
    if (token.empty() || token.size() > kMaxTokenLength) return fail(TokenError::Malformed);
    const std::size_t d1 = token.find('.');
    if (d1 == std::string_view::npos) return fail(TokenError::Malformed);
    const std::size_t d2 = token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
        return fail(TokenError::Malformed);
    const std::string_view h64 = token.substr(0, d1);
    const std::string_view p64 = token.substr(d1 + 1, d2 - d1 - 1);
    const std::string_view s64 = token.substr(d2 + 1);
    if (h64.empty() || p64.empty()) return fail(TokenError::Malformed);
    const std::optional<std::string> header_text = base64url_decode(h64);
    const std::optional<std::string> payload_text = base64url_decode(p64);
    if (!header_text || !payload_text) return fail(TokenError::Malformed);

    // 2. Header JSON.
    const Json header = json_parse(*header_text, nullptr);
    if (!header || !json_is_object(header.get())) return fail(TokenError::Malformed);

    // 3. Algorithm: exactly HS256.
    const json_t* alg = json_object_get(header.get(), "alg");
    if (!json_is_string(alg) || string_of(alg) != "HS256") return fail(TokenError::UnsupportedAlg);

    // 4. Nothing else in the header (no crit/jku/x5u/...).
    {
        const char* key;
        json_t* value;
        json_object_foreach(header.get(), key, value) {
            const std::string_view k(key);
            if (k == "alg" || k == "kid") continue;
            if (k == "typ" && json_is_string(value) && string_of(value) == "JWT") continue;
            return fail(TokenError::Malformed);
        }
    }

    // 5. Key.
    const json_t* kid = json_object_get(header.get(), "kid");
    if (!json_is_string(kid)) return fail(TokenError::UnknownKey);
    const std::string* secret = keys.find(string_of(kid));
    if (secret == nullptr) return fail(TokenError::UnknownKey);

    // 6. Signature.
    const std::optional<std::string> sig = base64url_decode(s64);
    if (!sig) return fail(TokenError::Malformed);
    const std::string expected = hmac_sha256(*secret, token.substr(0, d2));
    if (!constant_time_equal(expected, *sig)) return fail(TokenError::BadSignature);

    // 7. Payload JSON.
    const Json payload = json_parse(*payload_text, nullptr);
    if (!payload || !json_is_object(payload.get())) return fail(TokenError::Malformed);
    const json_t* p = payload.get();

    // 8. Audience.
    if (!audience_ok(json_object_get(p, "aud"))) return fail(TokenError::WrongAudience);

    // 9. Issuer.
    const json_t* iss = json_object_get(p, "iss");
    if (!opts.issuer.empty() && !(json_is_string(iss) && string_of(iss) == opts.issuer))
        return fail(TokenError::WrongIssuer);

    // 10-12. Times.
    TokenClaims& c = r.claims;
    if (!time_claim(p, "iat", &c.iat) || !time_claim(p, "nbf", &c.nbf) || !time_claim(p, "exp", &c.exp))
        return fail(TokenError::BadClaims);
    int64_t leeway = opts.leeway;
    if (leeway < 0) leeway = 0;
    if (leeway > kMaxLeeway) leeway = kMaxLeeway;
    // Written without overflow: operands are bounded above.
    if (c.nbf - leeway > opts.now) return fail(TokenError::NotYetValid);
    if (c.exp + leeway <= opts.now) return fail(TokenError::Expired);

    // 13. Everything else.
    if (c.exp < c.nbf) return fail(TokenError::BadClaims);
    if (!bounded_string(iss, kMaxIssChars, &c.iss)) return fail(TokenError::BadClaims);
    if (!bounded_string(json_object_get(p, "jti"), kMaxJtiChars, &c.jti)) return fail(TokenError::BadClaims);
    const json_t* sub = json_object_get(p, "sub");
    const json_t* sid = json_object_get(p, "sid");
    if (!json_is_string(sub) || !is_uuid(string_of(sub)) || !json_is_string(sid) || !is_uuid(string_of(sid)))
        return fail(TokenError::BadClaims);
    c.sub.assign(string_of(sub));
    c.sid.assign(string_of(sid));
    const json_t* role = json_object_get(p, "role");
    const std::optional<Role> parsed_role = json_is_string(role) ? parse_role(string_of(role)) : std::nullopt;
    if (!parsed_role) return fail(TokenError::BadClaims);
    c.role = *parsed_role;
    const json_t* perms = json_object_get(p, "perms");
    if (!json_is_array(perms) || json_array_size(perms) > kPermissionCount) return fail(TokenError::BadClaims);
    c.perms = 0;
    {
        std::size_t i;
        json_t* v;
        json_array_foreach(perms, i, v) {
            const std::optional<Permission> perm = json_is_string(v) ? parse_permission(string_of(v)) : std::nullopt;
            if (!perm || has(c.perms, *perm)) return fail(TokenError::BadClaims);
            c.perms |= bit(*perm);
        }
    }
    r.error = TokenError::None;
    return r;
}

}  // namespace telemed
