// Join token verification (common/token.hpp).
//
// 1. The input is a token string, verified against a fixed ring of two keys
//    at a fixed time. A success must carry claims that obey every documented
//    rule, and re-minting those claims must verify to the same claims; a
//    failure must leave the claims empty. Verifying with an issuer configured
//    must agree with the claims' iss.
// 2. When the input is valid UTF-8 of at most 2 KiB, its lines become the
//    claims given to mint_token: iss, jti, sub, sid, iat, nbf, exp, role,
//    perms (missing lines take valid defaults). verify_token(mint_token(c))
//    must give exactly the outcome the rules in common/token.cpp predict,
//    and the same claims back when they are valid.
#include <jansson.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/token.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

namespace {

constexpr int64_t kNow = 1900000000;          // 2030-03-17
constexpr int64_t kLeeway = 30;
constexpr int64_t kMaxTime = 253402300799;    // 9999-12-31T23:59:59Z (token.cpp)
constexpr std::size_t kMaxIssChars = 256;     // token.cpp
constexpr std::size_t kMaxJtiChars = 128;     // token.cpp
constexpr std::string_view kKid1 = "k1";
constexpr std::string_view kSecret1 = "fuzz-secret-one-0123456789abcdef0123456789";
constexpr std::string_view kKid2 = "k2.rotated";
constexpr std::string_view kSecret2 = "fuzz-secret-two-abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kIssuer = "telemed-fuzz";

const KeyRing& ring() {
    static const KeyRing r = [] {
        KeyRing k;
        if (!k.add(std::string(kKid1), std::string(kSecret1)) || !k.add(std::string(kKid2), std::string(kSecret2)))
            std::abort();
        return k;
    }();
    return r;
}

VerifyOptions options(std::string_view issuer) {
    VerifyOptions o;
    o.issuer = issuer;
    o.now = kNow;
    o.leeway = kLeeway;
    return o;
}

bool same_claims(const TokenClaims& a, const TokenClaims& b) {
    return a.iss == b.iss && a.sub == b.sub && a.sid == b.sid && a.role == b.role && a.perms == b.perms &&
           a.iat == b.iat && a.nbf == b.nbf && a.exp == b.exp && a.jti == b.jti;
}

bool empty_claims(const TokenClaims& c) { return same_claims(c, TokenClaims{}); }

// iss/jti rule of token.cpp: non-empty, bounded, no C0 control or DEL byte.
bool bounded_text(std::string_view s, std::size_t max) {
    if (s.empty() || s.size() > max) return false;
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7F) return false;
    return true;
}

bool time_ok(int64_t t) { return t >= 0 && t <= kMaxTime; }

void check_verified(std::string_view token, const VerifyResult& r) {
    const TokenClaims& c = r.claims;
    if (!r.ok()) {
        FUZZ_CHECK(empty_claims(c));
        return;
    }
    FUZZ_CHECK(token.size() <= kMaxTokenLength);
    FUZZ_CHECK(bounded_text(c.iss, kMaxIssChars));
    FUZZ_CHECK(bounded_text(c.jti, kMaxJtiChars));
    FUZZ_CHECK(fuzz::uuid_shape(c.sub, false) && fuzz::uuid_shape(c.sid, false));
    FUZZ_CHECK(static_cast<std::size_t>(c.role) < kRoleCount);
    FUZZ_CHECK((c.perms & ~kAllPermissions) == 0);
    FUZZ_CHECK(time_ok(c.iat) && time_ok(c.nbf) && time_ok(c.exp));
    FUZZ_CHECK(c.nbf <= c.exp);
    FUZZ_CHECK(c.nbf - kLeeway <= kNow && kNow < c.exp + kLeeway);

    // Re-minting the accepted claims verifies to the same claims.
    const VerifyResult again = verify_token(mint_token(c, kKid2, kSecret2), ring(), options({}));
    FUZZ_CHECK(again.ok() && same_claims(again.claims, c));

    // An issuer check only adds WrongIssuer.
    const VerifyResult with_issuer = verify_token(token, ring(), options(kIssuer));
    if (c.iss == kIssuer) {
        FUZZ_CHECK(with_issuer.ok() && same_claims(with_issuer.claims, c));
    } else {
        FUZZ_CHECK(with_issuer.error == TokenError::WrongIssuer);
    }
}

