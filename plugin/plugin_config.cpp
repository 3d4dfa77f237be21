#include "plugin/plugin_config.hpp"

#include <charconv>
#include <string_view>

namespace telemed::plugin {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<int64_t> parse_int(std::string_view s, int64_t lo, int64_t hi) {
    s = trim(s);
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v < lo || v > hi) return std::nullopt;
    return v;
}

std::optional<bool> parse_bool(std::string_view s) {
    s = trim(s);
    if (s == "true" || s == "yes" || s == "1") return true;
    if (s == "false" || s == "no" || s == "0") return false;
    return std::nullopt;
}

}  // namespace

ConfigParse parse_plugin_config(const std::vector<std::pair<std::string, std::string>>& general) {
    ConfigParse out;
    PluginConfig c;
    bool have_keys = false;
    for (const auto& [name, value] : general) {
        if (name == "token_keys") {
            c.token_keys = std::string(trim(value));
            have_keys = !c.token_keys.empty();
        } else if (name == "token_issuer") {
            std::string_view v = trim(value);
            if (v.size() > kMaxIssuerChars) {
                out.error = "token_issuer: too long";
                return out;
            }
            c.token_issuer = std::string(v);
        } else if (name == "clock_skew") {
            auto v = parse_int(value, 0, kMaxClockSkew);
            if (!v) {
                out.error = "clock_skew: expected an integer 0..600 (seconds)";
                return out;
            }
            c.clock_skew = *v;
        } else if (name == "max_rooms") {
            auto v = parse_int(value, 1, static_cast<int64_t>(kMaxRoomsLimit));
            if (!v) {
                out.error = "max_rooms: expected an integer 1..100000";
                return out;
            }
            c.max_rooms = static_cast<std::size_t>(*v);
        } else if (name == "max_participants_per_room") {
            auto v = parse_int(value, 1, static_cast<int64_t>(kMaxParticipantsLimit));
            if (!v) {
                out.error = "max_participants_per_room: expected an integer 1..1000";
                return out;
            }
            c.max_participants_per_room = static_cast<std::size_t>(*v);
        } else if (name == "events") {
            auto v = parse_bool(value);
            if (!v) {
                out.error = "events: expected true or false";
                return out;
            }
            c.events = *v;
        } else if (name == "reconnect_grace_s") {
            auto v = parse_int(value, 0, kMaxReconnectGrace);
            if (!v) {
                out.error = "reconnect_grace_s: expected an integer 0..600 (seconds)";
                return out;
            }
            c.reconnect_grace_s = *v;
        } else if (name == "max_slots_per_kind") {
            auto v = parse_int(value, 0, static_cast<int64_t>(kMaxSlotsLimit));
            if (!v) {
                out.error = "max_slots_per_kind: expected an integer 0..32";
                return out;
            }
            c.max_slots_per_kind = static_cast<std::size_t>(*v);
        } else if (name == "max_handles") {
            auto v = parse_int(value, 1, static_cast<int64_t>(kMaxHandlesLimit));
            if (!v) {
                out.error = "max_handles: expected an integer 1..100000";
                return out;
            }
            c.max_handles = static_cast<std::size_t>(*v);
        } else if (name == "controller_url") {
            std::string_view v = trim(value);
            const bool scheme = v.substr(0, 7) == "http://" || v.substr(0, 8) == "https://";
            bool printable = true;
            for (char ch : v) printable = printable && ch > 0x20 && ch < 0x7F;
            if (!v.empty() && (v.size() > kMaxControllerUrlChars || !scheme || !printable)) {
                out.error = "controller_url: expected http(s)://host:port, at most 512 characters";
                return out;
            }
            while (!v.empty() && v.back() == '/') v.remove_suffix(1);
            c.controller_url = std::string(v);
        } else if (name == "controller_secret") {
            std::string_view v = trim(value);
            bool printable = true;
            for (char ch : v) printable = printable && ch > 0x20 && ch < 0x7F;
            if (!v.empty() && (v.size() < 32 || v.size() > 256 || !printable)) {
                out.error = "controller_secret: must be 32..256 printable ASCII characters without spaces";
                return out;
            }
            c.controller_secret = std::string(v);
        } else if (name == "chat_rate_per_s") {
            auto v = parse_int(value, 1, kMaxChatRate);
            if (!v) {
                out.error = "chat_rate_per_s: expected an integer 1..1000";
                return out;
            }
            c.chat_rate_per_s = *v;
        } else if (name == "chat_burst") {
            auto v = parse_int(value, 1, kMaxChatBurst);
            if (!v) {
                out.error = "chat_burst: expected an integer 1..10000";
                return out;
            }
            c.chat_burst = *v;
        } else if (name == "chat_queue_per_room") {
            auto v = parse_int(value, 1, static_cast<int64_t>(kMaxChatQueue));
            if (!v) {
                out.error = "chat_queue_per_room: expected an integer 1..100000";
                return out;
            }
            c.chat_queue_per_room = static_cast<std::size_t>(*v);
        } else if (name == "chat_store_threads") {
            auto v = parse_int(value, 1, static_cast<int64_t>(kMaxChatThreads));
            if (!v) {
                out.error = "chat_store_threads: expected an integer 1..16";
                return out;
            }
            c.chat_store_threads = static_cast<std::size_t>(*v);
        } else if (name == "chat_store_timeout_ms") {
            auto v = parse_int(value, 100, kMaxChatTimeoutMs);
            if (!v) {
                out.error = "chat_store_timeout_ms: expected an integer 100..60000";
                return out;
            }
            c.chat_store_timeout_ms = *v;
        } else if (name == "recordings_dir") {
            std::string_view v = trim(value);
            while (v.size() > 1 && v.back() == '/') v.remove_suffix(1);
            bool printable = true;
            for (char ch : v) printable = printable && ch >= 0x20 && ch < 0x7F;
            const bool dotdot = v.find("/../") != std::string_view::npos || v.ends_with("/..");
            if (!v.empty() && (v.size() > kMaxRecordingsDirChars || v.front() != '/' || !printable || dotdot)) {
                out.error = "recordings_dir: expected an absolute path (no '..'), at most 512 characters";
                return out;
            }
            c.recordings_dir = std::string(v);
        } else {
            out.unknown_keys.push_back(name);
        }
    }
    if (!c.controller_url.empty() && c.controller_secret.empty()) {
        out.error = "controller_secret: required when controller_url is set (the controller's plugin_secret)";
        return out;
    }
    if (!have_keys) {
        out.error = "token_keys: required (\"kid:secret,...\"), the plugin refuses to start without a key";
        return out;
    }
    out.config = std::move(c);
    return out;
}

bool load_key_ring(const PluginConfig& config, KeyRing* ring, std::string* error) {
    KeyRing fresh;
    std::string ignored;  // may describe the input: never surfaced
    if (config.token_keys.empty() || !fresh.add_from_spec(config.token_keys, &ignored) || fresh.empty()) {
        if (error)
            *error = "token_keys: invalid (expected \"kid:secret\" pairs separated by commas, "
                     "kid [A-Za-z0-9_.-]{1,64}, secret at least 32 bytes)";
        return false;
    }
    *ring = std::move(fresh);
    return true;
}

}  // namespace telemed::plugin
