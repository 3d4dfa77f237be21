// Participant credential codec (common/credential.hpp).
#include "common/credential.hpp"

#include <array>
#include <stdexcept>

#include "common/crypto.hpp"
#include "common/ids.hpp"

namespace telemed {
namespace {

constexpr std::size_t kPayloadBytes = 48;
constexpr std::size_t kPayloadChars = 64;   // base64url of 48 bytes
constexpr std::size_t kMacChars = 43;       // base64url of 32 bytes

void append_u64(uint64_t v, std::string* out) {
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint64_t read_u64(std::string_view raw8) {
    uint64_t v = 0;
    for (char c : raw8) v = (v << 8) | static_cast<unsigned char>(c);
    return v;
}

std::string mac_of(std::string_view signing_input, std::string_view secret) {
    return base64url_encode(hmac_sha256(secret, signing_input));
}

}  // namespace

std::string_view to_string(CredentialError e) {
    switch (e) {
        case CredentialError::None: return "none";
        case CredentialError::Malformed: return "malformed";
        case CredentialError::BadSignature: return "bad_signature";
    }
    return "unknown";
}

std::string mint_credential(const CredentialClaims& c, std::string_view secret) {
    if (secret.size() < kMinCredentialSecret) throw std::invalid_argument("credential: secret too short");
    if (c.epoch < 0 || c.epoch > kMaxCredentialEpoch) throw std::invalid_argument("credential: epoch out of range");
    if (c.issued_at < 0 || c.issued_at > kMaxCredentialTime)
        throw std::invalid_argument("credential: issued_at out of range");
    std::string payload;
    payload.reserve(kPayloadBytes);
    payload += uuid_to_bytes(c.session_id);
    payload += uuid_to_bytes(c.participant_id);
    append_u64(static_cast<uint64_t>(c.epoch), &payload);
    append_u64(static_cast<uint64_t>(c.issued_at), &payload);
    std::string text = std::string(kCredentialPrefix) + base64url_encode(payload);
    std::string mac = mac_of(text, secret);
    text += '.';
    text += mac;
    return text;
}

CredentialResult verify_credential(std::string_view text, std::string_view secret) {
    CredentialResult r;
    r.error = CredentialError::Malformed;
    if (text.size() > kMaxCredentialInput || text.size() != kCredentialLength) return r;
    if (text.substr(0, kCredentialPrefix.size()) != kCredentialPrefix) return r;
    const std::size_t dot = kCredentialPrefix.size() + kPayloadChars;
    if (text[dot] != '.') return r;
    const std::string_view signing_input = text.substr(0, dot);
    const std::string_view payload_b64 = text.substr(kCredentialPrefix.size(), kPayloadChars);
    const std::string_view mac_b64 = text.substr(dot + 1);
    if (mac_b64.size() != kMacChars) return r;
    std::optional<std::string> payload = base64url_decode(payload_b64);
    std::optional<std::string> mac_raw = base64url_decode(mac_b64);
    if (!payload || payload->size() != kPayloadBytes || !mac_raw || mac_raw->size() != 32) return r;

    // The MAC first: nothing of the payload is trusted before it matches.
    if (secret.size() < kMinCredentialSecret || !constant_time_equal(mac_of(signing_input, secret), mac_b64)) {
        r.error = CredentialError::BadSignature;
        return r;
    }
    const std::string_view p = *payload;
    const uint64_t epoch = read_u64(p.substr(32, 8));
    const uint64_t iat = read_u64(p.substr(40, 8));
    if (epoch > static_cast<uint64_t>(kMaxCredentialEpoch) || iat > static_cast<uint64_t>(kMaxCredentialTime)) return r;
    r.claims.session_id = uuid_from_bytes(p.substr(0, 16));
    r.claims.participant_id = uuid_from_bytes(p.substr(16, 16));
    r.claims.epoch = static_cast<int64_t>(epoch);
    r.claims.issued_at = static_cast<int64_t>(iat);
    r.error = CredentialError::None;
    return r;
}

}  // namespace telemed
