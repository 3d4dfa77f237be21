// coturn use-auth-secret credentials against an independently computed vector.
#include "common/turn.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

void known_vector(void**) {
    // Computed with OpenSSL's command line, not with this code:
    //   U="1700003600:participant-42"
    //   printf %s "$U" | openssl dgst -sha1 -hmac "turn-shared-secret-for-tests" -binary | base64
    //   -> YJrbPaM3YEI4NRXzu8Bfp/+INZg=
    const TurnCredentials c = make_turn_credentials("turn-shared-secret-for-tests", "participant-42", 1700000000, 3600);
    assert_int_equal(c.expires_at, 1700003600);
    assert_str_eq(c.username, "1700003600:participant-42");
    assert_str_eq(c.credential, "YJrbPaM3YEI4NRXzu8Bfp/+INZg=");
}

void depends_on_every_input(void**) {
    const TurnCredentials a = make_turn_credentials("secret-one", "p", 1000, 60);
    const TurnCredentials b = make_turn_credentials("secret-two", "p", 1000, 60);
    const TurnCredentials c = make_turn_credentials("secret-one", "q", 1000, 60);
    const TurnCredentials d = make_turn_credentials("secret-one", "p", 1000, 61);
    assert_str_eq(a.username, "1060:p");
    assert_false(a.credential == b.credential);
    assert_false(a.credential == c.credential);
    assert_false(a.credential == d.credential);
    assert_int_equal(a.credential.size(), 28);  // base64 of 20 bytes
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_vector),
        cmocka_unit_test(depends_on_every_input),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
