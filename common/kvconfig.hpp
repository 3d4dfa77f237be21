// "key = value" configuration files ('#' comments, blank lines), with
// TELEMED_<KEY> environment overrides. Used by the controller.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemed {

class KvConfig {
public:
    // Parses text; false with *error = "line N: ..." on a syntax error
    // (no '=' , empty key, key not [a-z0-9_]+, duplicate key, unterminated
    // quote, NUL byte). Values are trimmed; a value written "..." has its
    // quotes stripped (no escapes inside). '#' starts a comment only at the
    // start of a line, so values may contain '#'. Lines end in LF or CRLF.
    // On error nothing is stored; error texts never contain values.
    bool parse(std::string_view text, std::string* error);
    // Sets key from env var prefix+UPPER(key) for every key in `known`
    // (e.g. prefix "TELEMED_", key "db_pool_size" -> TELEMED_DB_POOL_SIZE).
    // An empty variable counts as set (to the empty value).
    void apply_env(std::string_view prefix, const std::vector<std::string>& known);
    void set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }
    std::optional<std::string> get(std::string_view key) const;
    const std::map<std::string, std::string, std::less<>>& values() const { return values_; }
private:
    std::map<std::string, std::string, std::less<>> values_;
};

// Splits "a, b ,c" on commas, trimming blanks; empty items dropped.
std::vector<std::string> split_list(std::string_view s);

}  // namespace telemed
