// Builders for every JSON object the plugin sends: client events
// ({"telemed": ...}), admin responses and event-handler notifications.
// One place, so docs/PROTOCOL.md and the wire agree.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/permissions.hpp"
#include "plugin/errors.hpp"
#include "plugin/room.hpp"

namespace telemed::plugin {

struct RosterEntry {
    std::string participant_id;
    Role role = Role::Observer;
};

// {"telemed":"error","error_code":N,"error":"..."}
Json error_event(const Failure& f);
// {"telemed":"joined","session_id","participant_id","role","permissions":[...],
//  "session_state","participants":[{"participant_id","role"}]}
Json joined_event(std::string_view session_id, std::string_view participant_id, Role role, PermissionSet perms,
                  RoomState state, const std::vector<RosterEntry>& others);
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
