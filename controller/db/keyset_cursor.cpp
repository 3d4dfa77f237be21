// controller/db/keyset_cursor.hpp.
#include "controller/db/keyset_cursor.hpp"

#include "common/crypto.hpp"
#include "common/ids.hpp"

namespace telemed::db {

std::string encode_keyset_cursor(std::string_view tag, const KeysetCursor& c) {
    return base64url_encode(std::string(tag) + ":" + std::to_string(c.created_at) + ":" + c.id);
}

std::optional<KeysetCursor> decode_keyset_cursor(std::string_view tag, std::string_view text) {
    if (text.empty() || text.size() > 128) return std::nullopt;
    std::optional<std::string> raw = base64url_decode(text);
    if (!raw || raw->size() <= tag.size() || raw->compare(0, tag.size(), tag) != 0 || (*raw)[tag.size()] != ':')
        return std::nullopt;
    const std::string_view rest = std::string_view(*raw).substr(tag.size() + 1);
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 18) return std::nullopt;
    KeysetCursor c;
    for (char ch : rest.substr(0, colon)) {
        if (ch < '0' || ch > '9') return std::nullopt;
        c.created_at = c.created_at * 10 + (ch - '0');
    }
    const std::string_view id = rest.substr(colon + 1);
    if (!is_uuid(id)) return std::nullopt;
    c.id = normalize_uuid(id);
    return c;
}

}  // namespace telemed::db
