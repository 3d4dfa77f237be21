// Unit tests for controller/http/auth.cpp: the Authorization: Bearer check.
#include <string>
#include <vector>

#include "controller/http/auth.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

namespace {

int check(const char* header) {
    static const std::vector<std::string> keys = {"key-zero-0123456789", "key-one-0123456789ab",
                                                  "key-two-0123456789abcd"};
    return telemed::match_bearer_key(header, keys);
}

void test_each_key_maps_to_its_index(void**) {
    assert_int_equal(check("Bearer key-zero-0123456789"), 0);
    assert_int_equal(check("Bearer key-one-0123456789ab"), 1);
    assert_int_equal(check("Bearer key-two-0123456789abcd"), 2);
}

void test_scheme_case_and_spacing(void**) {
    assert_int_equal(check("bearer key-one-0123456789ab"), 1);
    assert_int_equal(check("BEARER   key-one-0123456789ab  "), 1);
    assert_int_equal(check("Bearerkey-one-0123456789ab"), -1);
    assert_int_equal(check("Basic key-one-0123456789ab"), -1);
    assert_int_equal(check("key-one-0123456789ab"), -1);
}

void test_missing_wrong_prefix_suffix_refused(void**) {
    assert_int_equal(check(""), -1);
    assert_int_equal(check("Bearer"), -1);
    assert_int_equal(check("Bearer "), -1);
    assert_int_equal(check("Bearer key-one-0123456789a"), -1);    // prefix of a key
    assert_int_equal(check("Bearer key-one-0123456789abc"), -1);  // key plus one char
    assert_int_equal(check("Bearer KEY-ONE-0123456789AB"), -1);   // keys are case-sensitive
    assert_int_equal(check("Bearer key-one-0123456789ab, Bearer x"), -1);
}

void test_no_keys_configured_refuses_everything(void**) {
    std::vector<std::string> none;
    assert_int_equal(telemed::match_bearer_key("Bearer anything-at-all-123", none), -1);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_key_maps_to_its_index),
        cmocka_unit_test(test_scheme_case_and_spacing),
        cmocka_unit_test(test_missing_wrong_prefix_suffix_refused),
        cmocka_unit_test(test_no_keys_configured_refuses_everything),
    };
    return cmocka_run_group_tests_name("controller_auth", tests, nullptr, nullptr);
}
