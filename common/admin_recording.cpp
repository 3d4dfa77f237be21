// common/admin_recording.hpp.
#include "common/admin_recording.hpp"

#include "common/ids.hpp"
#include "common/plugin_params.hpp"

namespace telemed::admin_api {

Json build_record_request(const RecordingCommand& c) {
    Json j(json_object());
    json_object_set_new(j.get(), "request", json_string("record"));
    json_object_set_new(j.get(), "room", json_str(c.room));
    json_object_set_new(j.get(), "action", json_string(c.action == RecordAction::Start ? "start" : "stop"));
    if (c.action == RecordAction::Start && c.recording_id)
        json_object_set_new(j.get(), "recording_id", json_str(*c.recording_id));
    return j;
}

std::optional<RecordingStateReply> parse_recording_reply(const json_t* response) {
    if (!json_is_object(response)) return std::nullopt;
    std::optional<std::string_view> kind = string_param(response, "telemed");
    if (!kind || *kind != "recording") return std::nullopt;
    RecordingStateReply r;
    std::optional<std::string_view> room = string_param(response, "room");
    if (!room || !is_uuid(*room)) return std::nullopt;
    r.room = normalize_uuid(*room);
    std::optional<std::string_view> state = string_param(response, "state");
    if (!state || (*state != "on" && *state != "off")) return std::nullopt;
    r.on = *state == "on";
    const json_t* id = json_object_get(response, "recording_id");
    if (id && !json_is_null(id)) {
        if (!json_is_string(id)) return std::nullopt;
        std::string_view s(json_string_value(id), json_string_length(id));
        if (!is_uuid(s)) return std::nullopt;
        r.recording_id = normalize_uuid(s);
    }
    if (r.on != r.recording_id.has_value()) return std::nullopt;  // on <=> an id
    std::optional<std::string_view> policy = string_param(response, "policy");
    if (!policy) return std::nullopt;
    std::optional<RecordingPolicy> p = parse_recording_policy(*policy);
    if (!p) return std::nullopt;
    r.policy = *p;
    const json_t* recorded = json_object_get(response, "recorded");
    if (!json_is_array(recorded) || json_array_size(recorded) > kMaxRecordedInReply) return std::nullopt;
    std::size_t i;
    json_t* v;
    json_array_foreach(recorded, i, v) {
        if (!json_is_string(v)) return std::nullopt;
        std::string_view s(json_string_value(v), json_string_length(v));
        if (!is_uuid(s)) return std::nullopt;
        r.recorded.push_back(normalize_uuid(s));
    }
    return r;
}

RecordRefusal classify_record_refusal(int plugin_error) {
    switch (plugin_error) {
        case kRecordNoRoomCode: return RecordRefusal::NoRoom;
        case kRecordNotAllowedCode: return RecordRefusal::NotAllowed;
        case kRecordBusyCode: return RecordRefusal::Busy;
        case kRecordUnavailableCode: return RecordRefusal::Unavailable;
        default: return RecordRefusal::Other;
    }
}

}  // namespace telemed::admin_api
