// controller/routes/recording_input.hpp.
#include "controller/routes/recording_input.hpp"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "common/ids.hpp"
#include "common/timeutil.hpp"

namespace telemed::recording_input {
namespace {

// A JSON object whose members are all among `names`: false (and an error
// at `where`, or at each unknown member when `per_member`) otherwise.
bool object_of(const json_t* o, std::initializer_list<std::string_view> names, const std::string& where,
               std::string_view not_object, bool per_member, FieldErrors& errors) {
    if (!json_is_object(o)) {
        errors.push_back({where, std::string(not_object)});
        return false;
    }
    bool ok = true;
    const char* key;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(o), key, v) {
        (void)v;
        if (std::find(names.begin(), names.end(), key) != names.end()) continue;
        errors.push_back({per_member ? std::string(key) : where, "unknown field"});
        ok = false;
    }
    return ok;
}

constexpr std::string_view kNotBodyObject = "the request body must be a JSON object";

std::optional<std::string_view> string_of(const json_t* v) {
    if (!json_is_string(v)) return std::nullopt;
    return std::string_view(json_string_value(v), json_string_length(v));
}

// A required UUID member; lower-cased.
std::optional<std::string> uuid_field(const json_t* obj, const char* name, const std::string& field,
                                      FieldErrors& errors) {
    const json_t* v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        errors.push_back({field, "required"});
        return std::nullopt;
    }
    std::optional<std::string_view> s = string_of(v);
    if (!s || !is_uuid(*s)) {
        errors.push_back({field, "must be a UUID"});
        return std::nullopt;
    }
    return normalize_uuid(*s);
}

std::optional<int64_t> time_of(const json_t* v) {
    std::optional<std::string_view> s = string_of(v);
    if (!s || s->empty() || s->size() > kMaxTimestampChars) return std::nullopt;
    return parse_rfc3339_micros(*s);
}

bool file_name_ok(std::string_view f) {
    if (f.empty() || f.size() > kMaxFileChars) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(f.front())) return false;
    for (char c : f)
        if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

bool codec_ok(std::string_view c) {
    if (c.empty() || c.size() > kMaxCodecChars) return false;
    for (char ch : c)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) return false;
    return true;
}


}  // namespace

std::optional<Track> parse_track(const json_t* t, std::size_t index, FieldErrors& errors) {
    const std::string p = "tracks[" + std::to_string(index) + "]";
    const std::size_t before = errors.size();
    if (!object_of(t, {"file", "participant", "source", "codec", "consent_id", "started_at", "stopped_at"}, p,
                   "must be an object", false, errors) &&
        !json_is_object(t))
        return std::nullopt;
    Track out;
    std::optional<std::string_view> file = string_of(json_object_get(t, "file"));
    if (!file || !file_name_ok(*file))
        errors.push_back({p + ".file", "must be 1..128 of [A-Za-z0-9._-], starting with a letter or digit"});
    else
        out.file = std::string(*file);
    if (auto id = uuid_field(t, "participant", p + ".participant", errors)) out.participant_id = *id;
    std::optional<std::string_view> source = string_of(json_object_get(t, "source"));
    if (!source || (*source != "audio" && *source != "video" && *source != "screen"))
        errors.push_back({p + ".source", "must be one of audio, video, screen"});
    else
        out.source = std::string(*source);
    std::optional<std::string_view> codec = string_of(json_object_get(t, "codec"));
    if (!codec || !codec_ok(*codec))
        errors.push_back({p + ".codec", "must be 1..16 of [a-z0-9]"});
    else
        out.codec = std::string(*codec);
    if (auto id = uuid_field(t, "consent_id", p + ".consent_id", errors)) out.consent_id = *id;
    if (std::optional<int64_t> at = time_of(json_object_get(t, "started_at")))
        out.started_at = *at;
    else
        errors.push_back({p + ".started_at", "must be an RFC 3339 timestamp"});
    const json_t* stop = json_object_get(t, "stopped_at");
    if (stop && !json_is_null(stop)) {
        if (std::optional<int64_t> at = time_of(stop))
            out.stopped_at = *at;
        else
            errors.push_back({p + ".stopped_at", "must be an RFC 3339 timestamp or null"});
    }
    if (errors.size() != before) return std::nullopt;
    return out;
}

