// Configuration of janus.plugin.telemed: the [general] category of
// janus.plugin.telemed.jcfg (conf/janus.plugin.telemed.jcfg.sample documents
// every key). entrypoint.cpp reads the file with janus_config_parse and hands
// the raw key/value strings over; validation happens here, once.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/token.hpp"

namespace telemed::plugin {

struct PluginConfig {
    std::string token_keys;                      // "kid:secret,..." (secret: never logged)
    std::string token_issuer = "telemed-controller";  // empty: any issuer
    int64_t clock_skew = 30;                     // seconds of nbf/exp leeway
    std::size_t max_rooms = 1000;
    std::size_t max_participants_per_room = 50;
    bool events = true;                          // notify Janus event handlers
    int64_t reconnect_grace_s = 30;              // rejoin within this after a drop: no lobby again
    std::size_t max_slots_per_kind = 16;         // recvonly audio / video m-lines accepted per participant
    std::size_t max_handles = 2000;              // handles attached to the plugin at once (create_session)
    // Chat (docs/DESIGN.md "The chat path"): where accepted messages are stored.
    std::string controller_url;                  // e.g. http://127.0.0.1:8080; empty: chat answers 5030
    std::string controller_secret;               // the controller's plugin_secret (never logged)
    int64_t chat_rate_per_s = 20;                // token bucket per participant...
    int64_t chat_burst = 40;                     // ...and its size
    std::size_t chat_queue_per_room = 256;       // accepted messages waiting to be stored, per room
    std::size_t chat_store_threads = 2;          // HTTP client threads
    int64_t chat_store_timeout_ms = 2000;        // per batch / history request
    // Recording (docs/PROTOCOL.md "Recording"): where .mjr files and
    // manifest.json go. Absolute; empty: recording unavailable (start 5032).
    std::string recordings_dir;
};

// Limits on the values (documented in the sample config).
inline constexpr int64_t kMaxClockSkew = 600;
inline constexpr std::size_t kMaxRoomsLimit = 100000;
inline constexpr std::size_t kMaxParticipantsLimit = 1000;
inline constexpr std::size_t kMaxIssuerChars = 256;
inline constexpr int64_t kMaxReconnectGrace = 600;
inline constexpr std::size_t kMaxSlotsLimit = 32;
inline constexpr std::size_t kMaxHandlesLimit = 100000;  // PluginCore's own table cap (kMaxHandles)
inline constexpr std::size_t kMaxControllerUrlChars = 512;
inline constexpr int64_t kMaxChatRate = 1000;
inline constexpr int64_t kMaxChatBurst = 10000;
inline constexpr std::size_t kMaxChatQueue = 100000;
inline constexpr std::size_t kMaxChatThreads = 16;
inline constexpr int64_t kMaxChatTimeoutMs = 60000;
inline constexpr std::size_t kMaxRecordingsDirChars = 512;

struct ConfigParse {
    std::optional<PluginConfig> config;  // empty on error
    std::string error;                   // names the key, never echoes a value
    std::vector<std::string> unknown_keys;  // ignored keys (names only, for a warning)
};

// Builds the config from [general] items (name, value). Missing keys keep their
// defaults; token_keys is required and must parse into a non-empty key ring.
ConfigParse parse_plugin_config(const std::vector<std::pair<std::string, std::string>>& general);

// Parses config.token_keys into *ring. false (ring untouched) when empty or
// invalid; *error never contains key material.
bool load_key_ring(const PluginConfig& config, KeyRing* ring, std::string* error);

}  // namespace telemed::plugin
