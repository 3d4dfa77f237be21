// The stable numbered error codes of janus.plugin.telemed, shared by every
// side that speaks to it: the plugin answers with them (client events and
// Admin API responses), the controller reads them (4040 "no such room" is an
// already ended session), the web SDK and every test check them. The list
// and its meaning are documented in docs/PROTOCOL.md "Errors"; never
// renumber, only add. Also the one refusal shape
// {"telemed":"error","error_code":N,"error":"..."} and Parsed<T>, a typed
// request or a numbered refusal.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/json.hpp"
#include "common/token.hpp"

namespace telemed {

enum class PluginError : int {
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
    RecordingNotAllowed = 4060, // record: policy `disabled` refuses start, policy `required` refuses stop
    ConsentRequired = 4061,     // required policy: admit of a participant without stored consent
    RecordingBusy = 4062,       // record start (admin) while another recording id is on
    LimitReached = 4090,        // room limit reached / room full / table full
    ClientIdReused = 4092,      // chat: client_id already used for a different message
    RateLimited = 4290,         // chat: per-participant rate (event carries "retry_after_ms")
    Internal = 5000,
    ChatUnavailable = 5030,     // chat store unreachable or busy (event carries "retryable":true)
    ConsentUnavailable = 5031,  // consent could not be stored through the controller ("retryable":true)
    RecordingUnavailable = 5032,  // no recordings_dir, or the recording folder cannot be made
};

inline constexpr int to_int(PluginError c) { return static_cast<int>(c); }

// Default short text for a code. Never contains request data.
std::string_view default_error_text(PluginError c);

// Maps a token verification failure onto 4010..4018. TokenError::None maps to
// Internal (callers must not ask).
PluginError error_for(TokenError e);

// A refused request: a code and a short text made only of our own constants
// (field names from our tables, never values or unknown keys from the input).
struct PluginFailure {
    PluginError code = PluginError::Internal;
    std::string text;

    static PluginFailure of(PluginError c) { return PluginFailure{c, std::string(default_error_text(c))}; }
    static PluginFailure of(PluginError c, std::string_view detail) { return PluginFailure{c, std::string(detail)}; }
    bool operator==(const PluginFailure&) const = default;
};

// The result of parsing a plugin request: the typed request, or a refusal.
template <class T>
struct Parsed {
    std::optional<T> value;  // set on success
    PluginFailure failure;   // meaningful when !value
    bool ok() const { return value.has_value(); }

    static Parsed refused(PluginFailure f) {
        Parsed p;
        p.failure = std::move(f);
        return p;
    }
};

// {"telemed":"error","error_code":N,"error":"..."}: the answer to every
// refused request, client or admin.
Json error_reply(const PluginFailure& f);

}  // namespace telemed
