// The recording documents (plugin/recording.hpp): event fields, manifest.json
// and the controller's event body. Pure builders; ids and times only.
#include "common/timeutil.hpp"
#include "plugin/recording.hpp"

namespace telemed::plugin {
namespace {

json_t* time_or_null(int64_t us) { return us > 0 ? json_str(format_rfc3339_micros(us)) : json_null(); }

}  // namespace

Json recording_fields(const RecordingStatus& s) {
    Json j(json_object());
    json_object_set_new(j.get(), "state", json_string(s.on ? "on" : "off"));
    json_object_set_new(j.get(), "recording_id", s.recording_id ? json_str(*s.recording_id) : json_null());
    json_object_set_new(j.get(), "policy", json_str(to_string(s.policy)));
    json_t* arr = json_array();
    for (const std::string& pid : s.recorded) json_array_append_new(arr, json_str(pid));
    json_object_set_new(j.get(), "recorded", arr);
    json_object_set_new(j.get(), "fault", s.fault.empty() ? json_null() : json_str(s.fault));
    return j;
}

Json recording_event(const RecordingStatus& s) {
    Json j(json_object());
    json_object_set_new(j.get(), "telemed", json_string("recording"));
    Json f = recording_fields(s);
    json_object_update(j.get(), f.get());
    return j;
}

Json manifest_tracks_json(const RecordingRecord& r) {
    Json arr(json_array());
    for (const ManifestTrack& t : r.tracks) {
        if (!t.opened) continue;
        json_t* o = json_object();
        json_object_set_new(o, "file", json_str(t.file));
        json_object_set_new(o, "participant", json_str(t.participant));
        json_object_set_new(o, "source", json_str(to_string(t.source)));
        json_object_set_new(o, "codec", json_str(t.codec));
        json_object_set_new(o, "consent_id", t.consent_id ? json_str(*t.consent_id) : json_null());
        json_object_set_new(o, "started_at", time_or_null(t.started_us));
        json_object_set_new(o, "stopped_at", time_or_null(t.stopped_us));
        json_array_append_new(arr.get(), o);
    }
    return arr;
}

Json manifest_json(const RecordingRecord& r) {
    Json j(json_object());
    json_object_set_new(j.get(), "recording_id", json_str(r.recording_id));
    json_object_set_new(j.get(), "room", json_str(r.room_id));
    json_object_set_new(j.get(), "started_at", time_or_null(r.started_us));
    json_object_set_new(j.get(), "stopped_at", time_or_null(r.stopped_us));
    if (!r.fault.empty()) json_object_set_new(j.get(), "fault", json_str(r.fault));
    json_object_set_new(j.get(), "tracks", manifest_tracks_json(r).release());
    return j;
}

Json recording_event_body(const RecordingEventMsg& m) {
    Json j(json_object());
    json_object_set_new(j.get(), "session_id", json_str(m.session_id));
    json_object_set_new(j.get(), "recording_id", json_str(m.recording_id));
    json_object_set_new(j.get(), "event", json_str(m.event));
    json_object_set_new(j.get(), "by", m.by ? json_str(*m.by) : json_null());
    json_object_set_new(j.get(), "at", time_or_null(m.at_us));
    if (m.tracks) json_object_set(j.get(), "tracks", m.tracks.get());
    if (!m.fault.empty()) json_object_set_new(j.get(), "fault", json_str(m.fault));
    return j;
}

}  // namespace telemed::plugin
