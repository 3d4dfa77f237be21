// Unit tests for common/playback_link.cpp: round trip, the layout, tampering
// with every character, a wrong or unknown kid, another key's secret, expiry
// at its boundary, key rotation (the first key signs, every key verifies),
// truncation, oversized input and garbage, out-of-range fields signed with a
// valid key, the key list parser, and mint's argument checks.
#include <string>

#include "common/crypto.hpp"
#include "common/playback_link.hpp"
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

const char* const kLid = "0c7d1b9e-4b0a-4f59-8a8e-5d2f7c6e1a22";
const char* const kRid = "5b0c0000-1111-4222-8333-444455556666";
constexpr int64_t kExp = 1900000900;
constexpr int64_t kNow = 1900000000;

PlaybackKey key_a() { return {"pb2", "playback-secret-two-0123456789abcdef0123"}; }
PlaybackKey key_b() { return {"pb1.old", "playback-secret-one-abcdefghijklmnopqrstuv"}; }
PlaybackKeys ring() { return {key_a(), key_b()}; }

std::string sample(const PlaybackKey& k = key_a()) { return mint_playback_link(kLid, kRid, kExp, k); }

PlaybackLinkError error_of(const std::string& text, const PlaybackKeys& keys = ring(), int64_t now = kNow) {
    return verify_playback_link(text, keys, now).error;
}

// A token over an arbitrary payload, signed with `k` (for out-of-range fields).
std::string sign_raw(const std::string& payload, const PlaybackKey& k) {
    std::string text = "tpl1." + base64url_encode(payload);
    return text + "." + base64url_encode(hmac_sha256(k.secret, text));
}

std::string raw_payload(const std::string& kid, uint64_t exp) {
    std::string p;
    p.push_back(static_cast<char>(kid.size()));
    p += kid;
    p += std::string(32, '\x11');
    for (int s = 56; s >= 0; s -= 8) p.push_back(static_cast<char>((exp >> s) & 0xFF));
    return p;
}

