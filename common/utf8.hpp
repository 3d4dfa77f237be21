// Strict UTF-8 decoding, one sequence at a time: the one decoder behind
// every text rule of common/ (request strings in requests, chat text in
// chat, file names and Content-Disposition in files).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace telemed {

// Decodes the UTF-8 sequence at s[i] (i < s.size()): returns its length and
// sets *cp, or returns 0 when it is invalid (a stray continuation byte, a
// truncated sequence, an overlong form, a surrogate, a value above U+10FFFF).
inline std::size_t utf8_next(std::string_view s, std::size_t i, uint32_t* cp) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    std::size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
        v = (v << 6) | (b(i + k) & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

}  // namespace telemed
