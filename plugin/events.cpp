#include "plugin/events.hpp"

namespace telemed::plugin {
namespace {

json_t* str_or_null(const std::optional<std::string>& s) { return s ? json_str(*s) : json_null(); }

json_t* roster(const std::vector<RosterEntry>& entries) {
    json_t* arr = json_array();
    for (const auto& e : entries) {
        json_t* o = json_object();
        json_object_set_new(o, "participant_id", json_str(e.participant_id));
        json_object_set_new(o, "role", json_str(to_string(e.role)));
        json_object_set_new(o, "display_name", str_or_null(e.display_name));
        json_object_set_new(o, "publishing", sources_to_json(e.publishing).release());
        json_object_set_new(o, "muted", sources_to_json(e.muted).release());
        json_object_set_new(o, "muted_by_moderator", sources_to_json(e.muted_by_moderator).release());
        json_object_set_new(o, "not_permitted", sources_to_json(e.not_permitted).release());
        json_object_set_new(o, "precheck", precheck_to_json(e.precheck).release());
        json_object_set_new(o, "consent", e.consent ? json_boolean(*e.consent) : json_null());
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t* counts(KindCounts c) {
    json_t* o = json_object();
    json_object_set_new(o, "audio", json_integer(static_cast<json_int_t>(c.audio)));
    json_object_set_new(o, "video", json_integer(static_cast<json_int_t>(c.video)));
    return o;
}

json_t* streams_array(const std::vector<StreamEntry>& streams) {
    json_t* arr = json_array();
    for (const auto& s : streams) {
        json_t* o = json_object();
        json_object_set_new(o, "mid", json_str(s.mid));
        json_object_set_new(o, "participant_id", json_str(s.participant_id));
        json_object_set_new(o, "source", json_str(to_string(s.source)));
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t* mid_sources(const std::vector<MidSource>& list) {
    json_t* arr = json_array();
    for (const auto& m : list) {
        json_t* o = json_object();
        json_object_set_new(o, "mid", json_str(m.mid));
        json_object_set_new(o, "source", json_str(to_string(m.source)));
        json_array_append_new(arr, o);
    }
    return arr;
}

}  // namespace

Json error_event(const Failure& f) { return error_reply(f); }

Json telemed_object(const char* kind) {
    Json j(json_object());
    json_object_set_new(j.get(), "telemed", json_string(kind));
    return j;
}

Json sources_to_json(uint8_t bits) {
    Json arr(json_array());
    for (std::size_t i = 0; i < kSourceCount; ++i)
        if (bits & (1u << i)) json_array_append_new(arr.get(), json_str(to_string(static_cast<Source>(i))));
    return arr;
}

Json joined_event(std::string_view session_id, std::string_view participant_id, Role role, PermissionSet perms,
                  RoomState state, bool admitted, const std::vector<RosterEntry>& others, const json_t* recording,
                  bool consent_required) {
    Json j = telemed_object("joined");
    json_object_set_new(j.get(), "session_id", json_str(session_id));
    json_object_set_new(j.get(), "participant_id", json_str(participant_id));
    json_object_set_new(j.get(), "role", json_str(to_string(role)));
    json_object_set_new(j.get(), "permissions", permissions_to_json(perms).release());
    json_object_set_new(j.get(), "session_state", json_str(to_string(state)));
    json_object_set_new(j.get(), "status", json_str(admitted ? "admitted" : "waiting"));
    json_object_set_new(j.get(), "participants", roster(others));
    if (recording) json_object_set(j.get(), "recording", const_cast<json_t*>(recording));
    if (!admitted && consent_required) json_object_set_new(j.get(), "reason", json_string("consent_required"));
    return j;
}

Json admitted_event(const std::vector<RosterEntry>& others, const json_t* recording) {
    Json j = telemed_object("admitted");
    json_object_set_new(j.get(), "participants", roster(others));
    if (recording) json_object_set(j.get(), "recording", const_cast<json_t*>(recording));
    return j;
}

Json lobby_event(std::string_view reason) {
    Json j = telemed_object("lobby");
    json_object_set_new(j.get(), "reason", json_str(reason));
    return j;
}

Json consent_event(bool recording, const std::optional<std::string>& consent_id) {
    Json j = telemed_object("consent");
    json_object_set_new(j.get(), "recording", json_boolean(recording));
    json_object_set_new(j.get(), "consent_id", consent_id ? json_str(*consent_id) : json_null());
    return j;
}

Json denied_event() { return telemed_object("denied"); }

Json waiting_event(const std::vector<LobbyEntry>& lobby) {
    Json j = telemed_object("waiting");
    json_t* arr = json_array();
    for (const auto& e : lobby) {
        json_t* o = json_object();
        json_object_set_new(o, "participant_id", json_str(e.participant_id));
        json_object_set_new(o, "role", json_str(to_string(e.role)));
        json_object_set_new(o, "display_name", str_or_null(e.display_name));
        json_object_set_new(o, "precheck", precheck_to_json(e.precheck).release());
        json_object_set_new(o, "consent", e.consent ? json_boolean(*e.consent) : json_null());
        if (e.consent_required) json_object_set_new(o, "reason", json_string("consent_required"));
        json_array_append_new(arr, o);
    }
    json_object_set_new(j.get(), "waiting", arr);
    return j;
}

Json ok_event(std::string_view request, std::string_view participant_id, std::optional<Source> media) {
    Json j = telemed_object("ok");
    json_object_set_new(j.get(), "request", json_str(request));
    if (!participant_id.empty()) json_object_set_new(j.get(), "participant_id", json_str(participant_id));
    if (media) json_object_set_new(j.get(), "media", json_str(to_string(*media)));
    return j;
}

Json precheck_to_json(const std::optional<Precheck>& p) {
    if (!p) return Json(json_null());
    Json j(json_object());
    json_object_set_new(j.get(), "result", json_str(to_string(p->result)));
    json_object_set_new(j.get(), "camera", p->camera ? json_boolean(*p->camera) : json_null());
    json_object_set_new(j.get(), "microphone", p->microphone ? json_boolean(*p->microphone) : json_null());
    return j;
}

Json precheck_ok_event(const Precheck& p) {
    Json j = telemed_object("ok");
    json_object_set_new(j.get(), "request", json_string("precheck"));
    json_object_set_new(j.get(), "result", json_str(to_string(p.result)));
    return j;
}

Json muted_event(uint8_t muted, uint8_t by_moderator, std::string_view by) {
    Json j = telemed_object("muted");
    json_object_set_new(j.get(), "muted", sources_to_json(muted).release());
    json_object_set_new(j.get(), "muted_by_moderator", sources_to_json(by_moderator).release());
    json_object_set_new(j.get(), "by", by.empty() ? json_null() : json_str(by));
    return j;
}

Json configured_event(const std::vector<MidSource>& publishing, const std::vector<MidSource>& refused,
                      KindCounts slots, const std::vector<StreamEntry>& streams, KindCounts unassigned) {
    Json j = telemed_object("configured");
    json_object_set_new(j.get(), "publishing", mid_sources(publishing));
    json_object_set_new(j.get(), "refused", mid_sources(refused));
    json_object_set_new(j.get(), "slots", counts(slots));
    json_object_set_new(j.get(), "streams", streams_array(streams));
    json_object_set_new(j.get(), "unassigned", counts(unassigned));
    return j;
}

Json streams_event(const std::vector<StreamEntry>& streams, KindCounts unassigned) {
    Json j = telemed_object("streams");
    json_object_set_new(j.get(), "streams", streams_array(streams));
    json_object_set_new(j.get(), "unassigned", counts(unassigned));
    return j;
}

Json participants_event(const std::vector<RosterEntry>& others) {
    Json j = telemed_object("participants");
    json_object_set_new(j.get(), "participants", roster(others));
    return j;
}

Json left_event() { return telemed_object("left"); }

Json kicked_event(std::string_view reason) {
    Json j = telemed_object("kicked");
    json_object_set_new(j.get(), "reason", json_str(reason));
    return j;
}

Json ended_event() { return telemed_object("ended"); }

Json permissions_event(PermissionSet perms, Role role) {
    Json j = telemed_object("permissions");
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
