// The per-packet media gate: which permission a packet of a given source
// needs, and whether a sender's capability bits allow it right now.
// Pure and noexcept (names in media_gate.cpp): called from incoming_rtp / incoming_rtcp /
// incoming_data for every packet.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/permissions.hpp"

namespace telemed::plugin {

// What a publisher's m-line carries. The wire names ("audio", "video",
// "screen") are those of docs/PROTOCOL.md; they match the permissions
// publish_audio / publish_video / publish_screen.
enum class Source : uint8_t { Audio = 0, Video, Screen, Count_ };
inline constexpr std::size_t kSourceCount = static_cast<std::size_t>(Source::Count_);

inline constexpr Permission permission_for(Source s) noexcept {
    switch (s) {
        case Source::Audio: return Permission::PublishAudio;
        case Source::Video: return Permission::PublishVideo;
        case Source::Screen: return Permission::PublishScreen;
        case Source::Count_: break;
    }
    return Permission::Count_;  // never granted
}
// true for sources carried on a video m-line.
inline constexpr bool is_video(Source s) noexcept { return s != Source::Audio; }
// Bit of a source in a mute mask (bit i <=> Source(i)).
inline constexpr uint8_t source_bit(Source s) noexcept { return static_cast<uint8_t>(1u << static_cast<unsigned>(s)); }
inline constexpr uint8_t kAllSourceBits = (1u << kSourceCount) - 1;

// The sources a permission set does not allow to publish (source bits).
inline constexpr uint8_t not_permitted_sources(PermissionSet granted) noexcept {
    uint8_t out = 0;
    for (std::size_t i = 0; i < kSourceCount; ++i) {
        const auto s = static_cast<Source>(i);
        if ((granted & bit(permission_for(s))) == 0) out |= source_bit(s);
    }
    return out;
}

std::string_view to_string(Source s) noexcept;
std::optional<Source> parse_source(std::string_view s) noexcept;

// The gate. `caps` are the sender's live capability bits (already zero while
// it waits in the lobby, and with muted sources removed).
inline constexpr bool gate_allows(PermissionSet caps, Source s) noexcept {
    const Permission p = permission_for(s);
    return p != Permission::Count_ && has(caps, p);
}
// Receiving needs `subscribe` in the receiver's live bits.
inline constexpr bool may_receive(PermissionSet caps) noexcept { return has(caps, Permission::Subscribe); }

// Capability bits with the sources of `mute_mask` taken away.
inline constexpr PermissionSet without_muted(PermissionSet granted, uint8_t mute_mask) noexcept {
    PermissionSet out = granted;
    for (std::size_t i = 0; i < kSourceCount; ++i)
        if (mute_mask & (1u << i)) out &= ~bit(permission_for(static_cast<Source>(i)));
    return out;
}

}  // namespace telemed::plugin
