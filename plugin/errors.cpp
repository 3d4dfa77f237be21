#include "plugin/errors.hpp"

namespace telemed::plugin {

std::string_view default_error_text(ErrorCode c) {
    switch (c) {
        case ErrorCode::InvalidJson: return "invalid JSON: body must be an object";
        case ErrorCode::InvalidRequest: return "missing or unknown request";
        case ErrorCode::InvalidElement: return "invalid element";
        case ErrorCode::TokenMalformed: return "token malformed";
        case ErrorCode::TokenUnsupportedAlg: return "token algorithm not supported";
        case ErrorCode::TokenUnknownKey: return "token key unknown";
        case ErrorCode::TokenBadSignature: return "token signature invalid";
        case ErrorCode::TokenWrongAudience: return "token audience invalid";
        case ErrorCode::TokenWrongIssuer: return "token issuer invalid";
        case ErrorCode::TokenNotYetValid: return "token not yet valid";
        case ErrorCode::TokenExpired: return "token expired";
        case ErrorCode::TokenBadClaims: return "token claims invalid";
        case ErrorCode::TokenWrongSession: return "token is for another session";
        case ErrorCode::TokenRevoked: return "token revoked";
        case ErrorCode::AlreadyJoined: return "already joined";
        case ErrorCode::NotJoined: return "not joined";
        case ErrorCode::NotAdmitted: return "waiting in the lobby";
        case ErrorCode::NoSuchRoom: return "no such session";
        case ErrorCode::NoSuchParticipant: return "no such participant";
        case ErrorCode::PermissionDenied: return "permission denied";
        case ErrorCode::MutedByModerator: return "muted by a moderator";
        case ErrorCode::CannotTargetSelf: return "cannot target oneself";
        case ErrorCode::InvalidSdp: return "invalid or missing SDP offer";
        case ErrorCode::NegotiationFailed: return "the offer could not be answered";
        case ErrorCode::LimitReached: return "limit reached";
        case ErrorCode::Internal: return "internal error";
    }
    return "internal error";
}

ErrorCode error_for(TokenError e) {
    switch (e) {
        case TokenError::Malformed: return ErrorCode::TokenMalformed;
        case TokenError::UnsupportedAlg: return ErrorCode::TokenUnsupportedAlg;
        case TokenError::UnknownKey: return ErrorCode::TokenUnknownKey;
        case TokenError::BadSignature: return ErrorCode::TokenBadSignature;
        case TokenError::WrongAudience: return ErrorCode::TokenWrongAudience;
        case TokenError::WrongIssuer: return ErrorCode::TokenWrongIssuer;
        case TokenError::NotYetValid: return ErrorCode::TokenNotYetValid;
        case TokenError::Expired: return ErrorCode::TokenExpired;
        case TokenError::BadClaims: return ErrorCode::TokenBadClaims;
        case TokenError::None: break;
    }
    return ErrorCode::Internal;
}

}  // namespace telemed::plugin
