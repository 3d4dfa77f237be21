// Tiny leveled logger: one line per call on stderr,
//   2026-11-24T01:02:03.123456Z INFO message
// Thread-safe (each line is written with a single write(2)). Callers log ids,
// never names, chat text, tokens, keys or secrets (docs/STYLE "logs carry ids").
#pragma once
#include <cstdarg>
#include <optional>
#include <string_view>

namespace telemed {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

// Lines above `level` are dropped. Default: info.
void set_log_level(LogLevel level);
LogLevel log_level();
// "error" | "warn" | "info" | "debug" (exact, lower case); nullopt otherwise.
std::optional<LogLevel> parse_log_level(std::string_view name);
bool log_enabled(LogLevel level);

// printf-style. The formatted message is truncated at 4 KiB; control
// characters (newlines included) are replaced by '?' so one call is one line.
void log_write(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vwrite(LogLevel level, const char* fmt, va_list ap) __attribute__((format(printf, 2, 0)));

void log_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace telemed
