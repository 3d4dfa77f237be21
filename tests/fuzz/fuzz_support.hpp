// Shared helpers of the libFuzzer targets in tests/fuzz (see tests/fuzz/README.md).
// A broken property calls FUZZ_CHECK, which prints the condition and aborts:
// libFuzzer then saves the input as a crash artifact.
#pragma once
#include <jansson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)

namespace fuzz {

inline std::string_view as_view(const uint8_t* data, std::size_t size) {
    return std::string_view(reinterpret_cast<const char*>(data), size);
}

// True when `s` could not occur in one of our own error texts by chance:
// at least 8 bytes and one character outside [A-Za-z0-9 _=:,.()/+[]-], the
// alphabet of every constant message (keep it so when adding messages: the
// fuzzer learns message texts and feeds them back). Such a string found
// inside an error text was echoed from the input.
inline bool distinctive(std::string_view s) {
    if (s.size() < 8) return false;
    for (unsigned char c : s) {
        const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                           c == ' ' || c == '_' || c == '=' || c == ':' || c == ',' || c == '.' || c == '(' ||
                           c == ')' || c == '/' || c == '+' || c == '[' || c == ']' || c == '-';
        if (!plain) return true;
    }
    return false;
}

// Appends every object key and string value of `j` (recursively) that is distinctive.
inline void distinctive_strings(const json_t* j, std::vector<std::string>* out) {
    if (json_is_string(j)) {
        std::string_view s(json_string_value(j), json_string_length(j));
        if (distinctive(s)) out->emplace_back(s);
    } else if (json_is_object(j)) {
        const char* key;
        json_t* value;
        json_object_foreach(const_cast<json_t*>(j), key, value) {
            if (distinctive(key)) out->emplace_back(key);
            distinctive_strings(value, out);
        }
    } else if (json_is_array(j)) {
        std::size_t i;
        json_t* value;
        json_array_foreach(j, i, value) distinctive_strings(value, out);
    }
}

// The "never echo the value" rule: `text` (an error message) contains
// neither the whole input nor any string taken from it, when that input or
// string is distinctive (an input such as "line 1, " of 8 plain characters
// may well occur in "invalid JSON at line 1, column 9" without being echoed).
inline bool echoes(std::string_view text, std::string_view input, const std::vector<std::string>& strings) {
    if (distinctive(input) && text.find(input) != std::string_view::npos) return true;
    for (const std::string& s : strings)
        if (text.find(s) != std::string_view::npos) return true;
    return false;
}

// Canonical 8-4-4-4-12 hex UUID (either case), written independently of
// common/ids.cpp so the fuzzers also check is_uuid().
inline bool uuid_shape(std::string_view s, bool lower_only) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (!lower_only && c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

}  // namespace fuzz
