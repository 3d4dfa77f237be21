// The Range request header (RFC 9110 14.2), for downloads: one byte range
// of a representation of known size. Pure; unit-tested in
// tests/unit/test_controller_range.cpp.
#pragma once
#include <cstdint>
#include <string_view>

namespace telemed {

struct ByteRange {
    enum class Kind {
        Full,           // no Range header, or one we ignore (RFC 9110: a server MAY): 200, whole body
        Partial,        // one satisfiable range: 206 + Content-Range: bytes first-last/size
        Unsatisfiable,  // 416 + Content-Range: bytes */size
    };
    Kind kind = Kind::Full;
    uint64_t first = 0;  // inclusive
    uint64_t last = 0;   // inclusive (Partial only)
    uint64_t length() const { return kind == Kind::Partial ? last - first + 1 : 0; }
};

// `header` is the Range value ("" when absent). Accepted: "bytes=a-b",
// "bytes=a-", "bytes=-n" (case-insensitive unit, optional spaces around
// the range). A malformed header, another unit, or several ranges are
// ignored (Full): the whole body answers. A range whose first byte is past
// the end, or a zero-length suffix, is Unsatisfiable; `last` is clamped to
// size-1. Over 256 bytes: ignored.
ByteRange parse_range(std::string_view header, uint64_t size);

}  // namespace telemed
