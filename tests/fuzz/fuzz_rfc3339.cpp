// RFC 3339 timestamps (common/timeutil.hpp).
//
// Properties of parse_rfc3339_micros on the input:
//  - an accepted timestamp is 20..40 bytes and names an instant in years
//    1970..9999 (UTC);
//  - format_rfc3339_micros of that instant parses back to the same value,
//    and formatting is stable (format(parse(format(t))) == format(t)).
#include <optional>
#include <string>
#include <string_view>

#include "common/timeutil.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

namespace {
constexpr int64_t kMaxMicros = 253402300799999999;  // 9999-12-31T23:59:59.999999Z
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);
    const std::optional<int64_t> t = parse_rfc3339_micros(in);
    if (!t) return 0;
    FUZZ_CHECK(in.size() >= 20 && in.size() <= 40);
    FUZZ_CHECK(*t >= 0 && *t <= kMaxMicros);
    const std::string text = format_rfc3339_micros(*t);
    const std::optional<int64_t> back = parse_rfc3339_micros(text);
    FUZZ_CHECK(back && *back == *t);
    FUZZ_CHECK(format_rfc3339_micros(*back) == text);
    return 0;
}
