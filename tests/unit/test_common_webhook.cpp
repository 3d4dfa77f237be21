// Standard Webhooks signing (the specification's own test vector), the
// whsec_ secret format, the request body and the full-jitter backoff bounds.
#include "common/webhook.hpp"

#include "common/crypto.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

// standard-webhooks/standard-webhooks libraries/python/tests/test_webhooks.py
// test_sign_function: key whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id
// msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp 1614265330, payload
// '{"test": 2432232314}'. Cross-checked with Python:
//   base64.b64encode(hmac.new(base64.b64decode(k), b"<id>.<ts>.<payload>", hashlib.sha256).digest())
void spec_vector(void**) {
    std::optional<std::string> key = webhook::parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert_true(key.has_value());
    assert_int_equal(key->size(), 24);
    assert_str_eq(webhook::sign(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"),
                  "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    // The spec's "invalid signature" case differs in its last character.
    assert_false(webhook::verify(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}",
                                 "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="));
    assert_true(webhook::verify(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}",
                                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    // Several signatures (key rotation on the receiver's side): any v1 match.
    assert_true(webhook::verify(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}",
                                "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,x "
                                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    // Any change to id, timestamp or body breaks it.
    assert_false(webhook::verify(*key, "msg_p5jXN8AQM9LWM0D4loKWxJeK", 1614265330, "{\"test\": 2432232314}",
                                 "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    assert_false(webhook::verify(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, "{\"test\": 2432232314}",
                                 "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    assert_false(webhook::verify(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\":2432232314}",
                                 "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
}

void secrets(void**) {
    const std::string k32 = std::string(32, '\x42');
    std::optional<std::string> k = webhook::parse_secret("whsec_" + base64_encode(k32));
    assert_true(k.has_value());
    assert_true(*k == k32);
    assert_false(webhook::parse_secret("").has_value());
    assert_false(webhook::parse_secret("whsec_").has_value());
    assert_false(webhook::parse_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").has_value());  // no prefix
    assert_false(webhook::parse_secret("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").has_value());
    assert_false(webhook::parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS").has_value());   // not a multiple of 4
    assert_false(webhook::parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w").has_value());  // url alphabet
    assert_false(webhook::parse_secret("whsec_" + base64_encode(std::string(23, 'x'))).has_value());  // too short
    assert_false(webhook::parse_secret("whsec_" + base64_encode(std::string(65, 'x'))).has_value());  // too long
    assert_true(webhook::parse_secret("whsec_" + base64_encode(std::string(64, 'x'))).has_value());
}

void base64_strict(void**) {
    assert_true(base64_decode("") == std::optional<std::string>(""));
    assert_true(base64_decode("Zm9vYg==") == std::optional<std::string>("foob"));
    assert_true(base64_decode("Zm9vYmE=") == std::optional<std::string>("fooba"));
    assert_true(base64_decode("+/+/") == std::optional<std::string>("\xfb\xff\xbf"));
    assert_false(base64_decode("Zm9vYg").has_value());    // padding required
    assert_false(base64_decode("Zm9vYh==").has_value());  // non-canonical bits
    assert_false(base64_decode("Zm=vYg==").has_value());  // '=' inside
    assert_false(base64_decode("====").has_value());
    assert_false(base64_decode("Zm9 Yg==").has_value());
}

void request_body(void**) {
    Json payload(json_object());
    json_object_set_new(payload.get(), "session_id", json_string("4b9cdc3e-3f6b-4c3e-9d55-3a1f3c2d1e0f"));
    json_object_set_new(payload.get(), "status", json_string("active"));
    json_object_set_new(payload.get(), "event_id", json_string("0f8e6a6e-8a4e-4f5e-9c3a-2b1d0e9f8a7b"));
    json_object_set_new(payload.get(), "topic", json_string("session.started"));
    json_object_set_new(payload.get(), "occurred_at", json_string("2026-01-02T03:04:05.123456Z"));
    const std::string b = webhook::body("session.started", "2026-01-02T03:04:05.123456Z", payload.get());
    assert_str_eq(b,
                  "{\"type\":\"session.started\",\"timestamp\":\"2026-01-02T03:04:05.123456Z\",\"data\":"
                  "{\"session_id\":\"4b9cdc3e-3f6b-4c3e-9d55-3a1f3c2d1e0f\",\"status\":\"active\","
                  "\"event_id\":\"0f8e6a6e-8a4e-4f5e-9c3a-2b1d0e9f8a7b\"}}");
    // The caller's payload is untouched (a copy is trimmed).
    assert_non_null(json_object_get(payload.get(), "topic"));
    assert_str_eq(webhook::body("a.b", "t", nullptr), "{\"type\":\"a.b\",\"timestamp\":\"t\",\"data\":{}}");
    assert_str_eq(webhook::body("a.b", "\xff", nullptr), "");
}

void backoff_bounds(void**) {
    // Attempt 1: [1, base]; the ceiling doubles per attempt up to the cap.
    assert_int_equal(webhook::backoff_ms(1, 500, 900000, 0), 1);
    assert_int_equal(webhook::backoff_ms(1, 500, 900000, 500), 500);
    assert_int_equal(webhook::backoff_ms(1, 500, 900000, 501), 1);  // 501 % 501 = 0 -> at least 1 ms
    assert_int_equal(webhook::backoff_ms(2, 500, 900000, 1000), 1000);
    assert_int_equal(webhook::backoff_ms(3, 500, 900000, 2000), 2000);
    assert_int_equal(webhook::backoff_ms(3, 500, 900000, 2001), 1);
    // Saturates at the cap, also for absurd attempt numbers (no overflow).
    assert_int_equal(webhook::backoff_ms(12, 500, 900000, 900000), 900000);
    assert_int_equal(webhook::backoff_ms(1000, 500, 900000, 900000), 900000);
    assert_int_equal(webhook::backoff_ms(4000000000u, 500, 900000, UINT64_MAX % 900001), static_cast<int64_t>(UINT64_MAX % 900001));
    // Every draw lies in [1, min(cap, base * 2^(n-1))].
    uint64_t x = 88172645463325252ull;
    for (unsigned attempt = 1; attempt <= 40; ++attempt) {
        int64_t ceiling = 500;
        for (unsigned i = 1; i < attempt && ceiling < 900000; ++i) ceiling *= 2;
        if (ceiling > 900000) ceiling = 900000;
        int64_t hi = 0;
        for (int i = 0; i < 2000; ++i) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;  // xorshift64
            const int64_t d = webhook::backoff_ms(attempt, 500, 900000, x);
            assert_true(d >= 1 && d <= ceiling);
            if (d > hi) hi = d;
        }
        // Full jitter spreads over the whole range (not a fixed delay).
        assert_true(hi > ceiling / 2);
    }
    // Degenerate settings stay positive.
    assert_int_equal(webhook::backoff_ms(1, 0, 0, 12345), 1);
}

void delivered_statuses(void**) {
    assert_true(webhook::delivered(200));
    assert_true(webhook::delivered(204));
    assert_true(webhook::delivered(299));
    assert_false(webhook::delivered(0));
    assert_false(webhook::delivered(199));
    assert_false(webhook::delivered(301));
    assert_false(webhook::delivered(410));
    assert_false(webhook::delivered(503));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_vector),   cmocka_unit_test(secrets),        cmocka_unit_test(base64_strict),
        cmocka_unit_test(request_body),  cmocka_unit_test(backoff_bounds), cmocka_unit_test(delivered_statuses),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
