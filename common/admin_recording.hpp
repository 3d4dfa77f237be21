// The Admin API `record` request (issue 14, docs/PROTOCOL.md "Admin API"):
// the controller's builder and its reading of the plugin's answer. Kept apart
// from common/admin_api.* so the plugin side (its parser of this request)
// and the controller side can be written at the same time.
//
//   {"request":"record","room":<session id>,"action":"start","recording_id":<uuid>?}
//   {"request":"record","room":<session id>,"action":"stop"}
// Answer: {"telemed":"recording","room","state":"on"|"off","recording_id":uuid|null,
//          "policy":"disabled"|"optional"|"required","recorded":[participant ids]}
// Refusals ({"telemed":"error","error_code":N}): 4040 no room, 4060 not
// allowed by the room's policy (start: disabled; stop: required), 4062
// another recording id is on, 5032 recording unavailable (no recordings_dir).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/requests.hpp"

namespace telemed::admin_api {

enum class RecordAction { Start, Stop };

struct RecordingCommand {
    std::string room;  // the session id
    RecordAction action = RecordAction::Start;
    std::optional<std::string> recording_id;  // start only; absent: the plugin makes one
    bool operator==(const RecordingCommand&) const = default;
};

// The request body above (recording_id sent only for a start that has one).
Json build_record_request(const RecordingCommand& c);

// The room's recording state as the plugin answers it.
struct RecordingStateReply {
    std::string room;
    bool on = false;
    std::optional<std::string> recording_id;  // lower-case; none when off
    RecordingPolicy policy = RecordingPolicy::Optional;
    std::vector<std::string> recorded;  // participant ids, lower-case
    bool operator==(const RecordingStateReply&) const = default;
};
inline constexpr std::size_t kMaxRecordedInReply = 1000;

// Reads a success answer {"telemed":"recording",...}: nullopt when it is not
// one or is malformed (room, state, recording_id, policy, recorded must be as
// above; ids UUIDs; at most kMaxRecordedInReply recorded ids). Members it
// does not know are ignored (the plugin may add some).
std::optional<RecordingStateReply> parse_recording_reply(const json_t* response);

// How the controller reads a numbered refusal of `record`. The numbers are
// common/plugin_errors.hpp's RecordingNotAllowed (4060), RecordingBusy
// (4062) and RecordingUnavailable (5032) once those names are merged.
enum class RecordRefusal { NoRoom, NotAllowed, Busy, Unavailable, Other };
inline constexpr int kRecordNoRoomCode = 4040;
inline constexpr int kRecordNotAllowedCode = 4060;
inline constexpr int kRecordBusyCode = 4062;
inline constexpr int kRecordUnavailableCode = 5032;
RecordRefusal classify_record_refusal(int plugin_error);

}  // namespace telemed::admin_api
