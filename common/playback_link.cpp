// Playback link token codec (common/playback_link.hpp).
#include "common/playback_link.hpp"

#include <stdexcept>

#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/key_spec.hpp"

namespace telemed {
namespace {

constexpr std::size_t kIdBytes = 16;
constexpr std::size_t kFixedBytes = 1 + 2 * kIdBytes + 8;  // kid length, lid, rid, exp
constexpr std::size_t kMacChars = 43;                      // base64url of 32 bytes
constexpr std::size_t kMaxKeys = 16;

std::string mac_of(std::string_view signing_input, std::string_view secret) {
    return base64url_encode(hmac_sha256(secret, signing_input));
}

}  // namespace

std::optional<PlaybackKeys> parse_playback_keys(std::string_view spec, std::string* error) {
    return parse_key_spec(spec, "playback key", kMinPlaybackSecret, kMaxKeys, error);
}

std::string_view to_string(PlaybackLinkError e) {
    switch (e) {
        case PlaybackLinkError::None: return "none";
        case PlaybackLinkError::Malformed: return "malformed";
        case PlaybackLinkError::UnknownKey: return "unknown_key";
        case PlaybackLinkError::BadSignature: return "bad_signature";
        case PlaybackLinkError::Expired: return "expired";
    }
    return "unknown";
}

std::string mint_playback_link(std::string_view link_id, std::string_view recording_id, int64_t exp,
                               const PlaybackKey& key) {
    if (!valid_key_id(key.kid)) throw std::invalid_argument("playback link: invalid kid");
    if (key.secret.size() < kMinPlaybackSecret) throw std::invalid_argument("playback link: secret too short");
    if (exp < 0 || exp > kMaxPlaybackTime) throw std::invalid_argument("playback link: exp out of range");
    std::string payload;
    payload.reserve(kFixedBytes + key.kid.size());
    payload.push_back(static_cast<char>(key.kid.size()));
    payload += key.kid;
    payload += uuid_to_bytes(link_id);
    payload += uuid_to_bytes(recording_id);
    for (int shift = 56; shift >= 0; shift -= 8)
        payload.push_back(static_cast<char>((static_cast<uint64_t>(exp) >> shift) & 0xFF));
    std::string text = std::string(kPlaybackLinkPrefix) + base64url_encode(payload);
    std::string mac = mac_of(text, key.secret);
    text += '.';
    text += mac;
    return text;
}

PlaybackLinkResult verify_playback_link(std::string_view text, const PlaybackKeys& keys, int64_t now) {
    PlaybackLinkResult r;
    r.error = PlaybackLinkError::Malformed;
    if (text.size() > kMaxPlaybackLinkInput || text.size() <= kPlaybackLinkPrefix.size()) return r;
    if (text.substr(0, kPlaybackLinkPrefix.size()) != kPlaybackLinkPrefix) return r;
    const std::size_t dot = text.find('.', kPlaybackLinkPrefix.size());
    if (dot == std::string_view::npos || text.find('.', dot + 1) != std::string_view::npos) return r;
    const std::string_view signing_input = text.substr(0, dot);
    const std::string_view payload_b64 = text.substr(kPlaybackLinkPrefix.size(), dot - kPlaybackLinkPrefix.size());
    const std::string_view mac_b64 = text.substr(dot + 1);
    if (mac_b64.size() != kMacChars) return r;
    const std::optional<std::string> payload = base64url_decode(payload_b64);
    const std::optional<std::string> mac_raw = base64url_decode(mac_b64);
    if (!payload || !mac_raw || mac_raw->size() != 32 || payload->size() < kFixedBytes + 1) return r;
    const std::string_view p = *payload;
    const std::size_t k = static_cast<unsigned char>(p[0]);
    if (k == 0 || k > kMaxPlaybackKidChars || p.size() != kFixedBytes + k) return r;
    const std::string_view kid = p.substr(1, k);
    if (!valid_key_id(kid)) return r;

    const PlaybackKey* key = nullptr;
    for (const PlaybackKey& candidate : keys)
        if (candidate.kid == kid) key = &candidate;
    if (key == nullptr) {
        r.error = PlaybackLinkError::UnknownKey;
        return r;
    }
    // The MAC before any other field: nothing else is trusted before it matches.
    if (key->secret.size() < kMinPlaybackSecret || !constant_time_equal(mac_of(signing_input, key->secret), mac_b64)) {
        r.error = PlaybackLinkError::BadSignature;
        return r;
    }
    uint64_t exp = 0;
    for (char c : p.substr(1 + k + 2 * kIdBytes, 8)) exp = (exp << 8) | static_cast<unsigned char>(c);
    if (exp > static_cast<uint64_t>(kMaxPlaybackTime)) return r;
    if (now >= static_cast<int64_t>(exp)) {
        r.error = PlaybackLinkError::Expired;
        return r;
    }
    r.claims.kid.assign(kid);
    r.claims.link_id = uuid_from_bytes(p.substr(1 + k, kIdBytes));
    r.claims.recording_id = uuid_from_bytes(p.substr(1 + k + kIdBytes, kIdBytes));
    r.claims.exp = static_cast<int64_t>(exp);
    r.error = PlaybackLinkError::None;
    return r;
}

}  // namespace telemed
