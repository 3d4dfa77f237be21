// Plugin error codes: stable numbers shared with the controller, the web SDK
// and every test. The list and its meaning are documented in docs/PROTOCOL.md;
// never renumber, only add.
#pragma once
#include <string>
#include <string_view>

#include "common/token.hpp"

namespace telemed::plugin {

enum class ErrorCode : int {
    InvalidJson = 4001,         // body is not a JSON object
    InvalidRequest = 4002,      // "request" missing, not a string, or unknown
    InvalidElement = 4003,      // missing / wrong type / unknown field / too long / bad value
    TokenMalformed = 4010,
    TokenUnsupportedAlg = 4011,
    TokenUnknownKey = 4012,
    TokenBadSignature = 4013,
    TokenWrongAudience = 4014,
    TokenWrongIssuer = 4015,
    TokenNotYetValid = 4016,
    TokenExpired = 4017,
    TokenBadClaims = 4018,
    TokenWrongSession = 4019,   // token is for another session than the one asked for
    TokenRevoked = 4020,        // participant was kicked from the room
    AlreadyJoined = 4030,
    NotJoined = 4031,
    NotAdmitted = 4032,         // the caller waits in the lobby
    NoSuchRoom = 4040,          // session not live (never created, destroyed, ended)
    NoSuchParticipant = 4041,
    PermissionDenied = 4043,
    MutedByModerator = 4044,    // own unmute of a source a moderator muted
    CannotTargetSelf = 4046,    // admit/deny/kick/mute of oneself where not allowed
    InvalidSdp = 4050,          // configure: jsep offer missing, not an offer, or unusable SDP
    NegotiationFailed = 4051,   // the offer could not be answered
    LimitReached = 4090,        // room limit reached / room full / table full
    Internal = 5000,
};

inline constexpr int to_int(ErrorCode c) { return static_cast<int>(c); }

// Default short text for a code. Never contains request data.
std::string_view default_error_text(ErrorCode c);

// Maps a token verification failure onto 4010..4018. TokenError::None maps to
// Internal (callers must not ask).
ErrorCode error_for(TokenError e);

// A refused request: a code and a short text made only of our own constants
// (field names from our tables, never values or unknown keys from the input).
struct Failure {
    ErrorCode code = ErrorCode::Internal;
    std::string text;

    static Failure of(ErrorCode c) { return Failure{c, std::string(default_error_text(c))}; }
    static Failure of(ErrorCode c, std::string_view detail) { return Failure{c, std::string(detail)}; }
};

}  // namespace telemed::plugin
