// UUID v4 from the CSPRNG; canonical-form check and lower-case normalisation.
#include "common/ids.hpp"

#include <stdexcept>

#include "common/crypto.hpp"

namespace telemed {

std::string new_uuid_v4() {
    std::string b = random_bytes(16);
    b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3F) | 0x80);  // RFC 4122 variant
    return uuid_from_bytes(b);
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string normalize_uuid(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string uuid_to_bytes(std::string_view id) {
    if (!is_uuid(id)) throw std::invalid_argument("not a UUID");
    const auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    std::string out;
    out.reserve(16);
    int hi = -1;
    for (char c : id) {
        if (c == '-') continue;
        if (hi < 0) {
            hi = nibble(c);
        } else {
            out.push_back(static_cast<char>((hi << 4) | nibble(c)));
            hi = -1;
        }
    }
    return out;
}

std::string uuid_from_bytes(std::string_view raw16) {
    if (raw16.size() != 16) throw std::invalid_argument("not 16 bytes");
    const std::string h = hex_encode(raw16);
    std::string out;
    out.reserve(36);
    out.append(h, 0, 8).append(1, '-');
    out.append(h, 8, 4).append(1, '-');
    out.append(h, 12, 4).append(1, '-');
    out.append(h, 16, 4).append(1, '-');
    out.append(h, 20, 12);
    return out;
}

}  // namespace telemed
