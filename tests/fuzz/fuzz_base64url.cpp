// Strict base64url (common/crypto.hpp).
//
// Properties:
//  - decoding accepts only canonical text: when base64url_decode(x)
//    succeeds, base64url_encode of the result is x again, and the result has
//    floor(3 * |x| / 4) bytes;
//  - encoding any bytes (the input itself) gives text that decodes back to
//    them, uses only [A-Za-z0-9_-] and has no padding.
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);

    if (const std::optional<std::string> raw = base64url_decode(in)) {
        FUZZ_CHECK(raw->size() == in.size() * 3 / 4);
        FUZZ_CHECK(base64url_encode(*raw) == in);
    }

    const std::string text = base64url_encode(in);
    for (char c : text)
        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_');
    FUZZ_CHECK(text.size() == (in.size() * 4 + 2) / 3);
    const std::optional<std::string> back = base64url_decode(text);
    FUZZ_CHECK(back && *back == in);
    return 0;
}
