// Unit tests for controller/http/rate_limit.cpp: burst then refusal with a
// Retry-After, refill over time, keys independent, unlimited, the bound on
// keys with least-recently-used eviction, time going backwards, and the
// address keys (IPv6 by /64).
#include <string>

#include "controller/http/rate_limit.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::RateLimiter;

namespace {

bool allowed(RateLimiter& l, const char* key, int64_t ms) { return l.take(key, ms).allowed; }

void test_burst_then_refused_with_retry_after(void**) {
    RateLimiter l(10, 0, 100);  // 10 a minute: one token every 6 s
    for (int i = 0; i < 10; ++i) assert_true(allowed(l, "a", 1000));
    telemed::RateDecision d = l.take("a", 1000);
    assert_false(d.allowed);
    assert_int_equal(d.retry_after_s, 6);
    d = l.take("a", 4000);  // 3 s later: half a token
    assert_false(d.allowed);
    assert_int_equal(d.retry_after_s, 3);
    assert_true(allowed(l, "a", 7000));  // one token back after 6 s
    assert_false(allowed(l, "a", 7000));
}

void test_refill_is_capped_at_burst(void**) {
    RateLimiter l(60, 5, 100);  // one a second, bursts of 5
    for (int i = 0; i < 5; ++i) assert_true(allowed(l, "k", 0));
    assert_false(allowed(l, "k", 0));
    // An hour later: still only 5.
    for (int i = 0; i < 5; ++i) assert_true(allowed(l, "k", 3600000));
    assert_false(allowed(l, "k", 3600000));
}

void test_keys_are_independent(void**) {
    RateLimiter l(2, 0, 100);
    assert_true(allowed(l, "a", 0));
    assert_true(allowed(l, "a", 0));
    assert_false(allowed(l, "a", 0));
    assert_true(allowed(l, "b", 0));
    assert_int_equal(l.size(), 2);
}

void test_unlimited(void**) {
    RateLimiter l(0, 0, 10);
    assert_true(l.unlimited());
    for (int i = 0; i < 1000; ++i) assert_true(allowed(l, "a", 0));
    assert_int_equal(l.size(), 0);
}

void test_bounded_keys_evict_least_recently_used(void**) {
    RateLimiter l(1, 0, 3);
    assert_true(allowed(l, "a", 0));
    assert_true(allowed(l, "b", 0));
    assert_true(allowed(l, "c", 0));
    assert_false(allowed(l, "a", 0));  // a used again: b is now the oldest
    assert_true(allowed(l, "d", 0));   // evicts b
    assert_int_equal(l.size(), 3);
    assert_false(allowed(l, "a", 0));  // a kept its (empty) bucket
    assert_false(allowed(l, "c", 0));
    assert_true(allowed(l, "b", 0));   // b starts afresh (evicts d, the oldest now)
    assert_int_equal(l.size(), 3);
    for (int i = 0; i < 1000; ++i) (void)l.take(std::to_string(i), 0);
    assert_int_equal(l.size(), 3);
}

void test_time_going_backwards_adds_nothing(void**) {
    RateLimiter l(60, 1, 10);
    assert_true(allowed(l, "a", 100000));
    assert_false(allowed(l, "a", 0));
    assert_false(allowed(l, "a", 100500));
    assert_true(allowed(l, "a", 101000));
}

void test_address_keys(void**) {
    using telemed::address_rate_key;
    assert_string_equal(address_rate_key("192.0.2.7").c_str(), "192.0.2.7");
    assert_string_equal(address_rate_key("2001:db8:1:2:3:4:5:6").c_str(), "2001:db8:1:2::/64");
    assert_string_equal(address_rate_key("2001:db8:1:2::ffff").c_str(), "2001:db8:1:2::/64");
    assert_string_equal(address_rate_key("::ffff:192.0.2.9").c_str(), "192.0.2.9");
    assert_string_equal(address_rate_key("::1").c_str(), "::/64");
    assert_string_equal(address_rate_key("").c_str(), "");
    assert_string_equal(address_rate_key("not an address").c_str(), "not an address");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refused_with_retry_after),
        cmocka_unit_test(test_refill_is_capped_at_burst),
        cmocka_unit_test(test_keys_are_independent),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_bounded_keys_evict_least_recently_used),
        cmocka_unit_test(test_time_going_backwards_adds_nothing),
        cmocka_unit_test(test_address_keys),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
