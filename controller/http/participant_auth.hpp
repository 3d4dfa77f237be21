// Participants' own authentication (ARCHITECTURE "Participants' own
// access"; docs/DESIGN.md "Participant credentials"): the participant
// credential of common/credential.hpp sent as `Authorization: Bearer
// <credential>`. Every participant-facing endpoint (POST /join today; files
// and chat history next) calls authenticate_participant() and, on failure,
// answers participant_auth_problem().
//
// Pure: the participant's current state comes from a lookup the caller
// supplies (a Postgres query inside its transaction in the daemon, a fake
// in the unit tests).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/credential.hpp"
#include "common/requests.hpp"
#include "controller/http/auth.hpp"  // bearer_value
#include "controller/http/types.hpp"

namespace telemed {

// What the lookup reports about the credential's participant.
struct ParticipantCredentialState {
    bool active = false;                 // status 'active' (not removed)
    int64_t epoch = 0;                   // current credential epoch
    SessionStatus session_status = SessionStatus::Scheduled;
    std::optional<int64_t> closed_at_s;  // ended_at / cancelled_at, Unix seconds
};
// nullopt: no such participant in that session.
using ParticipantStateLookup =
    std::function<std::optional<ParticipantCredentialState>(const std::string& session_id,
                                                            const std::string& participant_id)>;

struct CredentialPolicy {
    std::string_view secret;     // credential_secret
    int64_t grace_s = 3600;      // credential_grace_s
    int64_t max_ttl_s = 2592000; // credential_max_ttl_s
};

// The expiry every credential carries: issued_at + max_ttl_s (the
// `expires_at` of the `access` object; the session's end comes earlier).
inline int64_t credential_expires_at(int64_t issued_at, const CredentialPolicy& p) { return issued_at + p.max_ttl_s; }

enum class ParticipantAuthError {
    None = 0,
    Missing,          // no "Authorization: Bearer <credential>"
    Invalid,          // malformed, bad MAC, unknown participant, stale epoch, expired
    Removed,          // the participant was removed (DELETE)
    SessionClosed,    // session ended/cancelled, still within the grace
    ClosedExpired,    // session ended/cancelled longer than the grace ago
    WrongSession,     // the route's session is not the credential's
};
std::string_view to_string(ParticipantAuthError e);

struct ParticipantPrincipal {
    std::string session_id;
    std::string participant_id;
    int64_t epoch = 0;
    int64_t issued_at = 0;
    int64_t expires_at = 0;
    SessionStatus session_status = SessionStatus::Scheduled;
    // For audit rows: "participant:<id>".
    std::string actor() const { return "participant:" + participant_id; }
};

struct ParticipantAuth {
    ParticipantAuthError error = ParticipantAuthError::None;
    ParticipantPrincipal principal;  // session/participant ids also set for the errors after a valid MAC
    SessionStatus status = SessionStatus::Scheduled;  // for SessionClosed
    bool ok() const { return error == ParticipantAuthError::None; }
};

// Only the signature: decodes the credential of `authorization`. For rate
// limiting by credential before any database work. nullopt when missing,
// malformed or not signed with the policy's secret.
std::optional<CredentialClaims> credential_claims(std::string_view authorization, const CredentialPolicy& policy);

// The whole check, in this order: header present, MAC (common/credential),
// route session (when `route_session_id` is given, lower-case UUID) equals
// the credential's, the lookup finds the participant, it is active, its
// epoch equals the credential's, now < expires_at, and the session is open
// (else within the grace after closing: SessionClosed, after it:
// ClosedExpired). `now` in Unix seconds.
ParticipantAuth authenticate_participant(std::string_view authorization, const CredentialPolicy& policy, int64_t now,
                                         const ParticipantStateLookup& lookup,
                                         std::optional<std::string_view> route_session_id = std::nullopt);

// The problem for a failed check: 401 unauthorized (Missing, Invalid,
// Removed, ClosedExpired; WWW-Authenticate: Bearer; one generic detail, so
// the answer does not tell which rule failed), 409 session-closed
// (SessionClosed), 403 forbidden (WrongSession).
Response participant_auth_problem(const ParticipantAuth& a);

}  // namespace telemed
