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

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Canonical UUID text -> 16 bytes appended to *out.
void append_uuid(std::string_view id, std::string* out) {
    if (!is_uuid(id)) throw std::invalid_argument("credential: id is not a UUID");
    int hi = -1;
    for (char c : id) {
        if (c == '-') continue;
        int v = hex_value(c);
        if (hi < 0) {
            hi = v;
        } else {
            out->push_back(static_cast<char>((hi << 4) | v));
            hi = -1;
        }
    }
}

std::string uuid_text(std::string_view raw16) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(36);
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
        auto b = static_cast<unsigned char>(raw16[i]);
        s.push_back(kHex[b >> 4]);
        s.push_back(kHex[b & 0xF]);
    }
    return s;
}

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
    append_uuid(c.session_id, &payload);
    append_uuid(c.participant_id, &payload);
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
    r.claims.session_id = uuid_text(p.substr(0, 16));
    r.claims.participant_id = uuid_text(p.substr(16, 16));
    r.claims.epoch = static_cast<int64_t>(epoch);
    r.claims.issued_at = static_cast<int64_t>(iat);
    r.error = CredentialError::None;
    return r;
}

}  // namespace telemed