bool valid_utf8(std::string_view s) {
    json_t* j = json_stringn(s.data(), s.size());  // Jansson validates UTF-8 (NUL allowed)
    if (j == nullptr) return false;
    json_decref(j);
    return true;
}

std::vector<std::string_view> lines(std::string_view s) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t nl = s.find('\n');
        out.push_back(s.substr(0, nl));
        if (nl == std::string_view::npos) break;
        s.remove_prefix(nl + 1);
    }
    return out;
}

// Decimal int64 ("-" allowed); `fallback` when the line is missing or not a number.
int64_t number(const std::vector<std::string_view>& l, std::size_t i, int64_t fallback) {
    if (i >= l.size() || l[i].empty()) return fallback;
    std::string_view s = l[i];
    const bool neg = s.front() == '-';
    if (neg) s.remove_prefix(1);
    if (s.empty() || s.size() > 18) return fallback;
    int64_t v = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return fallback;
        v = v * 10 + (ch - '0');  // at most 18 digits: no overflow
    }
    return neg ? -v : v;
}

void check_mint_round_trip(std::string_view in) {
    const std::vector<std::string_view> l = lines(in);
    const auto text = [&](std::size_t i, std::string_view fallback) {
        return std::string(i < l.size() ? l[i] : fallback);
    };
    TokenClaims c;
    c.iss = text(0, "https://telemed.example");
    c.jti = text(1, "jti-0001");
    c.sub = text(2, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");
    c.sid = text(3, "11111111-1111-4111-8111-111111111111");
    c.iat = number(l, 4, kNow - 60);
    c.nbf = number(l, 5, kNow - 60);
    c.exp = number(l, 6, kNow + 3600);
    c.role = static_cast<Role>(static_cast<uint64_t>(number(l, 7, 0)) % kRoleCount);
    c.perms = static_cast<PermissionSet>(number(l, 8, 0)) & kAllPermissions;

    const bool use_second = !in.empty() && (static_cast<unsigned char>(in.back()) & 1);
    const std::string token = mint_token(c, use_second ? kKid2 : kKid1, use_second ? kSecret2 : kSecret1);
    const VerifyResult r = verify_token(token, ring(), options({}));

    // The expected outcome, in the verification order of token.cpp.
    TokenError want = TokenError::None;
    const bool has_nul = c.iss.find('\0') != std::string::npos || c.jti.find('\0') != std::string::npos ||
                         c.sub.find('\0') != std::string::npos || c.sid.find('\0') != std::string::npos;
    if (token.size() > kMaxTokenLength || has_nul) {
        // Too long to accept; or a NUL, which the serialiser writes as \u0000
        // and the strict parser of the verifier refuses.
        want = TokenError::Malformed;
    } else if (!time_ok(c.iat) || !time_ok(c.nbf) || !time_ok(c.exp)) {
        want = TokenError::BadClaims;
    } else if (c.nbf - kLeeway > kNow) {
        want = TokenError::NotYetValid;
    } else if (c.exp + kLeeway <= kNow) {
        want = TokenError::Expired;
    } else if (c.exp < c.nbf || !bounded_text(c.iss, kMaxIssChars) || !bounded_text(c.jti, kMaxJtiChars) ||
               !fuzz::uuid_shape(c.sub, false) || !fuzz::uuid_shape(c.sid, false)) {
        want = TokenError::BadClaims;
    }
    if (r.error != want) {
        std::fprintf(stderr, "mint/verify: got %s, expected %s\n", std::string(to_string(r.error)).c_str(),
                     std::string(to_string(want)).c_str());
        std::abort();
    }
    if (want == TokenError::None) FUZZ_CHECK(same_claims(r.claims, c));
    check_verified(token, r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);
    check_verified(in, verify_token(in, ring(), options({})));
    if (size <= 2048 && valid_utf8(in)) check_mint_round_trip(in);
    return 0;
}
