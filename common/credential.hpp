// Participant credential codec (docs/DESIGN.md "Participant credentials").
//
//   tpc1.<base64url(payload)>.<base64url(HMAC-SHA256(secret, "tpc1." + base64url(payload)))>
//
// payload: 48 bytes, big-endian, fixed layout:
//   [0..16)  session id (UUID, 16 raw bytes)
//   [16..32) participant id (UUID, 16 raw bytes)
//   [32..40) revocation epoch (uint64, at most kMaxCredentialEpoch)
//   [40..48) issued-at, Unix seconds (uint64, at most kMaxCredentialTime)
// Always 113 characters (base64url without padding). Ids and integers only:
// no personal data. Deterministic: the same claims and secret give the same
// text, so the controller can hand out the same credential again without
// storing it. Validity (epoch still current, participant active, session
// open, expiry) is the caller's business (controller/http/participant_auth).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace telemed {

inline constexpr std::string_view kCredentialPrefix = "tpc1.";
inline constexpr std::size_t kCredentialLength = 113;      // every valid credential
inline constexpr std::size_t kMaxCredentialInput = 512;    // longer input: refused unread
inline constexpr std::size_t kMinCredentialSecret = 32;    // bytes
inline constexpr int64_t kMaxCredentialEpoch = 2147483647;  // the database column is an integer
inline constexpr int64_t kMaxCredentialTime = 253402300799; // 9999-12-31T23:59:59Z

struct CredentialClaims {
    std::string session_id;      // lower-case UUID
    std::string participant_id;  // lower-case UUID
    int64_t epoch = 0;           // 0..kMaxCredentialEpoch
    int64_t issued_at = 0;       // Unix seconds, 0..kMaxCredentialTime
};

// The credential text. Throws std::invalid_argument when an id is not a
// UUID, epoch or issued_at is out of range, or the secret is shorter than
// kMinCredentialSecret.
std::string mint_credential(const CredentialClaims& claims, std::string_view secret);

enum class CredentialError {
    None = 0,
    Malformed,     // wrong length, prefix, separators, base64url or field range
    BadSignature,  // well-formed, but the MAC does not match (tampered, other key)
};
std::string_view to_string(CredentialError e);

struct CredentialResult {
    CredentialError error = CredentialError::None;
    CredentialClaims claims;  // filled only when error == None
    bool ok() const { return error == CredentialError::None; }
};

// Checks shape and MAC (constant-time) before reading any field. Never
// throws; input longer than kMaxCredentialInput is Malformed. A secret
// shorter than kMinCredentialSecret verifies nothing (BadSignature).
CredentialResult verify_credential(std::string_view text, std::string_view secret);

}  // namespace telemed
