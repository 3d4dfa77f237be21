// Wire names of media sources (docs/PROTOCOL.md: "audio", "video", "screen").
// The gate itself is inline in media_gate.hpp: it runs for every packet.
#include "plugin/media_gate.hpp"

namespace telemed::plugin {

std::string_view to_string(Source s) noexcept {
    switch (s) {
        case Source::Audio: return "audio";
        case Source::Video: return "video";
        case Source::Screen: return "screen";
        case Source::Count_: break;
    }
    return "";  // not a source: no wire name
}

// Exact, case-sensitive: the wire names are lower-case and nothing else is
// accepted (the same rule as permission names).
std::optional<Source> parse_source(std::string_view s) noexcept {
    for (std::size_t i = 0; i < kSourceCount; ++i) {
        const auto src = static_cast<Source>(i);
        if (s == to_string(src)) return src;
    }
    return std::nullopt;
}

}  // namespace telemed::plugin
