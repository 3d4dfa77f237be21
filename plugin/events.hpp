// Builders for every JSON object the plugin sends: client events
// ({"telemed": ...}), admin responses and event-handler notifications.
// One place, so docs/PROTOCOL.md and the wire agree.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/permissions.hpp"
#include "plugin/errors.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/precheck.hpp"
#include "plugin/room.hpp"

namespace telemed::plugin {

// An admitted participant as the others see it.
struct RosterEntry {
    std::string participant_id;
    Role role = Role::Observer;
    std::optional<std::string> display_name;
    uint8_t publishing = 0;          // source bits (media_gate.hpp source_bit)
    uint8_t muted = 0;               // self | moderator
    uint8_t muted_by_moderator = 0;  // subset of muted
    uint8_t not_permitted = 0;       // sources its permissions do not allow (publish_*)
    std::optional<Precheck> precheck;  // the last pre-call check it reported
    std::optional<bool> consent;       // to recording: null = not answered
};
// A participant waiting in the lobby (shown to moderators).
struct LobbyEntry {
    std::string participant_id;
    Role role = Role::Observer;
    std::optional<std::string> display_name;
    std::optional<Precheck> precheck;  // the last pre-call check it reported
    std::optional<bool> consent;       // to recording: null = not answered
    bool consent_required = false;     // "reason":"consent_required" (required policy, no stored consent)
};
// One slot assignment: slot mid -> remote participant + source.
struct StreamEntry {
    std::string mid;
    std::string participant_id;
    Source source = Source::Audio;
};
struct KindCounts {
    std::size_t audio = 0;
    std::size_t video = 0;
};
struct MidSource {
    std::string mid;
    Source source = Source::Audio;
};

// {"telemed":kind}: the start of every client event and admin response.
Json telemed_object(const char* kind);
// {"telemed":"error","error_code":N,"error":"..."}
Json error_event(const Failure& f);
// {"telemed":"joined","session_id","participant_id","role","permissions":[...],
//  "session_state","participants":[{"participant_id","role"}]}
// "status": "admitted" | "waiting" (waiting participants get an empty roster)
// "recording": the room's recording fields (plugin/recording.hpp), borrowed,
// when given; "reason":"consent_required" when it waits for its consent.
Json joined_event(std::string_view session_id, std::string_view participant_id, Role role, PermissionSet perms,
                  RoomState state, bool admitted, const std::vector<RosterEntry>& others,
                  const json_t* recording = nullptr, bool consent_required = false);
// {"telemed":"admitted","participants":[...],"recording":{...}?}
Json admitted_event(const std::vector<RosterEntry>& others, const json_t* recording = nullptr);
// {"telemed":"lobby","reason":"consent_required"}: an admitted participant
// went back to the lobby (it withdrew its consent in a required room).
Json lobby_event(std::string_view reason);
// {"telemed":"consent","recording":bool,"consent_id":uuid|null}
Json consent_event(bool recording, const std::optional<std::string>& consent_id);
// {"telemed":"denied"}
Json denied_event();
// {"telemed":"waiting","waiting":[{"participant_id","role","display_name","precheck"}]}
Json waiting_event(const std::vector<LobbyEntry>& lobby);
// {"telemed":"ok","request":name,"participant_id"?,"media"?}
Json ok_event(std::string_view request, std::string_view participant_id = {}, std::optional<Source> media = {});
// {"telemed":"ok","request":"precheck","result":"good"|"audio_only"|"cannot_connect"}
Json precheck_ok_event(const Precheck& p);
// {"result","camera":bool|null,"microphone":bool|null}, or JSON null when none.
Json precheck_to_json(const std::optional<Precheck>& p);
// {"telemed":"muted","muted":[...],"muted_by_moderator":[...],"by":pid|null}
Json muted_event(uint8_t muted, uint8_t by_moderator, std::string_view by);
// {"telemed":"configured","publishing":[{mid,source}],"refused":[{mid,source}],"slots":{audio,video},
//  "streams":[...],"unassigned":{audio,video}}
Json configured_event(const std::vector<MidSource>& publishing, const std::vector<MidSource>& refused,
                      KindCounts slots, const std::vector<StreamEntry>& streams, KindCounts unassigned);
// {"telemed":"streams","streams":[{"mid","participant_id","source"}],"unassigned":{audio,video}}
Json streams_event(const std::vector<StreamEntry>& streams, KindCounts unassigned);
// Source bits as a JSON array of names, in Source order.
Json sources_to_json(uint8_t bits);
// {"telemed":"participants","participants":[...]}
Json participants_event(const std::vector<RosterEntry>& others);
// {"telemed":"left"}
Json left_event();
// {"telemed":"kicked","reason":"removed"|"replaced"}
Json kicked_event(std::string_view reason);
// {"telemed":"ended"}
Json ended_event();
// {"telemed":"permissions","permissions":[...],"role"}
Json permissions_event(PermissionSet perms, Role role);

// Event-handler notification: {"event":name,"room":id,"participant_id":id?,...}.
// Ids only.
Json plugin_notification(std::string_view event, std::string_view room, std::string_view participant_id = {});

}  // namespace telemed::plugin
