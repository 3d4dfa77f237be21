// Janus signed tokens (common/janus_token.hpp) against vectors computed
// independently, and the checks Janus 1.1.2 src/auth.c makes.
#include <stdexcept>
#include <string>
#include <vector>

#include "common/janus_token.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

const char* const kSecret = "janus-token-secret-for-unit-tests-0123456789";

void known_vectors(void**) {
    // Computed with OpenSSL's command line, not with this code:
    //   D="1700003600,janus,janus.plugin.telemed"
    //   printf %s "$D" | openssl dgst -sha1 -hmac "$K" -binary | base64
    assert_str_eq(mint_janus_token(kSecret, 1700003600, {"janus.plugin.telemed"}),
                  "1700003600,janus,janus.plugin.telemed:3MVr1Gyc7jcoCxRNxR0Hmn3QnCQ=");
    assert_str_eq(mint_janus_token(kSecret, 1700003600, {"janus.plugin.telemed", "janus.plugin.videoroom"}),
                  "1700003600,janus,janus.plugin.telemed,janus.plugin.videoroom:5UiKrJ5pWtJGN0i5dZ9xmFE6kQc=");
}

void verify_round_trip_and_expiry(void**) {
    const std::string t = mint_janus_token(kSecret, 1700003600, {"janus.plugin.telemed"});
    auto ok = verify_janus_token(t, kSecret, 1700003600);  // Janus: valid while now <= expiry
    assert_true(ok.has_value());
    assert_int_equal(ok->expires_at, 1700003600);
    assert_int_equal(ok->plugins.size(), 1);
    assert_str_eq(ok->plugins[0], "janus.plugin.telemed");
    assert_false(verify_janus_token(t, kSecret, 1700003601).has_value());
}

void refuses_tampering_and_other_keys(void**) {
    const std::string t = mint_janus_token(kSecret, 1700003600, {"janus.plugin.telemed"});
    assert_false(verify_janus_token(t, "another-secret-of-at-least-32-bytes-long", 1).has_value());
    std::string later = t;
    later[0] = '2';  // a later expiry with the old MAC
    assert_false(verify_janus_token(later, kSecret, 1).has_value());
    std::string other = t;
    other.replace(other.find("telemed"), 7, "videoro");  // another plugin, same length
    assert_false(verify_janus_token(other, kSecret, 1).has_value());
    assert_false(verify_janus_token("", kSecret, 1).has_value());
    assert_false(verify_janus_token("1,janus", kSecret, 1).has_value());
    assert_false(verify_janus_token(t + ":x", kSecret, 1).has_value());
    assert_false(verify_janus_token(std::string(2000, 'a'), kSecret, 1).has_value());
    // Another realm, correctly signed: still refused.
    const std::string data = "1700003600,other,janus.plugin.telemed";
    assert_false(verify_janus_token(data + ":" + t.substr(t.find(':') + 1), kSecret, 1).has_value());
}

void refuses_bad_input_when_minting(void**) {
    bool threw = false;
    try { mint_janus_token("short", 1, {"janus.plugin.telemed"}); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { mint_janus_token(kSecret, 0, {"janus.plugin.telemed"}); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { mint_janus_token(kSecret, 1, {}); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    // A ',' or ':' in a plugin name would change what the token grants.
    try { mint_janus_token(kSecret, 1, {"janus.plugin.telemed,janus.plugin.sip"}); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { mint_janus_token(kSecret, 1, {"a:b"}); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
    threw = false;
    try { mint_janus_token(std::string(kSecret) + std::string(1, '\0'), 1, {"p"}); } catch (const std::invalid_argument&) { threw = true; }
    assert_true(threw);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_vectors),
        cmocka_unit_test(verify_round_trip_and_expiry),
        cmocka_unit_test(refuses_tampering_and_other_keys),
        cmocka_unit_test(refuses_bad_input_when_minting),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
