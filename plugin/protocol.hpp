// Typed parsing of the plugin's client requests: the Janus "message" body of
// a client becomes these structs here, once. Unknown fields, wrong types,
// oversized values and bad ids are refused with 4001/4002/4003
// (docs/PROTOCOL.md); nothing deeper looks at raw JSON. Failure texts never
// echo input. The Admin API requests (message_plugin from the controller)
// are part of the contract both sides share: common/admin_api.hpp parses
// them; their names are brought in here for PluginCore.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/admin_api.hpp"
#include "common/chat.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/permissions.hpp"
#include "common/plugin_errors.hpp"
#include "common/requests.hpp"
#include "plugin/errors.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/precheck.hpp"
#include "plugin/recording_rules.hpp"
#include "plugin/room.hpp"
#include "plugin/sdp.hpp"

namespace telemed::plugin {

// Limits of client requests (docs/PROTOCOL.md "Limits"; the admin ones are
// in common/admin_api.hpp).
inline constexpr std::size_t kMaxMessageBytes = 8192;     // compact serialisation of a body
inline constexpr std::size_t kMaxSourceHints = 8;

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

// {"request":"precheck","result":"good"|"audio_only"|"cannot_connect","camera"?:bool,"microphone"?:bool}
// Any joined participant, waiting or admitted (docs/PROTOCOL.md "precheck").
struct PrecheckRequest {
    Precheck precheck;
};

// {"request":"consent","recording":true|false}: any joined participant
// (docs/PROTOCOL.md "consent").
struct ConsentRequest {
    bool recording = false;
};
// {"request":"record","action":"start"|"stop"}: admitted holders of `record`.
struct RecordRequest {
    recording::Action action = recording::Action::Start;
};

// {"request":"chat","text","to"?,"client_id"} and {"request":"chat_history","since"?,"limit"?}:
// parsed by common/chat.hpp (docs/PROTOCOL.md "Chat").
using chat::ChatHistoryRequest;
using chat::ChatRequest;

using ClientRequest = std::variant<JoinRequest, LeaveRequest, ConfigureRequest, AdmitRequest, MuteRequest,
                                   ClientKickRequest, ChatRequest, ChatHistoryRequest, PrecheckRequest,
                                   ConsentRequest, RecordRequest>;
Parsed<ClientRequest> parse_client_request(const json_t* body);

// ---- admin requests (Admin API message_plugin "request"): common/admin_api.hpp ----

using admin_api::AdminRequest;
using admin_api::CreateRoomRequest;
using admin_api::DestroyRoomRequest;
using admin_api::KickRequest;
using admin_api::ListRoomsRequest;
using admin_api::PingRequest;
using admin_api::AdminRecordRequest;
using admin_api::RoomInfoRequest;
using admin_api::SetPermissionsRequest;
using admin_api::SnapshotRequest;
using admin_api::StatsRequest;

}  // namespace telemed::plugin