void round_trip(void**) {
    const std::string t = sample();
    assert_str_eq(t.substr(0, 5), "tpl1.");
    assert_true(t.size() <= 189);
    const PlaybackLinkResult r = verify_playback_link(t, ring(), kNow);
    assert_true(r.ok());
    assert_str_eq(r.claims.kid, "pb2");
    assert_str_eq(r.claims.link_id, kLid);
    assert_str_eq(r.claims.recording_id, kRid);
    assert_int_equal(r.claims.exp, kExp);
    // Upper-case ids come back lower-case; the longest kid gives the longest token.
    const PlaybackKey long_kid{std::string(64, 'k'), key_a().secret};
    const std::string u = mint_playback_link("AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA", kRid, kMaxPlaybackTime, long_kid);
    assert_int_equal(u.size(), 189);
    const PlaybackLinkResult ur = verify_playback_link(u, {long_kid}, kNow);
    assert_true(ur.ok());
    assert_str_eq(ur.claims.link_id, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    assert_int_equal(ur.claims.exp, kMaxPlaybackTime);
    // Deterministic, and bound to every field.
    assert_str_eq(sample(), t);
    assert_false(mint_playback_link(kLid, kRid, kExp + 1, key_a()) == t);
    assert_false(mint_playback_link(kRid, kLid, kExp, key_a()) == t);
    assert_false(sample(key_b()) == t);
}

void tamper_every_character(void**) {
    const std::string t = sample();
    for (std::size_t i = 0; i < t.size(); ++i) {
        std::string x = t;
        x[i] = x[i] == 'A' ? 'B' : 'A';
        assert_true(error_of(x) != PlaybackLinkError::None);
    }
    // The payload of one link with the MAC of another.
    const std::string other = mint_playback_link(kLid, kRid, kExp + 60, key_a());
    const std::size_t dot = t.rfind('.');
    assert_int_equal(other.rfind('.'), dot);
    assert_int_equal(error_of(t.substr(0, dot) + other.substr(dot)), PlaybackLinkError::BadSignature);
    assert_int_equal(error_of(other.substr(0, dot) + t.substr(dot)), PlaybackLinkError::BadSignature);
    // Changing only the exp bytes (a longer life) breaks the MAC.
    std::string p = *base64url_decode(std::string_view(t).substr(5, dot - 5));
    p[p.size() - 1] = static_cast<char>(p[p.size() - 1] + 1);
    assert_int_equal(error_of("tpl1." + base64url_encode(p) + t.substr(dot)), PlaybackLinkError::BadSignature);
}

void wrong_kid_and_other_secret(void**) {
    // Signed by a key we do not have.
    const PlaybackKey stranger{"pb9", key_a().secret};
    assert_int_equal(error_of(sample(stranger)), PlaybackLinkError::UnknownKey);
    // Our kid, another secret (a forgery).
    const PlaybackKey forged{"pb2", "attacker-secret-0123456789abcdef0123456789"};
    assert_int_equal(error_of(sample(forged)), PlaybackLinkError::BadSignature);
    // A kid of ours pointing at the other key's secret.
    const PlaybackKey swapped{"pb1.old", key_a().secret};
    assert_int_equal(error_of(sample(swapped)), PlaybackLinkError::BadSignature);
    // Nothing verifies against no keys, or a key with a short secret.
    assert_int_equal(error_of(sample(), {}), PlaybackLinkError::UnknownKey);
    assert_int_equal(error_of(sample(), {{"pb2", "short"}}), PlaybackLinkError::BadSignature);
}

void expiry_at_the_boundary(void**) {
    const std::string t = sample();
    assert_int_equal(error_of(t, ring(), kExp - 1), PlaybackLinkError::None);
    assert_int_equal(error_of(t, ring(), kExp), PlaybackLinkError::Expired);
    assert_int_equal(error_of(t, ring(), kExp + 1), PlaybackLinkError::Expired);
    assert_int_equal(error_of(t, ring(), 0), PlaybackLinkError::None);
    // Expired is only said of a genuine token: a forged expired one is a bad signature.
    const PlaybackKey forged{"pb2", "attacker-secret-0123456789abcdef0123456789"};
    assert_int_equal(error_of(sample(forged), ring(), kExp + 5), PlaybackLinkError::BadSignature);
}

void key_rotation(void**) {
    // Before the rotation only b exists; after it a signs and b still verifies.
    const std::string old_token = sample(key_b());
    assert_int_equal(error_of(old_token, {key_b()}), PlaybackLinkError::None);
    assert_int_equal(error_of(old_token, {key_a(), key_b()}), PlaybackLinkError::None);
    assert_int_equal(error_of(sample(key_a()), {key_a(), key_b()}), PlaybackLinkError::None);
    // Once b is dropped its tokens are dead; a's live on.
    assert_int_equal(error_of(old_token, {key_a()}), PlaybackLinkError::UnknownKey);
    assert_int_equal(error_of(sample(key_a()), {key_a()}), PlaybackLinkError::None);
    // parse_playback_keys keeps the configured order: the first one signs.
    std::string err;
    std::optional<PlaybackKeys> keys =
        parse_playback_keys(" pb2 : playback-secret-two-0123456789abcdef0123 ,pb1.old:playback-secret-one-abcdefghijklmnopqrstuv,",
                            &err);
    assert_true(keys.has_value());
    assert_int_equal(keys->size(), 2);
    assert_str_eq((*keys)[0].kid, "pb2");
    assert_str_eq((*keys)[0].secret, key_a().secret);
    assert_str_eq((*keys)[1].kid, "pb1.old");
    assert_int_equal(error_of(old_token, *keys), PlaybackLinkError::None);
}

void truncated_oversized_and_garbage(void**) {
    const std::string t = sample();
    for (std::size_t n = 0; n < t.size(); ++n) assert_true(error_of(t.substr(0, n)) != PlaybackLinkError::None);
    assert_true(error_of(t + "A") != PlaybackLinkError::None);
    assert_int_equal(error_of(t + "." + t), PlaybackLinkError::Malformed);
    assert_int_equal(error_of(t + std::string(10000, 'A')), PlaybackLinkError::Malformed);
    assert_int_equal(error_of(std::string(kMaxPlaybackLinkInput + 1, 'A')), PlaybackLinkError::Malformed);
    assert_int_equal(error_of(""), PlaybackLinkError::Malformed);
    assert_int_equal(error_of("tpl1."), PlaybackLinkError::Malformed);
    assert_int_equal(error_of("tpl1.."), PlaybackLinkError::Malformed);
    assert_int_equal(error_of("tpl2" + t.substr(4)), PlaybackLinkError::Malformed);
    assert_int_equal(error_of("TPL1" + t.substr(4)), PlaybackLinkError::Malformed);
    std::string bad64 = t;
    bad64[8] = '+';  // not base64url
    assert_int_equal(error_of(bad64), PlaybackLinkError::Malformed);
    std::string padded = t;
    padded.insert(t.rfind('.'), "=");
    assert_int_equal(error_of(padded), PlaybackLinkError::Malformed);
    // A participant credential or a join token is not a playback link.
    assert_int_equal(error_of("tpc1.ERERERERQRGBERERERERERG7u7u7u7tLu4u7u7u7u7sAAAAAAAAAAAAAAABxQ-Xo.6hW2"),
                     PlaybackLinkError::Malformed);
    assert_int_equal(error_of("eyJhbGciOiJIUzI1NiJ9.e30.sig"), PlaybackLinkError::Malformed);
}

void signed_bad_layouts(void**) {
    // Valid MAC with our key, but the payload breaks the layout: Malformed, never accepted.
    const PlaybackKey k = key_a();
    assert_int_equal(error_of(sign_raw(raw_payload("pb2", kExp), k)), PlaybackLinkError::None);
    assert_int_equal(error_of(sign_raw(raw_payload("pb2", static_cast<uint64_t>(kMaxPlaybackTime) + 1), k)),
                     PlaybackLinkError::Malformed);
    assert_int_equal(error_of(sign_raw(raw_payload("pb2", ~0ull), k)), PlaybackLinkError::Malformed);
    std::string p = raw_payload("pb2", kExp);
    assert_int_equal(error_of(sign_raw(p + "x", k)), PlaybackLinkError::Malformed);       // a byte too many
    assert_int_equal(error_of(sign_raw(p.substr(0, p.size() - 1), k)), PlaybackLinkError::Malformed);
    p[0] = 0;  // kid length 0
    assert_int_equal(error_of(sign_raw(p, k)), PlaybackLinkError::Malformed);
    assert_int_equal(error_of(sign_raw(raw_payload("p/2", kExp), k)), PlaybackLinkError::Malformed);  // kid character
    assert_int_equal(error_of(sign_raw(std::string(1, '\x41') + std::string(105, 'a'), k)), PlaybackLinkError::Malformed);
}

void parse_keys_refusals(void**) {
    std::string err;
    assert_false(parse_playback_keys("", &err).has_value());
    assert_false(parse_playback_keys(" , ", &err).has_value());
    assert_false(parse_playback_keys("nocolon", &err).has_value());
    assert_false(parse_playback_keys("k1:short", &err).has_value());
    assert_true(err.find("short") == std::string::npos);  // never quotes the secret
    assert_false(parse_playback_keys(":playback-secret-two-0123456789abcdef0123", &err).has_value());
    assert_false(parse_playback_keys("k/1:playback-secret-two-0123456789abcdef0123", &err).has_value());
    assert_false(parse_playback_keys(std::string(65, 'k') + ":playback-secret-two-0123456789abcdef0123", &err)
                     .has_value());
    assert_false(parse_playback_keys("k1:playback-secret-two-0123456789abcdef0123,k1:playback-secret-one-abcdefghijklmnopqrstuv",
                                     &err)
                     .has_value());
    std::string many;
    for (int i = 0; i < 17; ++i) many += "k" + std::to_string(i) + ":playback-secret-two-0123456789abcdef0123,";
    assert_false(parse_playback_keys(many, &err).has_value());
    assert_string_equal(err.c_str(), "at most 16 playback keys");
    // Errors name the item by position (common/key_spec.hpp), never its content.
    assert_false(parse_playback_keys("k1:playback-secret-two-0123456789abcdef0123,k2:tooshortsecret", &err).has_value());
    assert_string_equal(err.c_str(), "playback key #2: secret must be at least 32 bytes");
    assert_false(parse_playback_keys("k1:playback-secret-two-0123456789abcdef0123, k1 :playback-secret-one-abcdefghijklmnopqrstuv",
                                     &err).has_value());
    assert_string_equal(err.c_str(), "playback key #2: duplicate kid");
    assert_false(parse_playback_keys(" \r\n", &err).has_value());
    assert_string_equal(err.c_str(), "no playback keys given");
}

void mint_refuses_bad_arguments(void**) {
    bool threw = false;
    try { (void)mint_playback_link("not-a-uuid", kRid, kExp, key_a()); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { (void)mint_playback_link(kLid, kRid, -1, key_a()); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { (void)mint_playback_link(kLid, kRid, kMaxPlaybackTime + 1, key_a()); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { (void)mint_playback_link(kLid, kRid, kExp, {"pb2", "short"}); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { (void)mint_playback_link(kLid, kRid, kExp, {"", key_a().secret}); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(tamper_every_character),
        cmocka_unit_test(wrong_kid_and_other_secret),
        cmocka_unit_test(expiry_at_the_boundary),
        cmocka_unit_test(key_rotation),
        cmocka_unit_test(truncated_oversized_and_garbage),
        cmocka_unit_test(signed_bad_layouts),
        cmocka_unit_test(parse_keys_refusals),
        cmocka_unit_test(mint_refuses_bad_arguments),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
