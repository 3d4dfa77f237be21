// Jansson helpers: compact serialisation and strict parsing.
#include "common/json.hpp"

#include <cstdlib>

namespace telemed {

std::string json_dump(const json_t* j) {
    if (j == nullptr) return {};
    // JSON_ENCODE_ANY so scalars serialise too; insertion order is Jansson's default.
    char* s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s == nullptr) return {};
    std::string out(s);
    std::free(s);
    return out;
}

Json json_parse(std::string_view text, std::string* error) {
    // JSON_REJECT_DUPLICATES: duplicate object keys are an error.
    // No JSON_ALLOW_NUL: "\u0000" inside strings is refused.
    // No JSON_DISABLE_EOF_CHECK: trailing data is refused.
    // No JSON_DECODE_ANY: the top level must be an object or an array.
    // Jansson refuses invalid UTF-8 by itself.
    json_error_t err;
    const char* data = text.data() != nullptr ? text.data() : "";
    json_t* j = json_loadb(data, text.size(), JSON_REJECT_DUPLICATES, &err);
    if (j == nullptr) {
        if (error != nullptr) {
            // Jansson's err.text can quote parts of the input (e.g. duplicate
            // key names, "unexpected token"), so only the position is reported.
            *error = "invalid JSON at line " + std::to_string(err.line) + ", column " +
                     std::to_string(err.column);
        }
        return nullptr;
    }
    return Json(j);
}

}  // namespace telemed
