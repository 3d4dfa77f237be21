#include "plugin/events.hpp"

namespace telemed::plugin {
namespace {

Json with_kind(const char* kind) {
    Json j(json_object());
    json_object_set_new(j.get(), "telemed", json_string(kind));
    return j;
}

json_t* roster(const std::vector<RosterEntry>& entries) {
    json_t* arr = json_array();
    for (const auto& e : entries) {
        json_t* o = json_object();
        json_object_set_new(o, "participant_id", json_str(e.participant_id));
        json_object_set_new(o, "role", json_str(to_string(e.role)));
        json_array_append_new(arr, o);
    }
    return arr;
}

}  // namespace

Json error_event(const Failure& f) {
    Json j = with_kind("error");
    json_object_set_new(j.get(), "error_code", json_integer(to_int(f.code)));
    json_object_set_new(j.get(), "error", json_str(f.text));
    return j;
}

Json joined_event(std::string_view session_id, std::string_view participant_id, Role role, PermissionSet perms,
                  RoomState state, const std::vector<RosterEntry>& others) {
    Json j = with_kind("joined");
    json_object_set_new(j.get(), "session_id", json_str(session_id));
    json_object_set_new(j.get(), "participant_id", json_str(participant_id));
    json_object_set_new(j.get(), "role", json_str(to_string(role)));
    json_object_set_new(j.get(), "permissions", permissions_to_json(perms).release());
    json_object_set_new(j.get(), "session_state", json_str(to_string(state)));
    json_object_set_new(j.get(), "participants", roster(others));
    return j;
}

Json participants_event(const std::vector<RosterEntry>& others) {
    Json j = with_kind("participants");
    json_object_set_new(j.get(), "participants", roster(others));
    return j;
}

Json left_event() { return with_kind("left"); }

Json kicked_event(std::string_view reason) {
    Json j = with_kind("kicked");
    json_object_set_new(j.get(), "reason", json_str(reason));
    return j;
}

Json ended_event() { return with_kind("ended"); }

Json permissions_event(PermissionSet perms, Role role) {
    Json j = with_kind("permissions");
    json_object_set_new(j.get(), "permissions", permissions_to_json(perms).release());
    json_object_set_new(j.get(), "role", json_str(to_string(role)));
    return j;
}

Json plugin_notification(std::string_view event, std::string_view room, std::string_view participant_id) {
    Json j(json_object());
    json_object_set_new(j.get(), "event", json_str(event));
    json_object_set_new(j.get(), "room", json_str(room));
    if (!participant_id.empty()) json_object_set_new(j.get(), "participant_id", json_str(participant_id));
    return j;
}

}  // namespace telemed::plugin
