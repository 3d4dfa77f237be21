// RFC 3339 formatting and parsing. Expected epoch values were computed with
// GNU date (e.g. `date -u -d @951782400` -> Tue Feb 29 00:00:00 UTC 2000).
#include "common/timeutil.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

constexpr int64_t M = 1000000;

bool parses_to(const char* s, int64_t want) {
    const auto v = parse_rfc3339_micros(s);
    return v.has_value() && *v == want;
}

bool refused(std::string_view s) { return !parse_rfc3339_micros(s).has_value(); }

void formats(void**) {
    assert_str_eq(format_rfc3339_micros(0), "1970-01-01T00:00:00Z");
    assert_str_eq(format_rfc3339_micros(1700000000 * M), "2023-11-14T22:13:20Z");
    assert_str_eq(format_rfc3339_micros(1700000000 * M + 123456), "2023-11-14T22:13:20.123456Z");
    assert_str_eq(format_rfc3339_micros(1700000000 * M + 1), "2023-11-14T22:13:20.000001Z");
    assert_str_eq(format_rfc3339_micros(951782400 * M), "2000-02-29T00:00:00Z");
    assert_str_eq(format_rfc3339_micros(4107542400 * M - M), "2100-02-28T23:59:59Z");  // 2100 not leap
    assert_str_eq(format_rfc3339_micros(253402300799 * M), "9999-12-31T23:59:59Z");
    assert_str_eq(format_rfc3339_micros(-1), "1969-12-31T23:59:59.999999Z");
}

void parses(void**) {
    assert_true(parses_to("1970-01-01T00:00:00Z", 0));
    assert_true(parses_to("2023-11-14T22:13:20Z", 1700000000 * M));
    assert_true(parses_to("2023-11-14t22:13:20z", 1700000000 * M));
    assert_true(parses_to("2023-11-14T23:13:20+01:00", 1700000000 * M));
    assert_true(parses_to("2023-11-14T21:43:20-00:30", 1700000000 * M));
    assert_true(parses_to("2023-11-15T03:43:20+05:30", 1700000000 * M));
    assert_true(parses_to("2023-11-14T22:13:20-00:00", 1700000000 * M));
    assert_true(parses_to("2023-11-14T22:13:20.1Z", 1700000000 * M + 100000));
    assert_true(parses_to("2023-11-14T22:13:20.123456Z", 1700000000 * M + 123456));
    assert_true(parses_to("2023-11-14T22:13:20.123456789Z", 1700000000 * M + 123456));  // truncated
    assert_true(parses_to("2023-11-14T22:13:20.000001+00:00", 1700000000 * M + 1));
    assert_true(parses_to("2000-02-29T00:00:00Z", 951782400 * M));
    assert_true(parses_to("9999-12-31T23:59:59Z", 253402300799 * M));
    assert_true(parses_to("2100-03-01T00:00:00Z", 4107542400 * M));
}

void round_trips(void**) {
    const int64_t values[] = {0, 1, 999999, 1000000, 1700000000 * M + 123456, 951782400 * M + 5,
                              253402300799 * M + 999999, 4107542400 * M - 1};
    for (int64_t v : values) {
        const auto back = parse_rfc3339_micros(format_rfc3339_micros(v));
        assert_true(back.has_value());
        assert_int_equal(*back, v);
    }
    // Every day of a leap and a non-leap year.
    for (int64_t day = 0; day < 2 * 366; ++day) {
        const int64_t v = (946684800 + day * 86400 + 3661) * M;  // from 2000-01-01T01:01:01Z
        const auto back = parse_rfc3339_micros(format_rfc3339_micros(v));
        assert_true(back.has_value());
        assert_int_equal(*back, v);
    }
}

