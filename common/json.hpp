// RAII owner for Jansson values and small helpers. No Janus/MHD/libpq/hiredis.
#pragma once
#include <jansson.h>
#include <memory>
#include <string>
#include <string_view>

namespace telemed {

struct JsonDecref {
    void operator()(json_t* j) const noexcept { json_decref(j); }
};
// Owns one reference. Json(json_object()) takes a new reference;
// Json::borrow(p) adds a reference to a borrowed pointer.
using Json = std::unique_ptr<json_t, JsonDecref>;

inline Json json_borrow(json_t* j) { return Json(json_incref(j)); }

// A new JSON string for `s` (not NUL-terminated); nullptr if `s` is not
// valid UTF-8. For json_object_set_new / json_array_append_new.
inline json_t* json_str(std::string_view s) { return json_stringn(s.data(), s.size()); }

// Serialises compactly, keys in insertion order, strings escaped as Jansson
// does. A real is written as the shortest decimal that reads back as the
// same double (0.1 -> 0.1, 100.0 -> 100, 1e21 -> 1e+21), where Jansson's own
// json_dumps writes 17 digits (0.10000000000000001). "" on failure.
std::string json_dump(const json_t* j);

// Parses a buffer; rejects invalid UTF-8, NUL escapes and trailing data.
// On failure returns nullptr and fills *error (no input echoed back), and
// *number_out_of_range tells valid JSON that Jansson cannot hold (an integer
// beyond int64, a real beyond double) from a syntax error.
Json json_parse(std::string_view text, std::string* error, bool* number_out_of_range = nullptr);

}  // namespace telemed
