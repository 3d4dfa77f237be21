// Playback link token codec (docs/DESIGN.md "Playback links"): the
// credential in the URL of a recording's playback link,
// GET /recordings/{rid}/playback/{token}.
//
//   tpl1.<base64url(payload)>.<base64url(HMAC-SHA256(secret, "tpl1." + base64url(payload)))>
//
// payload, big-endian, one fixed layout:
//   [0]            kid length k, 1..kMaxPlaybackKidChars
//   [1..1+k)       kid: [A-Za-z0-9_.-] (names the key of playback_link_keys that signed it)
//   [1+k..17+k)    lid: the playback link id (UUID, 16 raw bytes; the playback_links row)
//   [17+k..33+k)   rid: the recording id (UUID, 16 raw bytes)
//   [33+k..41+k)   exp: expiry, Unix seconds (uint64, at most kMaxPlaybackTime)
// Nothing else: ids and a time, no personal data (the viewer's user_id is
// in the row, never in the token). At most 189 characters; input longer
// than kMaxPlaybackLinkInput is refused unread. The MAC is checked (in
// constant time) before any field but the kid is trusted. Whether the link
// row exists, is revoked, or belongs to the route's recording is the
// caller's business (controller/routes/playback.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/key_spec.hpp"

namespace telemed {

inline constexpr std::string_view kPlaybackLinkPrefix = "tpl1.";
inline constexpr std::size_t kMaxPlaybackLinkInput = 256;   // longer input: refused unread
inline constexpr std::size_t kMaxPlaybackKidChars = 64;
inline constexpr std::size_t kMinPlaybackSecret = 32;       // bytes
inline constexpr int64_t kMaxPlaybackTime = 253402300799;   // 9999-12-31T23:59:59Z

// The keys of playback_link_keys, in configuration order: the first signs,
// every one verifies (rotation: put the new key first, drop the old one
// once the longest link TTL has passed).
using PlaybackKey = KeySpecItem;  // kid 1..64 of [A-Za-z0-9_.-], secret >= kMinPlaybackSecret bytes
using PlaybackKeys = std::vector<PlaybackKey>;

// "kid1:secret1,kid2:secret2" (common/key_spec.hpp parse_key_spec): nullopt
// with *error (naming the item by position, never its content) when a kid
// is invalid or repeated, a secret is short, or nothing is given. At most 16.
std::optional<PlaybackKeys> parse_playback_keys(std::string_view spec, std::string* error);

struct PlaybackLinkClaims {
    std::string kid;           // the key that signed it
    std::string link_id;       // lower-case UUID
    std::string recording_id;  // lower-case UUID
    int64_t exp = 0;           // Unix seconds, 0..kMaxPlaybackTime
};

// The token for link `link_id` of recording `recording_id` expiring at
// `exp`, signed with `key`. Throws std::invalid_argument when an id is not
// a UUID, exp is out of range, or the key is invalid.
std::string mint_playback_link(std::string_view link_id, std::string_view recording_id, int64_t exp,
                               const PlaybackKey& key);

enum class PlaybackLinkError {
    None = 0,
    Malformed,     // length, prefix, separators, base64url, layout, kid characters, field range
    UnknownKey,    // well-formed, but its kid is not among the keys
    BadSignature,  // the MAC does not match (tampered, forged, another key's secret)
    Expired,       // now >= exp
};
std::string_view to_string(PlaybackLinkError e);

struct PlaybackLinkResult {
    PlaybackLinkError error = PlaybackLinkError::None;
    PlaybackLinkClaims claims;  // filled only when error == None
    bool ok() const { return error == PlaybackLinkError::None; }
};

// Verifies `text` against `keys` at Unix time `now` (valid while now < exp:
// a link is dead from its exp second on). Never throws.
PlaybackLinkResult verify_playback_link(std::string_view text, const PlaybackKeys& keys, int64_t now);

}  // namespace telemed
