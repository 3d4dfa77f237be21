// Range header parsing (controller/http/range.hpp).
#include "controller/http/range.hpp"

#include <charconv>

namespace telemed {
namespace {

bool digits(std::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 19) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

ByteRange parse_range(std::string_view h, uint64_t size) {
    ByteRange full;
    h = trim(h);
    if (h.empty() || h.size() > 256) return full;
    constexpr std::string_view unit = "bytes=";
    if (h.size() < unit.size()) return full;
    for (std::size_t i = 0; i < unit.size(); ++i) {
        char c = h[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != unit[i]) return full;
    }
    std::string_view spec = trim(h.substr(unit.size()));
    if (spec.find(',') != std::string_view::npos) return full;  // several ranges: whole body
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return full;
    std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
    ByteRange r;
    if (a.empty()) {  // suffix: the last n bytes
        uint64_t n = 0;
        if (!digits(b, &n)) return full;
        if (n == 0 || size == 0) {
            r.kind = ByteRange::Kind::Unsatisfiable;
            return r;
        }
        r.kind = ByteRange::Kind::Partial;
        r.first = n >= size ? 0 : size - n;
        r.last = size - 1;
        return r;
    }
    uint64_t first = 0, last = 0;
    if (!digits(a, &first)) return full;
    if (b.empty()) {
        last = UINT64_MAX;
    } else if (!digits(b, &last) || last < first) {
        return full;  // invalid range-spec: ignored
    }
    if (first >= size) {
        r.kind = ByteRange::Kind::Unsatisfiable;
        return r;
    }
    r.kind = ByteRange::Kind::Partial;
    r.first = first;
    r.last = last >= size ? size - 1 : last;
    return r;
}

}  // namespace telemed
