// Clock and RFC 3339 helpers. Calendar arithmetic is done here (proleptic
// Gregorian, days-from-civil), so nothing depends on the locale, TZ or timegm.
#include "common/timeutil.hpp"

#include <chrono>
#include <cstdio>

namespace telemed {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
    int64_t y;
    unsigned m, d;
};

constexpr Civil civil_from_days(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2 ? 1 : 0), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(11017).y == 2000 && civil_from_days(11017).m == 3);

constexpr bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(int64_t y, unsigned m) {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n ASCII digits at s[pos]; false if any is not a digit.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0 && ((a < 0) != (b < 0))) ? 1 : 0); }

}  // namespace

int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

int64_t unix_now_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_rfc3339_micros(int64_t unix_micros) {
    const int64_t secs = floor_div(unix_micros, kMicrosPerSecond);
    const int64_t micros = unix_micros - secs * kMicrosPerSecond;
    const int64_t days = floor_div(secs, kSecondsPerDay);
    const int64_t sod = secs - days * kSecondsPerDay;
    const Civil c = civil_from_days(days);
    char buf[64];
    if (micros != 0) {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ", static_cast<long long>(c.y),
                      c.m, c.d, static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                      static_cast<int>(sod % 60), static_cast<long long>(micros));
    } else {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(c.y), c.m,
                      c.d, static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                      static_cast<int>(sod % 60));
    }
    return buf;
}

// Grammar (RFC 3339 §5.6, "date-time"):
//   YYYY-MM-DD ("T"|"t") hh:mm:ss [ "." 1*9DIGIT ] ( "Z" | "z" | ("+"|"-") hh:mm )
// Leap seconds (ss = 60) are refused. Fractions beyond microseconds are
// truncated. The written year must be 1970..9999, and so must the year of
// the instant in UTC: an offset must not move it out of that range
// ("1970-01-01T00:00:00+01:00" is 1969 in UTC, "9999-12-31T23:59:59-01:00"
// year 10000, which format_rfc3339_micros cannot write as RFC 3339).
std::optional<int64_t> parse_rfc3339_micros(std::string_view s) {
    if (s.size() < 20 || s.size() > 40) return std::nullopt;
    int y, mo, d, h, mi, se;
    if (!digits(s, 0, 4, &y) || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
        !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, &h) || s[13] != ':' ||
        !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &se))
        return std::nullopt;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > static_cast<int>(days_in_month(y, static_cast<unsigned>(mo))) || h > 23 || mi > 59 || se > 59)
        return std::nullopt;
    std::size_t pos = 19;
    int64_t frac_micros = 0;
    if (s[pos] == '.') {
        ++pos;
        std::size_t n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 6) frac_micros = frac_micros * 10 + (s[pos] - '0');
            ++n;
            ++pos;
        }
        if (n == 0 || n > 9) return std::nullopt;
        for (std::size_t i = n; i < 6; ++i) frac_micros *= 10;
    }
    if (pos >= s.size()) return std::nullopt;
    int64_t offset_s = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        const int sign = s[pos] == '-' ? -1 : 1;
        int oh, om;
        if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, &om) || oh > 23 || om > 59)
            return std::nullopt;
        offset_s = sign * (oh * 3600 + om * 60);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    const int64_t secs = days * kSecondsPerDay + h * 3600 + mi * 60 + se - offset_s;
    if (secs < 0 || secs > kMaxSeconds) return std::nullopt;
    return secs * kMicrosPerSecond + frac_micros;
}

}  // namespace telemed
