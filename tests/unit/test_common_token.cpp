// Join token: mint/verify round trips, rotation, and every refusal class.
#include <stdexcept>

#include "common/crypto.hpp"
#include "common/token.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

constexpr char kSecret1[] = "0123456789abcdef0123456789abcdef";          // 32 bytes
constexpr char kSecret2[] = "another-secret-of-at-least-32-bytes!!";
constexpr char kSub[] = "11111111-2222-4333-8444-555555555555";
constexpr char kSid[] = "66666666-7777-4888-9999-aaaaaaaaaaaa";
constexpr char kJti[] = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff";
constexpr int64_t kNow = 1700000000;

KeyRing ring() {
    KeyRing r;
    r.add("k1", kSecret1);
    r.add("k2", kSecret2);
    return r;
}

VerifyOptions opts(int64_t now = kNow, int64_t leeway = 30, std::string_view issuer = "telemed-controller") {
    VerifyOptions o;
    o.now = now;
    o.leeway = leeway;
    o.issuer = issuer;
    return o;
}

TokenError verify(std::string_view token, const VerifyOptions& o = opts()) {
    return verify_token(token, ring(), o).error;
}

TokenClaims claims() {
    TokenClaims c;
    c.iss = "telemed-controller";
    c.sub = kSub;
    c.sid = kSid;
    c.role = Role::Patient;
    c.perms = bit(Permission::PublishAudio) | bit(Permission::Chat);
    c.iat = kNow;
    c.nbf = kNow;
    c.exp = kNow + 300;
    c.jti = kJti;
    return c;
}

// Builds a token from raw header/payload JSON text, HS256-signed with `secret`.
std::string raw_token(std::string_view header, std::string_view payload, std::string_view secret = kSecret1) {
    std::string si = base64url_encode(header) + "." + base64url_encode(payload);
    return si + "." + base64url_encode(hmac_sha256(secret, si));
}

constexpr char kHeader[] = R"({"alg":"HS256","typ":"JWT","kid":"k1"})";

// Payload JSON with each claim given as a raw JSON fragment; "" omits it.
struct Payload {
    std::string iss = R"("telemed-controller")";
    std::string aud = R"("janus.plugin.telemed")";
    std::string sub = std::string("\"") + kSub + "\"";
    std::string sid = std::string("\"") + kSid + "\"";
    std::string role = R"("doctor")";
    std::string perms = R"(["subscribe","moderate"])";
    std::string iat = std::to_string(kNow);
    std::string nbf = std::to_string(kNow);
    std::string exp = std::to_string(kNow + 300);
    std::string jti = std::string("\"") + kJti + "\"";
    std::string extra;  // appended verbatim, e.g. R"(,"x":1)"

    std::string json() const {
        std::string out = "{";
        const auto add = [&out](const char* k, const std::string& v) {
            if (v.empty()) return;
            if (out.size() > 1) out += ",";
            out += "\"";
            out += k;
            out += "\":";
            out += v;
        };
        add("iss", iss);
        add("aud", aud);
        add("sub", sub);
        add("sid", sid);
        add("role", role);
        add("perms", perms);
        add("iat", iat);
        add("nbf", nbf);
        add("exp", exp);
        add("jti", jti);
        out += extra;
        out += "}";
        return out;
    }
};

TokenError verify_payload(const Payload& p, const VerifyOptions& o = opts()) {
    return verify(raw_token(kHeader, p.json()), o);
}

