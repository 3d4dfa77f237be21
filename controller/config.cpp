// Controller configuration loading (controller/config.hpp).
//
// Sources, later wins: built-in defaults (config.hpp), the key = value file
// given by --config, then TELEMED_<KEY> environment variables (one per key,
// e.g. TELEMED_API_KEYS). Every key is documented with its default in
// conf/telemed-controller.conf.sample. Error messages name the key and the
// rule it broke, never the value (values may be secrets).
#include "controller/config.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "common/kvconfig.hpp"
#include "common/webhook.hpp"
#include "controller/log.hpp"

namespace telemed {
namespace {

constexpr std::size_t kMaxConfigFileBytes = 1 << 20;
constexpr std::size_t kMaxValueBytes = 8192;

using Setter = std::function<bool(ControllerConfig&, const std::string& value, std::string* why)>;

struct KeyDef {
    const char* key;
    Setter set;
};

template <typename T>
bool parse_int(const std::string& v, T min, T max, T* out) {
    long long n = 0;
    const char* b = v.data();
    const char* e = v.data() + v.size();
    auto [p, ec] = std::from_chars(b, e, n);
    if (ec != std::errc() || p != e || v.empty()) return false;
    if (n < static_cast<long long>(min) || n > static_cast<long long>(max)) return false;
    *out = static_cast<T>(n);
    return true;
}

template <typename T>
Setter int_setter(T ControllerConfig::*field, long long min, long long max) {
    return [field, min, max](ControllerConfig& c, const std::string& v, std::string* why) {
        long long n = 0;
        if (!parse_int<long long>(v, min, max, &n)) {
            *why = "must be an integer in " + std::to_string(min) + ".." + std::to_string(max);
            return false;
        }
        c.*field = static_cast<T>(n);
        return true;
    };
}

bool printable_ascii(const std::string& v, bool allow_space) {
    for (unsigned char ch : v)
        if (ch < 0x20 || ch > 0x7e || (!allow_space && ch == ' ')) return false;
    return true;
}

bool starts_with_any(const std::string& v, std::initializer_list<std::string_view> prefixes) {
    for (std::string_view p : prefixes)
        if (v.size() > p.size() && v.compare(0, p.size(), p) == 0) return true;
    return false;
}

Setter text_setter(std::string ControllerConfig::*field, std::size_t min_len, std::size_t max_len) {
    return [field, min_len, max_len](ControllerConfig& c, const std::string& v, std::string* why) {
        if (v.size() < min_len || v.size() > max_len || !printable_ascii(v, false)) {
            *why = "must be " + std::to_string(min_len) + ".." + std::to_string(max_len) +
                   " printable ASCII characters without spaces";
            return false;
        }
        c.*field = v;
        return true;
    };
}

// An absolute path of at most 1024 printable ASCII characters without
// spaces (trailing '/' dropped); "" accepted when `empty_ok`.
Setter path_setter(std::string ControllerConfig::*field, bool empty_ok) {
    return [field, empty_ok](ControllerConfig& c, const std::string& v, std::string* why) {
        if (v.empty() && empty_ok) {
            c.*field = v;
            return true;
        }
        bool ok = !v.empty() && v.front() == '/' && v.size() <= 1024;
        for (char ch : v) ok = ok && ch > 0x20 && ch < 0x7f;
        if (!ok) {
            *why = empty_ok ? "must be empty or an absolute path of at most 1024 printable ASCII characters"
                            : "must be an absolute path of at most 1024 printable ASCII characters";
            return false;
        }
        std::string p = v;
        while (p.size() > 1 && p.back() == '/') p.pop_back();
        c.*field = p;
        return true;
    };
}

Setter url_setter(std::string ControllerConfig::*field, std::initializer_list<std::string_view> schemes,
                  bool allow_empty) {
    std::vector<std::string_view> list(schemes);
    return [field, list, allow_empty](ControllerConfig& c, const std::string& v, std::string* why) {
        bool ok = printable_ascii(v, false) && v.size() <= 2048;
        if (ok && !(allow_empty && v.empty())) {
            ok = false;
            for (std::string_view s : list)
                if (v.size() > s.size() && v.compare(0, s.size(), s) == 0) ok = true;
        }
        if (!ok) {
            std::string names;
            for (std::string_view s : list) names += (names.empty() ? "" : " or ") + std::string(s);
            *why = "must be a URL starting with " + names;
            return false;
        }
        c.*field = v;
        return true;
    };
}

Setter url_list_setter(std::vector<std::string> ControllerConfig::*field,
                       std::initializer_list<std::string_view> schemes) {
    std::vector<std::string_view> list(schemes);
    return [field, list](ControllerConfig& c, const std::string& v, std::string* why) {
        std::vector<std::string> items = split_list(v);
        for (const std::string& item : items) {
            bool ok = printable_ascii(item, false) && item.size() <= 1024;
            bool scheme = false;
            for (std::string_view s : list)
                if (item.size() > s.size() && item.compare(0, s.size(), s) == 0) scheme = true;
            if (!ok || !scheme) {
                std::string names;
                for (std::string_view s : list) names += (names.empty() ? "" : " or ") + std::string(s);
                *why = "must be a comma-separated list of URLs starting with " + names;
                return false;
            }
        }
        if (items.size() > 16) {
            *why = "must list at most 16 URLs";
            return false;
        }
        c.*field = std::move(items);
        return true;
    };
}

// An http:// or https:// base URL without query or fragment; trailing '/'
// dropped; "" allowed.
Setter base_url_setter(std::string ControllerConfig::*field) {
    return [field](ControllerConfig& c, const std::string& v, std::string* why) {
        std::string u = v;
        while (!u.empty() && u.back() == '/') u.pop_back();
        if (!(u.empty() || starts_with_any(u, {"http://", "https://"})) || !printable_ascii(u, false) ||
            u.size() > 1024 || u.find_first_of("?#") != std::string::npos) {
            *why = "must be empty or an http:// or https:// URL without query or fragment";
            return false;
        }
        c.*field = u;
        return true;
    };
}

const std::vector<KeyDef>& key_table() {
    static const std::vector<KeyDef> table = {
        {"listen_address",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             unsigned char buf[sizeof(struct in6_addr)];
             if (inet_pton(AF_INET, v.c_str(), buf) != 1 && inet_pton(AF_INET6, v.c_str(), buf) != 1) {
                 *why = "must be a numeric IPv4 or IPv6 address";
                 return false;
             }
             c.listen_address = v;
             return true;
         }},
        {"port", int_setter(&ControllerConfig::port, 1, 65535)},
        {"threads", int_setter(&ControllerConfig::threads, 1, 256)},
        {"max_connections", int_setter(&ControllerConfig::max_connections, 1, 100000)},
        {"per_ip_connection_limit", int_setter(&ControllerConfig::per_ip_connection_limit, 0, 100000)},
        {"connection_timeout_s", int_setter(&ControllerConfig::connection_timeout_s, 1, 3600)},
        {"header_timeout_s", int_setter(&ControllerConfig::header_timeout_s, 1, 3600)},
        {"body_timeout_s", int_setter(&ControllerConfig::body_timeout_s, 1, 3600)},
        {"body_min_rate_bytes_per_s", int_setter(&ControllerConfig::body_min_rate_bytes_per_s, 0, 1 << 30)},
        {"max_body_bytes", int_setter(&ControllerConfig::max_body_bytes, 1024, 16 << 20)},
        {"api_keys",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             std::vector<std::string> keys = split_list(v);
             for (const std::string& k : keys) {
                 if (k.size() < 16 || k.size() > 256 || !printable_ascii(k, false)) {
                     *why = "every key must be 16..256 printable ASCII characters without spaces or commas";
                     return false;
                 }
             }
             if (keys.size() > 64) {
                 *why = "must list at most 64 keys";
                 return false;
             }
             c.api_keys = std::move(keys);
             return true;
         }},
        {"public_base_url", base_url_setter(&ControllerConfig::public_base_url)},
        {"public_url", base_url_setter(&ControllerConfig::public_url)},
        {"support_phone",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             bool ok = v.size() <= kSupportPhoneMaxChars;
             bool digit = false;
             for (char ch : v) {
                 digit = digit || (ch >= '0' && ch <= '9');
                 ok = ok && ((ch >= '0' && ch <= '9') || (ch != '\0' && std::strchr("+ ()-.", ch) != nullptr));
             }
             if (!ok || (!v.empty() && !digit)) {
                 *why = "must be empty or a phone number: at most 32 of the digits 0-9, '+', '(', ')', '-', '.' "
                        "and spaces, with at least one digit";
                 return false;
             }
             c.support_phone = v;
             return true;
         }},
        {"web_root",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (!v.empty() && (v.front() != '/' || v.size() > 1024 || !printable_ascii(v, true))) {
                 *why = "must be empty or an absolute path of at most 1024 printable ASCII characters";
                 return false;
             }
             c.web_root = v;
             return true;
         }},
        {"db_lane_workers", int_setter(&ControllerConfig::db_lane_workers, 1, 256)},
        {"db_lane_queue", int_setter(&ControllerConfig::db_lane_queue, 0, 100000)},
        {"janus_lane_workers", int_setter(&ControllerConfig::janus_lane_workers, 1, 256)},
        {"janus_lane_queue", int_setter(&ControllerConfig::janus_lane_queue, 0, 100000)},
        {"lane_queue_timeout_ms", int_setter(&ControllerConfig::lane_queue_timeout_ms, 10, 60000)},
        {"database_url",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (v.empty() || v.size() > 4096 || !printable_ascii(v, true)) {
                 *why = "must be a non-empty libpq connection string or URI";
                 return false;
             }
             c.database_url = v;
             return true;
         }},
        {"db_pool_size", int_setter(&ControllerConfig::db_pool_size, 1, 256)},
        {"db_request_budget_ms", int_setter(&ControllerConfig::db_request_budget_ms, 100, 600000)},
        {"db_call_timeout_ms", int_setter(&ControllerConfig::db_call_timeout_ms, 100, 600000)},
        {"db_statement_timeout_ms", int_setter(&ControllerConfig::db_statement_timeout_ms, 0, 600000)},
        {"db_lock_timeout_ms", int_setter(&ControllerConfig::db_lock_timeout_ms, 0, 600000)},
        {"redis_host", text_setter(&ControllerConfig::redis_host, 1, 255)},
        {"redis_port", int_setter(&ControllerConfig::redis_port, 1, 65535)},
        {"redis_prefix", text_setter(&ControllerConfig::redis_prefix, 1, 64)},
        {"session_cache_entries", int_setter(&ControllerConfig::session_cache_entries, 0, 1000000)},
        {"janus_admin_url", url_setter(&ControllerConfig::janus_admin_url, {"http://", "https://"}, false)},
        {"janus_admin_secret", text_setter(&ControllerConfig::janus_admin_secret, 0, 256)},
        {"janus_timeout_ms", int_setter(&ControllerConfig::janus_timeout_ms, 100, 60000)},
        {"janus_reconcile_interval_ms", int_setter(&ControllerConfig::janus_reconcile_interval_ms, 200, 60000)},
        {"janus_ws_url", url_setter(&ControllerConfig::janus_ws_url, {"ws://", "wss://"}, false)},
        {"janus_token_secret",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (!v.empty() && (v.size() < 32 || v.size() > 256 || !printable_ascii(v, false))) {
                 *why = "must be 32..256 printable ASCII characters without spaces (Janus token_auth_secret)";
                 return false;
             }
             c.janus_token_secret = v;
             return true;
         }},
        {"janus_token_ttl_s", int_setter(&ControllerConfig::janus_token_ttl_s, 600, 7 * 86400)},
        {"token_keys",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             KeyRing ring;
             std::string ignored;  // may quote the offending pair: never surfaced
             if (!v.empty() && !ring.add_from_spec(v, &ignored)) {
                 *why = "must be comma-separated kid:secret pairs (kid 1..64 of [A-Za-z0-9_.-], secret >= 32 bytes)";
                 return false;
             }
             c.token_keys = std::move(ring);
             return true;
         }},
        {"token_kid", text_setter(&ControllerConfig::token_kid, 0, 64)},
        {"token_issuer", text_setter(&ControllerConfig::token_issuer, 1, 128)},
        {"token_ttl_s", int_setter(&ControllerConfig::token_ttl_s, 30, 86400)},
        {"credential_secret",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (!v.empty() && (v.size() < 32 || v.size() > 256 || !printable_ascii(v, false))) {
                 *why = "must be 32..256 printable ASCII characters without spaces";
                 return false;
             }
             c.credential_secret = v;
             return true;
         }},
        {"plugin_secret",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (!v.empty() && (v.size() < 32 || v.size() > 256 || !printable_ascii(v, false))) {
                 *why = "must be 32..256 printable ASCII characters without spaces";
                 return false;
             }
             c.plugin_secret = v;
             return true;
         }},
        {"credential_grace_s", int_setter(&ControllerConfig::credential_grace_s, 0, 30 * 86400)},
        {"credential_max_ttl_s", int_setter(&ControllerConfig::credential_max_ttl_s, 3600, 366 * 86400)},
        {"join_rate_per_credential", int_setter(&ControllerConfig::join_rate_per_credential, 0, 100000)},
        {"join_rate_per_address", int_setter(&ControllerConfig::join_rate_per_address, 0, 1000000)},
        {"turn_secret", text_setter(&ControllerConfig::turn_secret, 0, 256)},
        {"turn_urls", url_list_setter(&ControllerConfig::turn_urls, {"turn:", "turns:"})},
        {"stun_urls", url_list_setter(&ControllerConfig::stun_urls, {"stun:", "stuns:"})},
        {"turn_ttl_s", int_setter(&ControllerConfig::turn_ttl_s, 60, 7 * 86400)},
        {"storage_dir",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (v.empty() || v.front() != '/' || v.size() > 1024 || !printable_ascii(v, true)) {
                 *why = "must be an absolute path of at most 1024 printable ASCII characters";
                 return false;
             }
             c.storage_dir = v;
             while (c.storage_dir.size() > 1 && c.storage_dir.back() == '/') c.storage_dir.pop_back();
             return true;
         }},
        {"storage_master_keys",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             std::vector<ControllerConfig::MasterKey> keys;
             for (const std::string& item : split_list(v)) {
                 const std::size_t colon = item.find(':');
                 std::string kid = item.substr(0, colon);
                 std::string hex = colon == std::string::npos ? "" : item.substr(colon + 1);
                 bool kid_ok = !kid.empty() && kid.size() <= 32;
                 for (char ch : kid)
                     kid_ok = kid_ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-');
                 std::string raw;
                 bool hex_ok = hex.size() == 64;
                 for (std::size_t i = 0; hex_ok && i < 64; i += 2) {
                     auto nib = [](char h) {
                         return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                                             : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                     };
                     int hi = nib(hex[i]), lo = nib(hex[i + 1]);
                     hex_ok = hi >= 0 && lo >= 0;
                     raw.push_back(static_cast<char>(hi * 16 + lo));
                 }
                 bool dup = false;
                 for (const auto& k : keys) dup = dup || k.kid == kid;
                 if (!kid_ok || !hex_ok || dup) {
                     *why = "must be a list of distinct kid:<64 hex digits> (kid: 1..32 of A-Z a-z 0-9 _ -)";
                     return false;
                 }
                 keys.push_back({kid, raw});
             }
             if (keys.size() > 16) {
                 *why = "must list at most 16 keys";
                 return false;
             }
             c.storage_master_keys = std::move(keys);
             return true;
         }},
        {"file_max_bytes", int_setter(&ControllerConfig::file_max_bytes, 1, 1ll << 32)},
        {"file_allowed_types",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             std::optional<std::vector<files::FileType>> types = files::parse_allowlist(v);
             if (!types) {
                 *why = "must list media types among application/pdf, image/png, image/jpeg, application/dicom, "
                        "text/plain";
                 return false;
             }
             c.file_allowed_types = std::move(*types);
             return true;
         }},
        {"session_files_quota_bytes", int_setter(&ControllerConfig::session_files_quota_bytes, 1, 1ll << 40)},
        {"file_retention_days", int_setter(&ControllerConfig::file_retention_days, 0, 36500)},
        {"file_retention_sweep_interval_s", int_setter(&ControllerConfig::file_retention_sweep_interval_s, 1, 86400)},
        {"recording_retention_days", int_setter(&ControllerConfig::recording_retention_days, 0, 36500)},
        {"lifecycle_sweep_interval_s", int_setter(&ControllerConfig::lifecycle_sweep_interval_s, 1, 3600)},
        {"session_expire_after_s", int_setter(&ControllerConfig::session_expire_after_s, 0, 10 * 366 * 86400)},
        {"session_max_duration_s", int_setter(&ControllerConfig::session_max_duration_s, 0, 10 * 366 * 86400)},
        {"session_idle_end_s", int_setter(&ControllerConfig::session_idle_end_s, 0, 10 * 366 * 86400)},
        {"idempotency_key_retention_h",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             // The replay window is a promise to API clients (docs/API.md
             // "Idempotency"): never shorter than a day.
             unsigned n = 0;
             if (!parse_int<unsigned>(v, 0, 87600, &n) || (n != 0 && n < 24)) {
                 *why = "must be 0 (keep) or 24..87600 hours";
                 return false;
             }
             c.idempotency_key_retention_h = n;
             return true;
         }},
        {"outbox_retention_h", int_setter(&ControllerConfig::outbox_retention_h, 0, 87600)},
        {"playback_link_keys",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             PlaybackKeys keys;
             if (!v.empty()) {
                 std::string ignored;  // may name the offending item: never surfaced with the value
                 std::optional<PlaybackKeys> parsed = parse_playback_keys(v, &ignored);
                 if (!parsed) {
                     *why = "must be 1..16 comma-separated kid:secret pairs (kid 1..64 of [A-Za-z0-9_.-], distinct; "
                            "secret >= 32 bytes)";
                     return false;
                 }
                 keys = std::move(*parsed);
             }
             c.playback_link_keys = std::move(keys);
             return true;
         }},
        {"playback_link_ttl_s", int_setter(&ControllerConfig::playback_link_ttl_s, 1, 900)},
        {"playback_rate_per_address", int_setter(&ControllerConfig::playback_rate_per_address, 0, 1000000)},
        {"recordings_dir", path_setter(&ControllerConfig::recordings_dir, true)},
        {"recording_workers", int_setter(&ControllerConfig::recording_workers, 0, 8)},
        {"recording_max_attempts", int_setter(&ControllerConfig::recording_max_attempts, 1, 20)},
        {"recording_retry_delay_s", int_setter(&ControllerConfig::recording_retry_delay_s, 1, 86400)},
        {"recording_lease_s", int_setter(&ControllerConfig::recording_lease_s, 10, 3600)},
        {"recording_job_timeout_s", int_setter(&ControllerConfig::recording_job_timeout_s, 10, 86400)},
        {"recording_manifest_grace_s", int_setter(&ControllerConfig::recording_manifest_grace_s, 0, 86400)},
        {"recording_nice", int_setter(&ControllerConfig::recording_nice, 0, 19)},
        {"ffmpeg_path", path_setter(&ControllerConfig::ffmpeg_path, false)},
        {"ffprobe_path", path_setter(&ControllerConfig::ffprobe_path, false)},
        {"janus_pp_rec_path", path_setter(&ControllerConfig::janus_pp_rec_path, false)},
        {"webhook_urls",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             std::vector<std::string> urls = split_list(v);
             for (const std::string& u : urls) {
                 // No query or fragment rule: receivers often put a routing
                 // token in the query. No spaces or control characters.
                 if (!starts_with_any(u, {"http://", "https://"}) || u.size() > 1024 || !printable_ascii(u, false) ||
                     u.find('#') != std::string::npos) {
                     *why = "must be a comma-separated list of http:// or https:// URLs (at most 1024 characters "
                            "each, no fragment)";
                     return false;
                 }
             }
             for (std::size_t i = 0; i < urls.size(); ++i)
                 for (std::size_t j = i + 1; j < urls.size(); ++j)
                     if (urls[i] == urls[j]) {
                         *why = "must not list a URL twice";
                         return false;
                     }
             if (urls.size() > 4) {
                 *why = "must list at most 4 URLs";
                 return false;
             }
             c.webhook_urls = std::move(urls);
             return true;
         }},
        {"webhook_secret",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (v.empty()) {
                 c.webhook_key.clear();
                 return true;
             }
             std::optional<std::string> key = webhook::parse_secret(v);
             if (!key) {
                 *why = "must be whsec_ followed by the standard base64 (padded) of a 24..64 byte key, e.g. "
                        "whsec_$(openssl rand -base64 32)";
                 return false;
             }
             c.webhook_key = std::move(*key);
             return true;
         }},
        {"webhook_workers", int_setter(&ControllerConfig::webhook_workers, 0, 8)},
        {"webhook_timeout_ms", int_setter(&ControllerConfig::webhook_timeout_ms, 100, 60000)},
        {"webhook_max_attempts", int_setter(&ControllerConfig::webhook_max_attempts, 1, 100)},
        {"webhook_max_age_s", int_setter(&ControllerConfig::webhook_max_age_s, 60, 30 * 86400)},
        {"webhook_retry_base_ms", int_setter(&ControllerConfig::webhook_retry_base_ms, 10, 3600000)},
        {"webhook_retry_max_s", int_setter(&ControllerConfig::webhook_retry_max_s, 1, 86400)},
        {"webhook_lease_s", int_setter(&ControllerConfig::webhook_lease_s, 5, 3600)},
        {"directory_profile",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (v != "off" && v != "json" && v != "fhir") {
                 *why = "must be one of off, json, fhir";
                 return false;
             }
             c.directory_profile = v;
             return true;
         }},
        {"patient_service_url", base_url_setter(&ControllerConfig::patient_service_url)},
        {"doctor_service_url", base_url_setter(&ControllerConfig::doctor_service_url)},
        {"directory_timeout_ms", int_setter(&ControllerConfig::directory_timeout_ms, 100, 30000)},
        {"directory_cache_s", int_setter(&ControllerConfig::directory_cache_s, 0, 86400)},
        {"directory_bearer_token", text_setter(&ControllerConfig::directory_bearer_token, 0, 4096)},
        {"directory_status_updates",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (v != "true" && v != "false") {
                 *why = "must be true or false";
                 return false;
             }
             c.directory_status_updates = v == "true";
             return true;
         }},
        {"janus_events_secret",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (!v.empty() && (v.size() < 32 || v.size() > 256 || !printable_ascii(v, false))) {
                 *why = "must be 32..256 printable ASCII characters without spaces";
                 return false;
             }
             c.janus_events_secret = v;
             return true;
         }},
        {"janus_events_max_body_bytes", int_setter(&ControllerConfig::janus_events_max_body_bytes, 4096, 4 << 20)},
        {"janus_events_queue", int_setter(&ControllerConfig::janus_events_queue, 100, 1000000)},
        {"janus_events_hangup_grace_ms", int_setter(&ControllerConfig::janus_events_hangup_grace_ms, 0, 600000)},
        {"presence_ttl_s", int_setter(&ControllerConfig::presence_ttl_s, 60, 30 * 86400)},
        {"log_level",
         [](ControllerConfig& c, const std::string& v, std::string* why) {
             if (!parse_log_level(v)) {
                 *why = "must be one of error, warn, info, debug";
                 return false;
             }
             c.log_level = v;
             return true;
         }},
    };
    return table;
}

