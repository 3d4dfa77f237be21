// Keyset pagination cursors of the list routes (sessions, files,
// recordings): the last item of the previous page, (created_at, id), as an
// opaque text base64url("<tag>:<micros>:<uuid>"). The tag ("v1", "f1",
// "r1") names the list, so a cursor of one list is refused by another.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telemed::db {

struct KeysetCursor {
    int64_t created_at = 0;  // Unix microseconds
    std::string id;          // lower-case UUID
};

std::string encode_keyset_cursor(std::string_view tag, const KeysetCursor& c);
// nullopt unless `text` is at most 128 characters of base64url of
// "<tag>:<1..18 digits>:<uuid>".
std::optional<KeysetCursor> decode_keyset_cursor(std::string_view tag, std::string_view text);

}  // namespace telemed::db
