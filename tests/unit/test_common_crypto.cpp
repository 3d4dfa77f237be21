// HMAC / SHA-256 vectors, constant-time compare, base64 and strict base64url.
#include "common/crypto.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

void sha256_vectors(void**) {
    // FIPS 180-2 appendix B.1.
    assert_str_eq(hex_encode(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_str_eq(hex_encode(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(sha256("x").size(), 32);
}

void hmac_sha256_rfc4231(void**) {
    // RFC 4231 test case 1.
    assert_str_eq(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
                  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2.
    assert_str_eq(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
                  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: key longer than the block size.
    assert_str_eq(hex_encode(hmac_sha256(std::string(131, '\xaa'),
                                         "Test Using Larger Than Block-Size Key - Hash Key First")),
                  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // Empty key and data are legal inputs.
    assert_int_equal(hmac_sha256("", "").size(), 32);
}

void hmac_sha1_rfc2202(void**) {
    // RFC 2202 test cases 1 and 2.
    assert_str_eq(hex_encode(hmac_sha1(std::string(20, '\x0b'), "Hi There")),
                  "b617318655057264e28bc0b6fb378c8ef146be00");
    assert_str_eq(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")),
                  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

void hex(void**) {
    assert_str_eq(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
    assert_str_eq(hex_encode(""), "");
}

void constant_time(void**) {
    assert_true(constant_time_equal("", ""));
    assert_true(constant_time_equal("abcdef", "abcdef"));
    assert_false(constant_time_equal("abcdef", "abcdeg"));
    assert_false(constant_time_equal("bbcdef", "abcdef"));
    assert_false(constant_time_equal("abc", "abcd"));
    assert_false(constant_time_equal("abcd", "abc"));
    assert_false(constant_time_equal("", "a"));
    assert_true(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
    assert_false(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

void random(void**) {
    assert_int_equal(random_bytes(0).size(), 0);
    const std::string a = random_bytes(32), b = random_bytes(32);
    assert_int_equal(a.size(), 32);
    assert_false(a == b);
}

void base64_rfc4648(void**) {
    const char* in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char* std_out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    const char* url_out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (int i = 0; i < 7; ++i) {
        assert_str_eq(base64_encode(in[i]), std_out[i]);
        assert_str_eq(base64url_encode(in[i]), url_out[i]);
        const auto d = base64url_decode(url_out[i]);
        assert_true(d.has_value());
        assert_str_eq(*d, in[i]);
    }
    // Alphabet difference: 0xfb 0xff -> "+/8=" vs "-_8".
    assert_str_eq(base64_encode("\xfb\xff"), "+/8=");
    assert_str_eq(base64url_encode("\xfb\xff"), "-_8");
    const auto d = base64url_decode("-_8");
    assert_true(d.has_value());
    assert_str_eq(*d, "\xfb\xff");
}

void base64url_round_trip(void**) {
    for (std::size_t n = 0; n < 70; ++n) {
        const std::string raw = random_bytes(n);
        const std::string enc = base64url_encode(raw);
        assert_int_equal(enc.find_first_of("+/="), std::string::npos);
        const auto dec = base64url_decode(enc);
        assert_true(dec.has_value());
        assert_true(*dec == raw);
    }
}

void base64url_strict(void**) {
    assert_true(base64url_decode("").has_value());
    assert_false(base64url_decode("Zg==").has_value());    // padding
    assert_false(base64url_decode("Zm8=").has_value());    // padding
    assert_false(base64url_decode("Zm+v").has_value());    // standard alphabet
    assert_false(base64url_decode("Zm/v").has_value());
    assert_false(base64url_decode("Zm9v YmFy").has_value());  // whitespace
    assert_false(base64url_decode("Zm9v\nYmFy").has_value());
    assert_false(base64url_decode(" Zm9v").has_value());
    assert_false(base64url_decode("Zm9v\t").has_value());
    assert_false(base64url_decode(std::string("Zm\0v", 4)).has_value());
    assert_false(base64url_decode("Z").has_value());       // impossible length (1 mod 4)
    assert_false(base64url_decode("Zm9vY").has_value());
    assert_false(base64url_decode("Zm9v!").has_value());
    assert_false(base64url_decode("Zm9\xc3\xa9").has_value());
    // Non-zero trailing bits are refused (non-canonical encodings).
    assert_false(base64url_decode("Zh").has_value());
    assert_false(base64url_decode("Zm9").has_value());
    assert_true(base64url_decode("Zm8").has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_vectors),       cmocka_unit_test(hmac_sha256_rfc4231),
        cmocka_unit_test(hmac_sha1_rfc2202),    cmocka_unit_test(hex),
        cmocka_unit_test(constant_time),        cmocka_unit_test(random),
        cmocka_unit_test(base64_rfc4648),       cmocka_unit_test(base64url_round_trip),
        cmocka_unit_test(base64url_strict),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