std::optional<Consent> parse_consent(const json_t* body, FieldErrors& errors) {
    const std::size_t before = errors.size();
    if (!object_of(body, {"session_id", "participant_id", "recording"}, "", kNotBodyObject, true, errors) &&
        !json_is_object(body))
        return std::nullopt;
    Consent c;
    if (auto id = uuid_field(body, "session_id", "session_id", errors)) c.session_id = *id;
    if (auto id = uuid_field(body, "participant_id", "participant_id", errors)) c.participant_id = *id;
    const json_t* rec = json_object_get(body, "recording");
    if (!json_is_boolean(rec))
        errors.push_back({"recording", "required, true or false"});
    else
        c.recording = json_is_true(rec);
    if (errors.size() != before) return std::nullopt;
    return c;
}

std::optional<Event> parse_event(const json_t* body, FieldErrors& errors) {
    const std::size_t before = errors.size();
    if (!object_of(body, {"session_id", "recording_id", "event", "by", "at", "tracks", "fault"}, "", kNotBodyObject, true,
                   errors) &&
        !json_is_object(body))
        return std::nullopt;
    Event e;
    if (auto id = uuid_field(body, "session_id", "session_id", errors)) e.session_id = *id;
    if (auto id = uuid_field(body, "recording_id", "recording_id", errors)) e.recording_id = *id;
    std::optional<std::string_view> ev = string_of(json_object_get(body, "event"));
    if (ev && *ev == "started")
        e.event = EventKind::Started;
    else if (ev && *ev == "stopped")
        e.event = EventKind::Stopped;
    else
        errors.push_back({"event", "must be one of started, stopped"});
    const json_t* by = json_object_get(body, "by");
    if (by && !json_is_null(by)) {
        std::optional<std::string_view> s = string_of(by);
        if (!s || !is_uuid(*s))
            errors.push_back({"by", "must be a participant id or null"});
        else
            e.by = normalize_uuid(*s);
    }
    if (std::optional<int64_t> at = time_of(json_object_get(body, "at")))
        e.at = *at;
    else
        errors.push_back({"at", "required, an RFC 3339 timestamp"});
    const json_t* fault = json_object_get(body, "fault");
    if (fault && !json_is_null(fault)) {
        std::optional<std::string_view> f = string_of(fault);
        if (!f || *f != "write_failed")
            errors.push_back({"fault", "must be write_failed or null"});
        else if (ev && *ev == "started")
            errors.push_back({"fault", "only on a stopped event"});
        else
            e.fault = std::string(*f);
    }
    const json_t* tracks = json_object_get(body, "tracks");
    if (tracks && !json_is_null(tracks)) {
        if (!json_is_array(tracks)) {
            errors.push_back({"tracks", "must be an array"});
        } else if (json_array_size(tracks) > kMaxTracks) {
            errors.push_back({"tracks", "at most 64 tracks"});
        } else if (ev && *ev == "started" && json_array_size(tracks) > 0) {
            errors.push_back({"tracks", "only on a stopped event"});
        } else {
            std::size_t i;
            json_t* t;
            json_array_foreach(tracks, i, t) {
                std::optional<Track> tr = parse_track(t, i, errors);
                if (!tr) continue;
                for (const Track& other : e.tracks)
                    if (other.file == tr->file) errors.push_back({"tracks[" + std::to_string(i) + "].file", "repeated"});
                e.tracks.push_back(std::move(*tr));
            }
        }
    }
    if (errors.size() != before) return std::nullopt;
    return e;
}

bool parse_start(const json_t* body, FieldErrors& errors) {
    if (!body) return true;
    return object_of(body, {}, "", kNotBodyObject, true, errors);
}

}  // namespace telemed::recording_input
