// Wall-clock helpers and RFC 3339 (UTC) formatting/parsing.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telemed {

int64_t unix_now();          // seconds
int64_t unix_now_micros();   // microseconds
// "2026-11-24T01:02:03Z" (or with .ffffffZ when micros % 1e6 != 0).
std::string format_rfc3339_micros(int64_t unix_micros);
// Accepts RFC 3339 with 'Z' or ±hh:mm offset, optional fraction; years 1970..9999,
// both as written and in UTC (the result is 0 .. 9999-12-31T23:59:59.999999Z).
std::optional<int64_t> parse_rfc3339_micros(std::string_view s);

}  // namespace telemed