std::string env_name(std::string_view key) {
    std::string name = "TELEMED_";
    for (char ch : key) name += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    return name;
}

bool read_file(const std::string& path, std::string* text, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = path + ": cannot open (" + std::strerror(errno) + ")";
        return false;
    }
    std::ostringstream ss;
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        ss.write(buf, in.gcount());
        if (static_cast<std::size_t>(ss.tellp()) > kMaxConfigFileBytes) {
            *error = path + ": larger than 1 MiB";
            return false;
        }
    }
    if (in.bad()) {
        *error = path + ": read error";
        return false;
    }
    *text = ss.str();
    return true;
}

}  // namespace

std::string effective_public_url(const ControllerConfig& cfg) {
    if (!cfg.public_url.empty()) return cfg.public_url;
    if (!cfg.public_base_url.empty()) return cfg.public_base_url;
    const bool v6 = cfg.listen_address.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + cfg.listen_address + "]" : cfg.listen_address) + ":" + std::to_string(cfg.port);
}

std::vector<std::string> controller_config_keys() {
    std::vector<std::string> keys;
    for (const KeyDef& d : key_table()) keys.emplace_back(d.key);
    return keys;
}

bool load_controller_config(const std::string& path, ControllerConfig* out, std::string* error) {
    KvConfig kv;
    if (!path.empty()) {
        std::string text;
        if (!read_file(path, &text, error)) return false;
        std::string why;
        if (!kv.parse(text, &why)) {
            *error = path + ": " + why;
            return false;
        }
        for (const auto& [key, value] : kv.values()) {
            bool known = false;
            for (const KeyDef& d : key_table()) known = known || key == d.key;
            if (!known) {
                *error = path + ": unknown key '" + key + "'";
                return false;
            }
        }
    }
    kv.apply_env("TELEMED_", controller_config_keys());

    ControllerConfig cfg;
    for (const KeyDef& d : key_table()) {
        std::optional<std::string> value = kv.get(d.key);
        if (!value) continue;
        std::string why;
        if (value->size() > kMaxValueBytes) {
            why = "value is longer than 8192 bytes";
        } else if (d.set(cfg, *value, &why)) {
            continue;
        }
        std::string source = std::getenv(env_name(d.key).c_str()) ? env_name(d.key) : "config";
        *error = std::string(d.key) + " (" + source + "): " + why;
        return false;
    }
    *out = std::move(cfg);
    return true;
}

