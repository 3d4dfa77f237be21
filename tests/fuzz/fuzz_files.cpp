// Shared files' untrusted-input parsers (common/files.hpp) and the Range
// header (controller/http/range.hpp).
//
// 1. Content-Disposition: parse_content_disposition never throws; a name it
//    returns, once sanitised, is valid UTF-8 of 1..255 bytes without '/',
//    '\', controls or bidi overrides, and not starting with '.' or ' ';
//    sanitising is idempotent; content_disposition_attachment of it parses
//    back to the same name and is pure printable ASCII (a header value).
// 2. sanitize_filename on the raw input: the same properties.
// 3. sniff looks at the head only (the same answer for the whole body and
//    its first kSniffBytes); a short body sniffed as Text passes TextChecker
//    fed in two chunks at any split.
// 4. parse_range with a size from the first bytes: Partial ranges lie within
//    the representation, first <= last; Unsatisfiable only when the size is 0
//    or the first byte lies beyond it (or a zero suffix).
#include <cstring>
#include <string>
#include <string_view>

#include "common/files.hpp"
#include "controller/http/range.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;
using namespace telemed::files;

namespace {

bool valid_name(const std::string& s) {
    if (s.empty() || s.size() > kMaxNameBytes) return false;
    if (s.front() == '.' || s.front() == ' ' || s.back() == ' ') return false;
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = b < 0x80 ? 1 : (b >= 0xc2 && b <= 0xdf) ? 2 : (b >= 0xe0 && b <= 0xef) ? 3
                                       : (b >= 0xf0 && b <= 0xf4) ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        if (b < 0x20 || b == 0x7f || b == '/' || b == '\\') return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
        if (n == 3 && b == 0xe2 && static_cast<unsigned char>(s[i + 1]) == 0x80) {
            const auto c = static_cast<unsigned char>(s[i + 2]);
            if (c >= 0xaa && c <= 0xae) return false;  // U+202A..U+202E
        }
        i += n;
    }
    return true;
}

void check_name(const std::string& raw) {
    const std::string name = sanitize_filename(raw);
    FUZZ_CHECK(valid_name(name));
    FUZZ_CHECK(sanitize_filename(name) == name);
    const std::string header = content_disposition_attachment(name);
    for (char c : header) FUZZ_CHECK(c >= 0x20 && c < 0x7f);
    std::optional<std::string> back = parse_content_disposition(header);
    FUZZ_CHECK(back.has_value() && *back == name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    if (std::optional<std::string> name = parse_content_disposition(in)) check_name(*name);
    check_name(std::string(in.substr(0, 4096)));

    const FileType whole = sniff(data, size, true);
    FUZZ_CHECK(whole == sniff(data, size < kSniffBytes ? size : kSniffBytes, size <= kSniffBytes));
    if (whole == FileType::Text && size <= kSniffBytes) {
        TextChecker t;
        const std::size_t split = size ? data[0] % (size + 1) : 0;
        t.feed(data, split);
        t.feed(data + split, size - split);
        // The sniffer skips a UTF-8 BOM, which TextChecker accepts as U+FEFF.
        FUZZ_CHECK(t.finish());
    }

    uint64_t rsize = 0;
    for (std::size_t i = 0; i < 3 && i < size; ++i) rsize = (rsize << 8) | data[i];
    const std::string_view header = size > 3 ? in.substr(3) : std::string_view();
    const ByteRange r = parse_range(header, rsize);
    if (r.kind == ByteRange::Kind::Partial) {
        FUZZ_CHECK(r.first <= r.last && r.last < rsize);
        FUZZ_CHECK(r.length() == r.last - r.first + 1);
    }
    return 0;
}
