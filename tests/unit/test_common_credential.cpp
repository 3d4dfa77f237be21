// Unit tests for common/credential.cpp: round trip, determinism, the fixed
// length, tampering with every part, another key, truncation, oversized
// input, bad base64url, out-of-range fields, and mint's argument checks.
#include <string>

#include "common/credential.hpp"
#include "common/crypto.hpp"
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

const char* const kSecret = "credential-secret-0123456789abcdef0123";
const char* const kOther = "another-secret-0123456789abcdef01234567";
const char* const kSid = "11111111-1111-4111-8111-111111111111";
const char* const kPid = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";

CredentialClaims sample() {
    CredentialClaims c;
    c.session_id = kSid;
    c.participant_id = kPid;
    c.epoch = 3;
    c.issued_at = 1900000000;
    return c;
}

CredentialError error_of(const std::string& text, const char* secret = kSecret) {
    return verify_credential(text, secret).error;
}

void round_trip(void**) {
    const std::string t = mint_credential(sample(), kSecret);
    assert_int_equal(t.size(), kCredentialLength);
    assert_str_eq(t.substr(0, 5), "tpc1.");
    const CredentialResult r = verify_credential(t, kSecret);
    assert_true(r.ok());
    assert_str_eq(r.claims.session_id, kSid);
    assert_str_eq(r.claims.participant_id, kPid);
    assert_int_equal(r.claims.epoch, 3);
    assert_int_equal(r.claims.issued_at, 1900000000);
    // Upper-case ids come back lower-case; extreme field values survive.
    CredentialClaims c = sample();
    c.session_id = "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA";
    c.epoch = kMaxCredentialEpoch;
    c.issued_at = kMaxCredentialTime;
    const CredentialResult u = verify_credential(mint_credential(c, kSecret), kSecret);
    assert_true(u.ok());
    assert_str_eq(u.claims.session_id, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    assert_int_equal(u.claims.epoch, kMaxCredentialEpoch);
    assert_int_equal(u.claims.issued_at, kMaxCredentialTime);
}

void deterministic_and_bound_to_every_field(void**) {
    const std::string a = mint_credential(sample(), kSecret);
    assert_str_eq(mint_credential(sample(), kSecret), a);
    CredentialClaims c = sample();
    c.epoch = 4;
    assert_false(mint_credential(c, kSecret) == a);
    c = sample();
    c.issued_at += 1;
    assert_false(mint_credential(c, kSecret) == a);
    c = sample();
    c.participant_id = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
    assert_false(mint_credential(c, kSecret) == a);
    assert_false(mint_credential(sample(), kOther) == a);
}

void tamper_every_character(void**) {
    const std::string t = mint_credential(sample(), kSecret);
    for (std::size_t i = 0; i < t.size(); ++i) {
        std::string x = t;
        x[i] = x[i] == 'A' ? 'B' : 'A';
        const CredentialError e = error_of(x);
        assert_true(e != CredentialError::None);
        // Inside the payload or MAC the shape stays valid: a MAC failure.
        if (i > 5 && i != 69 && i < t.size() - 1) {
            if (e != CredentialError::BadSignature && e != CredentialError::Malformed) fail();
        }
    }
    // A re-signed payload with another key is refused by ours.
    assert_int_equal(error_of(mint_credential(sample(), kOther)), CredentialError::BadSignature);
    // Payload of one credential with the MAC of another.
    CredentialClaims c = sample();
    c.epoch = 0;
    const std::string other = mint_credential(c, kSecret);
    assert_int_equal(error_of(t.substr(0, 70) + other.substr(70)), CredentialError::BadSignature);
}

void other_key_and_short_secret(void**) {
    const std::string t = mint_credential(sample(), kSecret);
    assert_int_equal(error_of(t, kOther), CredentialError::BadSignature);
    assert_int_equal(error_of(t, ""), CredentialError::BadSignature);
    assert_int_equal(error_of(t, "short"), CredentialError::BadSignature);
}

void truncated_oversized_and_garbage(void**) {
    const std::string t = mint_credential(sample(), kSecret);
    for (std::size_t n = 0; n < t.size(); ++n) assert_int_equal(error_of(t.substr(0, n)), CredentialError::Malformed);
    assert_int_equal(error_of(t + "A"), CredentialError::Malformed);
    assert_int_equal(error_of(t + std::string(10000, 'A')), CredentialError::Malformed);
    assert_int_equal(error_of(std::string(kCredentialLength, 'A')), CredentialError::Malformed);
    assert_int_equal(error_of("tpc2" + t.substr(4)), CredentialError::Malformed);
    assert_int_equal(error_of("TPC1" + t.substr(4)), CredentialError::Malformed);
    std::string dot = t;
    dot[69] = 'x';  // the separator
    assert_int_equal(error_of(dot), CredentialError::Malformed);
    std::string bad64 = t;
    bad64[10] = '+';  // not base64url
    assert_int_equal(error_of(bad64), CredentialError::Malformed);
    bad64 = t;
    bad64[10] = '=';
    assert_int_equal(error_of(bad64), CredentialError::Malformed);
    std::string nul = t;
    nul[20] = '\0';
    assert_int_equal(error_of(nul), CredentialError::Malformed);
    // A join token (JWT) is not a credential.
    assert_int_equal(error_of("eyJhbGciOiJIUzI1NiJ9.e30.sig"), CredentialError::Malformed);
    // Non-canonical base64url in the MAC's last character (unused bits set).
    std::string last = t;
    last.back() = last.back() == 'B' ? 'C' : 'B';
    assert_true(error_of(last) != CredentialError::None);
}

// A correctly signed payload whose integers are out of range is Malformed.
void signed_out_of_range_fields(void**) {
    std::string payload(48, '\0');
    for (int i = 0; i < 16; ++i) payload[i] = static_cast<char>(0x11);
    for (int i = 16; i < 32; ++i) payload[i] = static_cast<char>(0xbb);
    payload[32] = static_cast<char>(0x80);  // epoch >= 2^63
    const std::string input = "tpc1." + base64url_encode(payload);
    const std::string t = input + "." + base64url_encode(hmac_sha256(kSecret, input));
    assert_int_equal(t.size(), kCredentialLength);
    assert_int_equal(error_of(t), CredentialError::Malformed);
    payload[32] = 0;
    const std::string ok_input = "tpc1." + base64url_encode(payload);
    assert_true(verify_credential(ok_input + "." + base64url_encode(hmac_sha256(kSecret, ok_input)), kSecret).ok());
}

void mint_refuses_bad_arguments(void**) {
    CredentialClaims c = sample();
    c.session_id = "not-a-uuid";
    bool threw = false;
    try { (void)mint_credential(c, kSecret); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    c = sample();
    c.epoch = -1;
    threw = false;
    try { (void)mint_credential(c, kSecret); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    c = sample();
    c.issued_at = kMaxCredentialTime + 1;
    threw = false;
    try { (void)mint_credential(c, kSecret); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { (void)mint_credential(sample(), "short"); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(deterministic_and_bound_to_every_field),
        cmocka_unit_test(tamper_every_character),
        cmocka_unit_test(other_key_and_short_secret),
        cmocka_unit_test(truncated_oversized_and_garbage),
        cmocka_unit_test(signed_out_of_range_fields),
        cmocka_unit_test(mint_refuses_bad_arguments),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