bool check_required_config(const ControllerConfig& c, std::string* error) {
    if (c.api_keys.empty()) {
        *error = "api_keys: required (at least one bearer key for backend callers)";
        return false;
    }
    if (c.token_keys.empty()) {
        *error = "token_keys: required (kid:secret pairs shared with janus.plugin.telemed)";
        return false;
    }
    if (c.token_kid.empty()) {
        *error = "token_kid: required (the kid of token_keys used to sign join tokens)";
        return false;
    }
    if (!c.token_keys.find(c.token_kid)) {
        *error = "token_kid: must name one of the kids in token_keys";
        return false;
    }
    if (c.janus_admin_secret.empty()) {
        *error = "janus_admin_secret: required (Janus admin_secret)";
        return false;
    }
    if (c.credential_secret.empty()) {
        *error = "credential_secret: required (signs participant credentials; e.g. openssl rand -hex 32)";
        return false;
    }
    if (!c.webhook_urls.empty() && c.webhook_key.empty()) {
        *error = "webhook_secret: required when webhook_urls is set (whsec_<base64 key>; receivers verify "
                 "webhook-signature with it)";
        return false;
    }
    // A claimed delivery's POST must end well inside its lease: otherwise a
    // second controller could claim it while the first is still sending.
    if (static_cast<uint64_t>(c.webhook_lease_s) * 1000 < 2ull * c.webhook_timeout_ms) {
        *error = "webhook_lease_s: must be at least twice webhook_timeout_ms";
        return false;
    }
    if (c.directory_enabled() && (c.patient_service_url.empty() || c.doctor_service_url.empty())) {
        *error = "patient_service_url, doctor_service_url: both required when directory_profile is not off";
        return false;
    }
    // The status updates' endpoint text "directory:<profile>:<url>" fits
    // webhook_deliveries.endpoint (<= 1024 characters).
    if (c.doctor_service_url.size() > 1000) {
        *error = "doctor_service_url: at most 1000 characters";
        return false;
    }
    if (!c.turn_urls.empty() && c.turn_secret.empty()) {
        *error = "turn_secret: required when turn_urls is set (coturn static-auth-secret)";
        return false;
    }
    return true;
}

}  // namespace telemed