void known_answer(void**) {
    // Computed independently with the shell (see the commit's test notes):
    //   b64u(){ base64 -w0 | tr '+/' '-_' | tr -d '='; }
    //   SI="$(printf %s "$H" | b64u).$(printf %s "$P" | b64u)"
    //   printf %s "$SI" | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary | b64u
    // with H = {"alg":"HS256","typ":"JWT","kid":"k1"} and P = the claims() below
    // serialised compactly in the order iss, aud, sub, sid, role, perms, iat, nbf, exp, jti.
    const char* want =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0."
        "eyJpc3MiOiJ0ZWxlbWVkLWNvbnRyb2xsZXIiLCJhdWQiOiJqYW51cy5wbHVnaW4udGVsZW1lZCIsInN1YiI6IjExMTExMTExLTIyMjItND"
        "MzMy04NDQ0LTU1NTU1NTU1NTU1NSIsInNpZCI6IjY2NjY2NjY2LTc3NzctNDg4OC05OTk5LWFhYWFhYWFhYWFhYSIsInJvbGUiOiJwYXRp"
        "ZW50IiwicGVybXMiOlsicHVibGlzaF9hdWRpbyIsImNoYXQiXSwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3MDAwMDAwMDAsImV4cCI6MT"
        "cwMDAwMDMwMCwianRpIjoiYmJiYmJiYmItY2NjYy00ZGRkLThlZWUtZmZmZmZmZmZmZmZmIn0."
        "mDyIX74NqijjnoICdZLQUDAw78TswdHa8UOzlgS1opQ";
    assert_str_eq(mint_token(claims(), "k1", kSecret1), want);
    assert_int_equal(verify(want), TokenError::None);
}

void round_trip(void**) {
    const std::string t = mint_token(claims(), "k1", kSecret1);
    const VerifyResult r = verify_token(t, ring(), opts());
    assert_int_equal(r.error, TokenError::None);
    assert_true(r.ok());
    assert_str_eq(r.claims.iss, "telemed-controller");
    assert_str_eq(r.claims.sub, kSub);
    assert_str_eq(r.claims.sid, kSid);
    assert_int_equal(r.claims.role, Role::Patient);
    assert_int_equal(r.claims.perms, bit(Permission::PublishAudio) | bit(Permission::Chat));
    assert_int_equal(r.claims.iat, kNow);
    assert_int_equal(r.claims.nbf, kNow);
    assert_int_equal(r.claims.exp, kNow + 300);
    assert_str_eq(r.claims.jti, kJti);
    // Any issuer when none is configured; empty perms are fine.
    TokenClaims c = claims();
    c.perms = 0;
    c.iss = "someone-else";
    assert_int_equal(verify(mint_token(c, "k1", kSecret1), opts(kNow, 30, "")), TokenError::None);
    // Every role survives the trip.
    for (std::size_t i = 0; i < kRoleCount; ++i) {
        c = claims();
        c.role = static_cast<Role>(i);
        c.perms = kAllPermissions;
        const VerifyResult v = verify_token(mint_token(c, "k2", kSecret2), ring(), opts());
        assert_int_equal(v.error, TokenError::None);
        assert_int_equal(v.claims.role, c.role);
        assert_int_equal(v.claims.perms, kAllPermissions);
    }
}

void key_rotation(void**) {
    const std::string t1 = mint_token(claims(), "k1", kSecret1);
    const std::string t2 = mint_token(claims(), "k2", kSecret2);
    assert_int_equal(verify(t1), TokenError::None);
    assert_int_equal(verify(t2), TokenError::None);
    // A key signed under kid k1 but with k2's secret does not verify.
    assert_int_equal(verify(mint_token(claims(), "k1", kSecret2)), TokenError::BadSignature);
    // Dropping the old key kills its tokens.
    KeyRing only2;
    assert_true(only2.add("k2", kSecret2));
    assert_int_equal(verify_token(t1, only2, opts()).error, TokenError::UnknownKey);
    assert_int_equal(verify_token(t2, only2, opts()).error, TokenError::None);
    assert_int_equal(verify_token(t2, KeyRing{}, opts()).error, TokenError::UnknownKey);
}

void tampered(void**) {
    const std::string t = mint_token(claims(), "k1", kSecret1);
    const std::size_t d1 = t.find('.'), d2 = t.rfind('.');
    // Payload replaced by another (validly encoded) payload: doctor instead of patient.
    TokenClaims c = claims();
    c.role = Role::Doctor;
    const std::string other = mint_token(c, "k1", "a-different-secret-32-bytes-long!!");
    const std::size_t o1 = other.find('.'), o2 = other.rfind('.');
    std::string forged = t.substr(0, d1 + 1) + other.substr(o1 + 1, o2 - o1 - 1) + t.substr(d2);
    assert_int_equal(verify(forged), TokenError::BadSignature);
    // One character of the payload changed.
    std::string p = t;
    p[d1 + 5] = p[d1 + 5] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(p), TokenError::BadSignature);
    // One character of the signature changed (the first: no trailing-bit effects).
    std::string s = t;
    s[d2 + 1] = s[d2 + 1] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(s), TokenError::BadSignature);
    // Header re-encoded with another kid but the same signature.
    std::string h = base64url_encode(R"({"alg":"HS256","typ":"JWT","kid":"k2"})") + t.substr(d1);
    assert_int_equal(verify(h), TokenError::BadSignature);
}

