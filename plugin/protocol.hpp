// Typed parsing of the plugin's requests: the Janus "message" body of a client
// and the "request" object of an Admin API message_plugin call become these
// structs here, once. Unknown fields, wrong types, oversized values and bad
// ids are refused with 4001/4002/4003 (docs/PROTOCOL.md); nothing deeper looks
// at raw JSON. Failure texts never echo input.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/json.hpp"
#include "common/permissions.hpp"
#include "common/requests.hpp"
#include "plugin/errors.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/room.hpp"
#include "plugin/sdp.hpp"

namespace telemed::plugin {

// Limits (docs/PROTOCOL.md "Limits").
inline constexpr std::size_t kMaxMessageBytes = 8192;     // compact serialisation of a body
inline constexpr std::size_t kMaxAdminMessageBytes = 65536;  // admin bodies (revoked lists)
inline constexpr std::size_t kMaxReasonChars = 200;
inline constexpr std::size_t kMaxRevokedInRequest = 1000;
inline constexpr std::size_t kMaxGrantsInRequest = 1000;
inline constexpr std::size_t kMaxPermissionNames = 32;
inline constexpr std::size_t kMaxSourceHints = 8;

template <class T>
struct Parsed {
    std::optional<T> value;  // set on success
    Failure failure;         // meaningful when !value
    bool ok() const { return value.has_value(); }
};

// ---- client requests (Janus "message" body) ----

// {"request":"join","token":"<jwt>","session_id":"<uuid>"?}
struct JoinRequest {
    std::string token;
    std::optional<std::string> session_id;  // lower-case UUID
};
// {"request":"leave"}
struct LeaveRequest {};
// {"request":"configure","sources":[{"mid","source"}]?} + jsep offer
struct ConfigureRequest {
    std::vector<sdp::SourceHint> hints;
};
// {"request":"admit"|"deny","participant_id"}
struct AdmitRequest {
    std::string participant_id;
    bool deny = false;
};
// {"request":"mute"|"unmute","participant_id"?,"media"}; no participant_id: oneself
struct MuteRequest {
    std::optional<std::string> participant_id;
    Source media = Source::Audio;
    bool mute = true;
};
// {"request":"kick","participant_id"} (a moderator in the room)
struct ClientKickRequest {
    std::string participant_id;
};

using ClientRequest =
    std::variant<JoinRequest, LeaveRequest, ConfigureRequest, AdmitRequest, MuteRequest, ClientKickRequest>;
Parsed<ClientRequest> parse_client_request(const json_t* body);

// ---- admin requests (Admin API message_plugin "request") ----

struct PingRequest {};
struct CreateRoomRequest {
    std::string room;  // lower-case UUID
    SessionKind kind = SessionKind::Consultation;
    RoomState state = RoomState::Scheduled;
    std::optional<RecordingPolicy> recording_policy;
    std::vector<std::string> revoked;  // lower-case UUIDs
    // Authoritative permission sets of the session's participants (the
    // controller's effective set and role): stored like set_permissions, so
    // a room re-created after a Janus restart still overrides tokens minted
    // before a permission change.
    struct Grant {
        std::string participant_id;  // lower-case UUID
        Role role = Role::Observer;
        PermissionSet permissions = 0;
        std::optional<std::string> display_name;  // shown to the others; never logged
    };
    std::vector<Grant> grants;
};
struct DestroyRoomRequest {
    std::string room;
};
struct ListRoomsRequest {};
struct RoomInfoRequest {
    std::string room;
};
struct SetPermissionsRequest {
    std::string room;
    std::string participant_id;
    PermissionSet permissions = 0;
    std::optional<Role> role;
};
struct KickRequest {
    std::string room;
    std::string participant_id;
    bool has_reason = false;  // the free-text reason is validated, never stored or logged
};

using AdminRequest = std::variant<PingRequest, CreateRoomRequest, DestroyRoomRequest, ListRoomsRequest,
                                  RoomInfoRequest, SetPermissionsRequest, KickRequest>;
Parsed<AdminRequest> parse_admin_request(const json_t* body);

// Lower-cases a canonical UUID (is_uuid accepts either case).
std::string normalize_uuid(std::string_view s);

}  // namespace telemed::plugin
