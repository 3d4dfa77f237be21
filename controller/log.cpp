#include "controller/log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <sys/time.h>
#include <unistd.h>

namespace telemed {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::info)};

const char* level_name(LogLevel l) {
    switch (l) {
        case LogLevel::error: return "ERROR";
        case LogLevel::warn: return "WARN";
        case LogLevel::info: return "INFO";
        case LogLevel::debug: return "DEBUG";
    }
    return "?";
}

}  // namespace

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

LogLevel log_level() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

std::optional<LogLevel> parse_log_level(std::string_view name) {
    if (name == "error") return LogLevel::error;
    if (name == "warn") return LogLevel::warn;
    if (name == "info") return LogLevel::info;
    if (name == "debug") return LogLevel::debug;
    return std::nullopt;
}

bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

void log_write(LogLevel level, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

#define TELEMED_LOG_FN(name, lvl)             \
    void name(const char* fmt, ...) {         \
        if (!log_enabled(lvl)) return;        \
        va_list ap;                           \
        va_start(ap, fmt);                    \
        log_vwrite(lvl, fmt, ap);             \
        va_end(ap);                           \
    }
TELEMED_LOG_FN(log_error, LogLevel::error)
TELEMED_LOG_FN(log_warn, LogLevel::warn)
TELEMED_LOG_FN(log_info, LogLevel::info)
TELEMED_LOG_FN(log_debug, LogLevel::debug)
#undef TELEMED_LOG_FN

void log_vwrite(LogLevel level, const char* fmt, va_list ap) {
    if (!log_enabled(level)) return;
    char line[4096 + 64];
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int n = std::snprintf(line, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s ", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(tv.tv_usec),
                          level_name(level));
    if (n < 0 || n >= 64) n = 0;
    std::size_t prefix = static_cast<std::size_t>(n);
    int m = std::vsnprintf(line + prefix, 4096, fmt, ap);
    std::size_t len = prefix;
    if (m > 0) len += (static_cast<std::size_t>(m) < 4096 ? static_cast<std::size_t>(m) : 4095);
    for (std::size_t i = prefix; i < len; ++i) {
        unsigned char c = static_cast<unsigned char>(line[i]);
        if (c < 0x20 || c == 0x7f) line[i] = '?';
    }
    line[len++] = '\n';
    // One write per line: lines from different threads do not interleave.
    ssize_t w = ::write(STDERR_FILENO, line, len);
    (void)w;
}

}  // namespace telemed