void truncated(void**) {
    const std::string t = mint_token(claims(), "k1", kSecret1);
    const std::size_t d2 = t.rfind('.');
    assert_int_equal(verify(t.substr(0, d2)), TokenError::Malformed);        // two parts
    assert_int_equal(verify(t.substr(0, d2 + 1)), TokenError::BadSignature); // empty signature
    // A canonically encoded but shorter signature (the first 30 of 32 bytes).
    const std::string short_sig = base64url_decode(t.substr(d2 + 1)).value().substr(0, 30);
    assert_int_equal(verify(t.substr(0, d2 + 1) + base64url_encode(short_sig)), TokenError::BadSignature);
    assert_true(verify(t.substr(0, t.size() - 1)) != TokenError::None);
    assert_int_equal(verify(t.substr(0, t.find('.'))), TokenError::Malformed);
    assert_int_equal(verify(t.substr(0, 10)), TokenError::Malformed);
    assert_int_equal(verify(""), TokenError::Malformed);
    assert_int_equal(verify(t + "."), TokenError::Malformed);   // four parts
    assert_int_equal(verify(t + ".x"), TokenError::Malformed);
    assert_int_equal(verify("." + t.substr(t.find('.'))), TokenError::Malformed);  // empty header
}

void alg_none(void**) {
    Payload p;
    const std::string body = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(p.json());
    assert_int_equal(verify(body + "."), TokenError::UnsupportedAlg);
    assert_int_equal(verify(raw_token(R"({"alg":"none","typ":"JWT","kid":"k1"})", p.json())),
                     TokenError::UnsupportedAlg);
    assert_int_equal(verify(raw_token(R"({"alg":"None","kid":"k1"})", p.json())), TokenError::UnsupportedAlg);
}

void other_algs(void**) {
    const std::string p = Payload{}.json();
    // Each is HMAC-SHA256-signed with a valid key: only alg is wrong.
    assert_int_equal(verify(raw_token(R"({"alg":"HS512","typ":"JWT","kid":"k1"})", p)), TokenError::UnsupportedAlg);
    assert_int_equal(verify(raw_token(R"({"alg":"RS256","typ":"JWT","kid":"k1"})", p)), TokenError::UnsupportedAlg);
    assert_int_equal(verify(raw_token(R"({"alg":"hs256","typ":"JWT","kid":"k1"})", p)), TokenError::UnsupportedAlg);
    assert_int_equal(verify(raw_token(R"({"alg":"HS256 ","typ":"JWT","kid":"k1"})", p)), TokenError::UnsupportedAlg);
    assert_int_equal(verify(raw_token(R"({"typ":"JWT","kid":"k1"})", p)), TokenError::UnsupportedAlg);
    assert_int_equal(verify(raw_token(R"({"alg":null,"typ":"JWT","kid":"k1"})", p)), TokenError::UnsupportedAlg);
    assert_int_equal(verify(raw_token(R"({"alg":["HS256"],"typ":"JWT","kid":"k1"})", p)),
                     TokenError::UnsupportedAlg);
}

