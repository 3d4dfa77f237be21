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

// The internal endpoints' plugin secret: exact, constant-time, and an empty
// secret opens nothing (not even an empty or absent header).
void test_plugin_secret(void**) {
    const char* secret = "plugin-secret-0123456789abcdef";
    assert_true(telemed::plugin_secret_matches("Bearer plugin-secret-0123456789abcdef", secret));
    assert_true(telemed::plugin_secret_matches("bearer  plugin-secret-0123456789abcdef", secret));
    assert_false(telemed::plugin_secret_matches("Bearer plugin-secret-0123456789abcde", secret));
    assert_false(telemed::plugin_secret_matches("Bearer plugin-secret-0123456789abcdefX", secret));
    assert_false(telemed::plugin_secret_matches("Basic plugin-secret-0123456789abcdef", secret));
    assert_false(telemed::plugin_secret_matches("plugin-secret-0123456789abcdef", secret));
    assert_false(telemed::plugin_secret_matches("", secret));
    assert_false(telemed::plugin_secret_matches("", ""));
    assert_false(telemed::plugin_secret_matches("Bearer ", ""));
    assert_false(telemed::plugin_secret_matches("Bearer x", ""));
}

int plugin_unauthorized_status() {
    telemed::Response r = telemed::plugin_unauthorized();
    bool challenge = false;
    for (const auto& [k, v] : r.headers) challenge = challenge || (k == "WWW-Authenticate" && v == "Bearer");
    if (!challenge || r.content_type != "application/problem+json") return -1;
    return r.status;
}

void test_plugin_unauthorized_problem(void**) { assert_int_equal(plugin_unauthorized_status(), 401); }

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_key_maps_to_its_index),
        cmocka_unit_test(test_scheme_case_and_spacing),
        cmocka_unit_test(test_missing_wrong_prefix_suffix_refused),
        cmocka_unit_test(test_no_keys_configured_refuses_everything),
        cmocka_unit_test(test_plugin_secret),
        cmocka_unit_test(test_plugin_unauthorized_problem),
    };
    return cmocka_run_group_tests_name("controller_auth", tests, nullptr, nullptr);
}
