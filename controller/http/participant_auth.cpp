#include "controller/http/participant_auth.hpp"

#include "common/session_state.hpp"
#include "controller/http/auth.hpp"
#include "controller/http/problem.hpp"

namespace telemed {

std::string_view to_string(ParticipantAuthError e) {
    switch (e) {
        case ParticipantAuthError::None: return "none";
        case ParticipantAuthError::Missing: return "missing";
        case ParticipantAuthError::Invalid: return "invalid";
        case ParticipantAuthError::Removed: return "removed";
        case ParticipantAuthError::SessionClosed: return "session_closed";
        case ParticipantAuthError::ClosedExpired: return "closed_expired";
        case ParticipantAuthError::WrongSession: return "wrong_session";
    }
    return "unknown";
}

std::optional<CredentialClaims> credential_claims(std::string_view authorization, const CredentialPolicy& policy) {
    std::string_view v = bearer_value(authorization);
    if (v.empty()) return std::nullopt;
    CredentialResult r = verify_credential(v, policy.secret);
    if (!r.ok()) return std::nullopt;
    return r.claims;
}

ParticipantAuth authenticate_participant(std::string_view authorization, const CredentialPolicy& policy, int64_t now,
                                         const ParticipantStateLookup& lookup,
                                         std::optional<std::string_view> route_session_id) {
    ParticipantAuth a;
    std::string_view v = bearer_value(authorization);
    if (v.empty()) {
        a.error = ParticipantAuthError::Missing;
        return a;
    }
    CredentialResult r = verify_credential(v, policy.secret);
    if (!r.ok()) {
        a.error = ParticipantAuthError::Invalid;
        return a;
    }
    ParticipantPrincipal& p = a.principal;
    p.session_id = r.claims.session_id;
    p.participant_id = r.claims.participant_id;
    p.epoch = r.claims.epoch;
    p.issued_at = r.claims.issued_at;
    p.expires_at = credential_expires_at(r.claims.issued_at, policy);
    if (route_session_id && *route_session_id != p.session_id) {
        a.error = ParticipantAuthError::WrongSession;
        return a;
    }
    std::optional<ParticipantCredentialState> st = lookup(p.session_id, p.participant_id);
    if (!st || st->epoch != p.epoch || now >= p.expires_at) {
        a.error = ParticipantAuthError::Invalid;
        return a;
    }
    if (!st->active) {
        a.error = ParticipantAuthError::Removed;
        return a;
    }
    p.session_status = st->session_status;
    a.status = st->session_status;
    if (!is_open(st->session_status)) {
        const bool in_grace = st->closed_at_s && now < *st->closed_at_s + policy.grace_s;
        a.error = in_grace ? ParticipantAuthError::SessionClosed : ParticipantAuthError::ClosedExpired;
        return a;
    }
    return a;
}

Response participant_auth_problem(const ParticipantAuth& a) {
    switch (a.error) {
        case ParticipantAuthError::SessionClosed:
            return problem(409, "session-closed", "Session closed",
                           "The session is " + std::string(to_string(a.status)) + ".");
        case ParticipantAuthError::WrongSession:
            return problem(403, "forbidden", "Forbidden", "The credential is not valid for this session.");
        default: {
            Response r = problem(401, "unauthorized", "Unauthorized",
                                 "A valid participant credential is required: Authorization: Bearer <credential>. "
                                 "It stops working when the participant is removed, when it is revoked, and when "
                                 "the session has ended.");
            r.headers.emplace_back("WWW-Authenticate", "Bearer");
            return r;
        }
    }
}

}  // namespace telemed