void refuses(void**) {
    assert_true(refused(""));
    assert_true(refused("garbage"));
    assert_true(refused("2023-11-14"));
    assert_true(refused("2023-11-14T22:13:20"));        // no zone
    assert_true(refused("2023-11-14 22:13:20Z"));       // space separator
    assert_true(refused("2023-13-01T00:00:00Z"));       // month 13
    assert_true(refused("2023-00-01T00:00:00Z"));
    assert_true(refused("2023-02-29T00:00:00Z"));       // not a leap year
    assert_true(refused("2024-02-30T00:00:00Z"));
    assert_true(refused("2100-02-29T00:00:00Z"));
    assert_true(refused("2023-04-31T00:00:00Z"));
    assert_true(refused("2023-01-00T00:00:00Z"));
    assert_true(refused("2023-01-32T00:00:00Z"));
    assert_true(refused("2023-11-14T24:00:00Z"));
    assert_true(refused("2023-11-14T23:60:00Z"));
    assert_true(refused("2023-11-14T23:59:60Z"));       // leap seconds refused
    assert_true(refused("1969-12-31T23:59:59Z"));       // before 1970
    assert_true(refused("10000-01-01T00:00:00Z"));
    assert_true(refused("2023-11-14T22:13:20.Z"));      // empty fraction
    assert_true(refused("2023-11-14T22:13:20.1234567890Z"));  // 10 digits
    assert_true(refused("2023-11-14T22:13:20+01"));
    assert_true(refused("2023-11-14T22:13:20+0100"));
    assert_true(refused("2023-11-14T22:13:20+24:00"));
    assert_true(refused("2023-11-14T22:13:20+01:60"));
    assert_true(refused("2023-11-14T22:13:20+01:00 "));
    assert_true(refused(" 2023-11-14T22:13:20Z"));
    assert_true(refused("2023-11-14T22:13:20ZZ"));
    assert_true(refused("2023-11-14T22:13:20UTC"));
    assert_true(refused("2023-1-14T22:13:20Z"));
    assert_true(refused("+023-11-14T22:13:20Z"));
    assert_true(refused("2023-11-14T2:13:20Z"));
    assert_true(refused(std::string_view("2023-11-14T22:13:20Z\0", 21)));
}

// Found by tests/fuzz/fuzz_rfc3339: an offset moved an accepted instant out
// of years 1970..9999 in UTC, and format_rfc3339_micros then wrote a text
// that does not parse ("10000-01-01T00:29:59Z") or lies before 1970.
void offsets_stay_in_range(void**) {
    assert_true(refused("9999-12-31T23:59:59-00:30"));
    assert_true(refused("9999-12-31T23:59:59.999999-00:01"));
    assert_true(refused("1970-01-01T00:00:00+01:00"));
    assert_true(refused("1970-01-01T00:59:59.999999+01:00"));
    assert_true(parses_to("1970-01-01T01:00:00+01:00", 0));
    assert_true(parses_to("1970-01-01T00:00:00-00:01", 60 * M));
    assert_true(parses_to("9999-12-31T23:59:59.999999Z", 253402300799 * M + 999999));
    assert_true(parses_to("9999-12-31T23:59:59+00:30", (253402300799 - 1800) * M));
    assert_true(parses_to("9999-12-31T23:29:59-00:30", 253402300799 * M));
    for (const char* s : {"1970-01-01T01:00:00+01:00", "9999-12-31T23:29:59.5-00:30"}) {
        const auto v = parse_rfc3339_micros(s);
        assert_true(v.has_value());
        const auto back = parse_rfc3339_micros(format_rfc3339_micros(*v));
        assert_true(back.has_value());
        assert_int_equal(*back, *v);
    }
}

void clock_is_sane(void**) {
    const int64_t s = unix_now();
    const int64_t us = unix_now_micros();
    assert_true(s > 1700000000);
    assert_true(us / M - s <= 2 && us / M - s >= -2);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats),  cmocka_unit_test(parses),        cmocka_unit_test(round_trips),
        cmocka_unit_test(refuses),  cmocka_unit_test(offsets_stay_in_range), cmocka_unit_test(clock_is_sane),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
