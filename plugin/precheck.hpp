// The lobby pre-call check (docs/PROTOCOL.md "precheck"): what a
// participant's device found before the call (camera, microphone, TURN
// reachability, bandwidth), reported by its client and shown to the
// moderators with its waiting entry, so the doctor knows before admitting.
//
// A value type (header only: the parsers and fuzz targets link no core),
// stored per participant id in its Room (plugin/room.hpp, like
// the mute state: it outlives handles) and rendered by plugin/events.cpp.
// The request itself is parsed in plugin/protocol.cpp and applied by
// PluginCore::report_precheck (plugin/precheck.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace telemed::plugin {

// The client's verdict: the call can go ahead with video, with audio only,
// or cannot connect at all (no TURN, no bandwidth).
enum class PrecheckResult : uint8_t { Good = 0, AudioOnly, CannotConnect };

// "good" | "audio_only" | "cannot_connect"
inline std::string_view to_string(PrecheckResult r) {
    switch (r) {
        case PrecheckResult::Good: return "good";
        case PrecheckResult::AudioOnly: return "audio_only";
        case PrecheckResult::CannotConnect: return "cannot_connect";
    }
    return "good";
}
// nullopt for anything else (case-sensitive).
inline std::optional<PrecheckResult> parse_precheck_result(std::string_view s) {
    if (s == "good") return PrecheckResult::Good;
    if (s == "audio_only") return PrecheckResult::AudioOnly;
    if (s == "cannot_connect") return PrecheckResult::CannotConnect;
    return std::nullopt;
}

struct Precheck {
    PrecheckResult result = PrecheckResult::Good;
    std::optional<bool> camera;      // unset: not reported
    std::optional<bool> microphone;  // unset: not reported
    bool operator==(const Precheck&) const = default;
};

}  // namespace telemed::plugin
