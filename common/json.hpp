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

// Serialises compactly (JSON_COMPACT, keys in insertion order). "" on failure.
std::string json_dump(const json_t* j);

// Parses a buffer; rejects invalid UTF-8, NUL escapes and trailing data.
// On failure returns nullptr and fills *error (no input echoed back).
Json json_parse(std::string_view text, std::string* error);

}  // namespace telemed
