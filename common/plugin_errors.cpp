// Texts of the plugin error codes, the token-error mapping and the refusal
// shape (common/plugin_errors.hpp).
#include "common/plugin_errors.hpp"

namespace telemed {

std::string_view default_error_text(PluginError c) {
    switch (c) {
        case PluginError::InvalidJson: return "invalid JSON: body must be an object";
        case PluginError::InvalidRequest: return "missing or unknown request";
        case PluginError::InvalidElement: return "invalid element";
        case PluginError::TokenMalformed: return "token malformed";
        case PluginError::TokenUnsupportedAlg: return "token algorithm not supported";
        case PluginError::TokenUnknownKey: return "token key unknown";
        case PluginError::TokenBadSignature: return "token signature invalid";
        case PluginError::TokenWrongAudience: return "token audience invalid";
        case PluginError::TokenWrongIssuer: return "token issuer invalid";
        case PluginError::TokenNotYetValid: return "token not yet valid";
        case PluginError::TokenExpired: return "token expired";
        case PluginError::TokenBadClaims: return "token claims invalid";
        case PluginError::TokenWrongSession: return "token is for another session";
        case PluginError::TokenRevoked: return "token revoked";
        case PluginError::AlreadyJoined: return "already joined";
        case PluginError::NotJoined: return "not joined";
        case PluginError::NotAdmitted: return "waiting in the lobby";
        case PluginError::NoSuchRoom: return "no such session";
        case PluginError::NoSuchParticipant: return "no such participant";
        case PluginError::PermissionDenied: return "permission denied";
        case PluginError::MutedByModerator: return "muted by a moderator";
        case PluginError::CannotTargetSelf: return "cannot target oneself";
        case PluginError::InvalidSdp: return "invalid or missing SDP offer";
        case PluginError::NegotiationFailed: return "the offer could not be answered";
        case PluginError::RecordingNotAllowed: return "recording not allowed by the session's policy";
        case PluginError::ConsentRequired: return "consent to recording required";
        case PluginError::RecordingBusy: return "another recording is on";
        case PluginError::LimitReached: return "limit reached";
        case PluginError::ClientIdReused: return "client_id already used for a different message";
        case PluginError::RateLimited: return "rate limited";
        case PluginError::Internal: return "internal error";
        case PluginError::ChatUnavailable: return "chat store unavailable or busy, retry";
        case PluginError::ConsentUnavailable: return "consent could not be stored, retry";
        case PluginError::RecordingUnavailable: return "recording unavailable";
    }
    return "internal error";
}

PluginError error_for(TokenError e) {
    switch (e) {
        case TokenError::Malformed: return PluginError::TokenMalformed;
        case TokenError::UnsupportedAlg: return PluginError::TokenUnsupportedAlg;
        case TokenError::UnknownKey: return PluginError::TokenUnknownKey;
        case TokenError::BadSignature: return PluginError::TokenBadSignature;
        case TokenError::WrongAudience: return PluginError::TokenWrongAudience;
        case TokenError::WrongIssuer: return PluginError::TokenWrongIssuer;
        case TokenError::NotYetValid: return PluginError::TokenNotYetValid;
        case TokenError::Expired: return PluginError::TokenExpired;
        case TokenError::BadClaims: return PluginError::TokenBadClaims;
        case TokenError::None: break;
    }
    return PluginError::Internal;
}

Json error_reply(const PluginFailure& f) {
    Json j(json_object());
    json_object_set_new(j.get(), "telemed", json_string("error"));
    json_object_set_new(j.get(), "error_code", json_integer(to_int(f.code)));
    json_object_set_new(j.get(), "error", json_str(f.text));
    return j;
}

}  // namespace telemed