void header_shape(void**) {
    const std::string p = Payload{}.json();
    // typ optional but must be JWT; no other header members (jku, crit, ...).
    assert_int_equal(verify(raw_token(R"({"alg":"HS256","kid":"k1"})", p)), TokenError::None);
    assert_int_equal(verify(raw_token(R"({"alg":"HS256","typ":"JWS","kid":"k1"})", p)), TokenError::Malformed);
    assert_int_equal(verify(raw_token(R"({"alg":"HS256","typ":"JWT","kid":"k1","jku":"http://x"})", p)),
                     TokenError::Malformed);
    // Duplicate members are refused by the parser (no alg confusion).
    assert_int_equal(verify(raw_token(R"({"alg":"none","alg":"HS256","kid":"k1"})", p)), TokenError::Malformed);
    assert_int_equal(verify(raw_token(R"(["HS256"])", p)), TokenError::Malformed);
    assert_int_equal(verify(raw_token("not json", p)), TokenError::Malformed);
}

void kid_problems(void**) {
    const std::string p = Payload{}.json();
    assert_int_equal(verify(raw_token(R"({"alg":"HS256","typ":"JWT"})", p)), TokenError::UnknownKey);
    assert_int_equal(verify(raw_token(R"({"alg":"HS256","typ":"JWT","kid":"k3"})", p)), TokenError::UnknownKey);
    assert_int_equal(verify(raw_token(R"({"alg":"HS256","typ":"JWT","kid":1})", p)), TokenError::UnknownKey);
    assert_int_equal(verify(raw_token(R"({"alg":"HS256","typ":"JWT","kid":""})", p)), TokenError::UnknownKey);
    assert_int_equal(verify(raw_token(R"({"alg":"HS256","typ":"JWT","kid":"K1"})", p)), TokenError::UnknownKey);
}

void audience(void**) {
    Payload p;
    assert_int_equal(verify_payload(p), TokenError::None);
    p.aud = R"("janus.plugin.videoroom")";
    assert_int_equal(verify_payload(p), TokenError::WrongAudience);
    p.aud = R"(["a","janus.plugin.telemed"])";
    assert_int_equal(verify_payload(p), TokenError::None);
    p.aud = R"(["a","b"])";
    assert_int_equal(verify_payload(p), TokenError::WrongAudience);
    p.aud = R"([])";
    assert_int_equal(verify_payload(p), TokenError::WrongAudience);
    p.aud = "";
    assert_int_equal(verify_payload(p), TokenError::WrongAudience);
    p.aud = "1";
    assert_int_equal(verify_payload(p), TokenError::WrongAudience);
}

void issuer(void**) {
    Payload p;
    p.iss = R"("evil")";
    assert_int_equal(verify_payload(p), TokenError::WrongIssuer);
    assert_int_equal(verify_payload(p, opts(kNow, 30, "")), TokenError::None);
    p.iss = "";
    assert_int_equal(verify_payload(p), TokenError::WrongIssuer);
    assert_int_equal(verify_payload(p, opts(kNow, 30, "")), TokenError::BadClaims);  // iss still required
    p.iss = "7";
    assert_int_equal(verify_payload(p), TokenError::WrongIssuer);
}

void expiry_and_leeway(void**) {
    Payload p;  // nbf = kNow, exp = kNow + 300
    // exp <= now - leeway is expired.
    assert_int_equal(verify_payload(p, opts(kNow + 300 + 29)), TokenError::None);
    assert_int_equal(verify_payload(p, opts(kNow + 300 + 30)), TokenError::Expired);
    assert_int_equal(verify_payload(p, opts(kNow + 100000)), TokenError::Expired);
    // Without leeway: valid while now < exp.
    assert_int_equal(verify_payload(p, opts(kNow + 299, 0)), TokenError::None);
    assert_int_equal(verify_payload(p, opts(kNow + 300, 0)), TokenError::Expired);
    // A negative leeway counts as zero.
    assert_int_equal(verify_payload(p, opts(kNow + 299, -100)), TokenError::None);
    assert_int_equal(verify_payload(p, opts(kNow + 300, -100)), TokenError::Expired);
}

void not_yet_valid_and_leeway(void**) {
    Payload p;  // nbf = kNow
    // nbf > now + leeway is not yet valid.
    assert_int_equal(verify_payload(p, opts(kNow - 30)), TokenError::None);
    assert_int_equal(verify_payload(p, opts(kNow - 31)), TokenError::NotYetValid);
    assert_int_equal(verify_payload(p, opts(kNow, 0)), TokenError::None);
    assert_int_equal(verify_payload(p, opts(kNow - 1, 0)), TokenError::NotYetValid);
    assert_int_equal(verify_payload(p, opts(0)), TokenError::NotYetValid);
}

void bad_claims(void**) {
    Payload p;
    p.sub = R"("not-a-uuid")";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.sid = R"("66666666-7777-4888-9999-aaaaaaaaaaa")";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.sub = "";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.role = R"("admin")";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.role = "";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.perms = R"(["subscribe","teleport"])";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.perms = R"(["chat","chat"])";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.perms = R"("chat")";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.perms = R"([1])";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.perms = "";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.exp = "";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.exp = R"("1700000300")";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.exp = "1700000300.5";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.nbf = "";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.iat = "-1";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.exp = "99999999999999";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.nbf = std::to_string(kNow + 10);
    p.exp = std::to_string(kNow + 5);  // exp before nbf
    assert_int_equal(verify_payload(p, opts(kNow + 7)), TokenError::BadClaims);
    p = {};
    p.jti = "";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    p = {};
    p.jti = R"("")";
    assert_int_equal(verify_payload(p), TokenError::BadClaims);
    // Payload that is not a JSON object, correctly signed.
    assert_int_equal(verify(raw_token(kHeader, "[1,2]")), TokenError::Malformed);
    assert_int_equal(verify(raw_token(kHeader, "{\"a\":")), TokenError::Malformed);
    assert_int_equal(verify(raw_token(kHeader, R"({"exp":1,"exp":2})")), TokenError::Malformed);
    // Unknown extra claims are ignored.
    p = {};
    p.extra = R"(,"x-extra":{"nested":true})";
    assert_int_equal(verify_payload(p), TokenError::None);
}

void oversized(void**) {
    // Grow a filler claim until the token crosses kMaxTokenLength: the last
    // one at or below the limit verifies, the first one above is Malformed.
    std::size_t below = 0, above = 0;
    for (std::size_t n = 2500; n < 2900 && above == 0; ++n) {
        Payload p;
        p.extra = ",\"f\":\"" + std::string(n, 'x') + "\"";
        const std::string t = raw_token(kHeader, p.json());
        if (t.size() <= kMaxTokenLength) {
            below = t.size();
            assert_int_equal(verify(t), TokenError::None);
        } else {
            above = t.size();
            assert_int_equal(verify(t), TokenError::Malformed);
        }
    }
    assert_true(below > 4090 && below <= 4096);
    assert_true(above > 4096);
    assert_int_equal(verify(std::string(100000, 'a')), TokenError::Malformed);
}

void garbage(void**) {
    assert_int_equal(verify("!!!.???.***"), TokenError::Malformed);
    assert_int_equal(verify("a.b.c"), TokenError::Malformed);  // 1-char parts: impossible lengths
    assert_int_equal(verify(".."), TokenError::Malformed);
    assert_int_equal(verify("eyJhbGciOiJIUzI1NiJ9==.e30.AAAA"), TokenError::Malformed);  // padding
    const std::string t = mint_token(claims(), "k1", kSecret1);
    std::string ws = t;
    ws.insert(ws.find('.') + 3, " ");
    assert_int_equal(verify(ws), TokenError::Malformed);
    std::string std_alpha = t;
    std_alpha[std_alpha.find('.') + 2] = '+';
    assert_int_equal(verify(std_alpha), TokenError::Malformed);
    std::string sig_bad = t;
    sig_bad[sig_bad.rfind('.') + 1] = '/';
    assert_int_equal(verify(sig_bad), TokenError::Malformed);
    assert_int_equal(verify(std::string_view(t.c_str(), t.size() + 1)), TokenError::Malformed);  // trailing NUL
}

void keyring_spec(void**) {
    KeyRing r;
    std::string err;
    assert_true(r.add_from_spec(" k1 : 0123456789abcdef0123456789abcdef , k.2-x_y:sec:ret:with:colons-32-bytes-long!! ,",
                                &err));
    assert_int_equal(r.size(), 2);
    assert_non_null(r.find("k1"));
    assert_str_eq(*r.find("k1"), "0123456789abcdef0123456789abcdef");
    assert_str_eq(*r.find("k.2-x_y"), "sec:ret:with:colons-32-bytes-long!!");
    assert_null(r.find("k3"));

    // Errors leave the ring unchanged and never print a secret.
    const char* bad[] = {
        "k3:short-SECRETVALUE",                                     // < 32 bytes
        "k3:0123456789abcdef0123456789abcdef,k4-no-colon-SECRETVALUE-0123456789abcdef",
        "bad kid:SECRETVALUE-0123456789abcdef0123456789",           // space in kid
        ":SECRETVALUE-0123456789abcdef0123456789",                  // empty kid
        "k1:SECRETVALUE-0123456789abcdef0123456789",                // duplicate of existing kid
        "k5:SECRETVALUE-0123456789abcdef0123456789,k5:SECRETVALUE-0123456789abcdef0123456789",
        "",                                                         // no keys
        " , ",
        "k\xc3\xa9:SECRETVALUE-0123456789abcdef0123456789",
    };
    for (const char* spec : bad) {
        err.clear();
        assert_false(r.add_from_spec(spec, &err));
        assert_false(err.empty());
        assert_int_equal(err.find("SECRETVALUE"), std::string::npos);
        assert_int_equal(err.find("0123456789abcdef"), std::string::npos);
        assert_int_equal(r.size(), 2);
    }
    assert_null(r.find("k3"));
    assert_false(r.add_from_spec(std::string(65, 'k') + ":0123456789abcdef0123456789abcdef", &err));
    assert_true(r.add_from_spec(std::string(64, 'k') + ":0123456789abcdef0123456789abcdef", &err));
    assert_int_equal(r.size(), 3);
    // A null error pointer is allowed.
    assert_false(r.add_from_spec("x", nullptr));

    KeyRing a;
    assert_true(a.empty());
    assert_false(a.add("k", std::string(31, 's')));
    assert_true(a.add("k", std::string(32, 's')));
    assert_false(a.add("k", std::string(40, 't')));  // no silent replacement
    assert_false(a.add("", std::string(32, 's')));
    assert_false(a.add("a/b", std::string(32, 's')));
    assert_int_equal(a.size(), 1);
}

void mint_refuses_bad_keys(void**) {
    bool threw = false;
    try {
        mint_token(claims(), "k1", "short");
    } catch (const std::invalid_argument&) {
        threw = true;
    }
    assert_true(threw);
    threw = false;
    try {
        mint_token(claims(), "bad kid", kSecret1);
    } catch (const std::invalid_argument&) {
        threw = true;
    }
    assert_true(threw);
    // A claim that cannot be JSON text is refused, not silently dropped.
    threw = false;
    try {
        TokenClaims c = claims();
        c.iss = "\xff";
        mint_token(c, "k1", kSecret1);
    } catch (const std::invalid_argument&) {
        threw = true;
    }
    assert_true(threw);
}

void error_names(void**) {
    const TokenError all[] = {TokenError::None,          TokenError::Malformed,     TokenError::UnsupportedAlg,
                              TokenError::UnknownKey,    TokenError::BadSignature,  TokenError::WrongAudience,
                              TokenError::WrongIssuer,   TokenError::NotYetValid,   TokenError::Expired,
                              TokenError::BadClaims};
    for (std::size_t i = 0; i < std::size(all); ++i) {
        assert_false(to_string(all[i]).empty());
        for (std::size_t j = 0; j < i; ++j) assert_false(to_string(all[i]) == to_string(all[j]));
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer),     cmocka_unit_test(round_trip),
        cmocka_unit_test(key_rotation),     cmocka_unit_test(tampered),
        cmocka_unit_test(truncated),        cmocka_unit_test(alg_none),
        cmocka_unit_test(other_algs),       cmocka_unit_test(header_shape),
        cmocka_unit_test(kid_problems),     cmocka_unit_test(audience),
        cmocka_unit_test(issuer),           cmocka_unit_test(expiry_and_leeway),
        cmocka_unit_test(not_yet_valid_and_leeway), cmocka_unit_test(bad_claims),
        cmocka_unit_test(oversized),        cmocka_unit_test(garbage),
        cmocka_unit_test(keyring_spec),     cmocka_unit_test(mint_refuses_bad_keys),
        cmocka_unit_test(error_names),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
