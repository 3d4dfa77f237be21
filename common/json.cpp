// Jansson helpers: compact serialisation and strict parsing.
#include "common/json.hpp"

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace telemed {
namespace {

// Jansson prints a real with "%.17g" (0.1 -> 0.10000000000000001, 100.0 ->
// 100.0). Ours is the shortest decimal that reads back as the same double
// (std::to_chars without a precision: 0.1 -> 0.1, 1E2 -> 100, 1.5e-10 ->
// 1.5e-10), which is what a JSON reader on the other side gets anyway.
void append_real(std::string& out, double d) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    if (ec != std::errc()) {  // cannot happen for a finite double in 64 bytes
        int n = std::snprintf(buf, sizeof buf, "%.17g", d);
        end = buf + (n > 0 ? n : 0);
    }
    out.append(buf, end);
}

// Escapes as Jansson does without flags: '"', '\\', and control characters
// below 0x20 (short forms where JSON has them); UTF-8 passes through (Jansson
// strings are valid UTF-8 by construction).
void append_string(std::string& out, const char* s, std::size_t n) {
    out.push_back('"');
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (c < 0x20) {
                    char esc[8];
                    std::snprintf(esc, sizeof esc, "\\u%04X", c);
                    out.append(esc);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
}

// Depth-bounded like Jansson's own dump (JSON_PARSER_MAX_DEPTH 2048).
constexpr int kMaxDepth = 2048;

bool append_value(std::string& out, const json_t* j, int depth) {
    if (depth > kMaxDepth) return false;
    switch (json_typeof(j)) {
        case JSON_OBJECT: {
            out.push_back('{');
            bool first = true;
            const char* key;
            json_t* value;
            // json_object_foreach takes a non-const object; it does not modify it.
            json_t* obj = const_cast<json_t*>(j);
            json_object_foreach(obj, key, value) {
                if (!first) out.push_back(',');
                first = false;
                append_string(out, key, std::char_traits<char>::length(key));
                out.push_back(':');
                if (!append_value(out, value, depth + 1)) return false;
            }
            out.push_back('}');
            return true;
        }
        case JSON_ARRAY: {
            out.push_back('[');
            for (std::size_t i = 0; i < json_array_size(j); ++i) {
                if (i) out.push_back(',');
                if (!append_value(out, json_array_get(j, i), depth + 1)) return false;
            }
            out.push_back(']');
            return true;
        }
        case JSON_STRING:
            append_string(out, json_string_value(j), json_string_length(j));
            return true;
        case JSON_INTEGER: {
            char buf[32];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(json_integer_value(j)));
            (void)ec;
            out.append(buf, end);
            return true;
        }
        case JSON_REAL:
            append_real(out, json_real_value(j));
            return true;
        case JSON_TRUE: out.append("true"); return true;
        case JSON_FALSE: out.append("false"); return true;
        case JSON_NULL: out.append("null"); return true;
    }
    return false;
}

}  // namespace

std::string json_dump(const json_t* j) {
    if (j == nullptr) return {};
    std::string out;
    if (!append_value(out, j, 0)) return {};
    return out;
}

Json json_parse(std::string_view text, std::string* error, bool* number_out_of_range) {
    // JSON_REJECT_DUPLICATES: duplicate object keys are an error.
    // No JSON_ALLOW_NUL: "\u0000" inside strings is refused.
    // No JSON_DISABLE_EOF_CHECK: trailing data is refused.
    // No JSON_DECODE_ANY: the top level must be an object or an array.
    // Jansson refuses invalid UTF-8 by itself.
    if (number_out_of_range != nullptr) *number_out_of_range = false;
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
        // Valid JSON with an integer beyond int64 or a real beyond double:
        // Jansson cannot hold it (json_error_numeric_overflow).
        if (number_out_of_range != nullptr) *number_out_of_range = json_error_code(&err) == json_error_numeric_overflow;
        return nullptr;
    }
    return Json(j);
}

}  // namespace telemed
