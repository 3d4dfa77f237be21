// Builders, parser and reply reading of the plugin Admin API
// (common/admin_api.hpp). Key order of every built object follows
// docs/PROTOCOL.md; the parser describes each request as a parameter table
// (common/plugin_params.hpp).
#include "common/admin_api.hpp"

#include "common/ids.hpp"
#include "common/plugin_params.hpp"
#include "common/utf8.hpp"

namespace telemed::admin_api {
namespace {

Json request_object(const char* name) {
    Json j(json_object());
    json_object_set_new(j.get(), "request", json_string(name));
    return j;
}

Json reply_object(const char* kind) {
    Json j(json_object());
    json_object_set_new(j.get(), "telemed", json_string(kind));
    return j;
}

json_t* count(std::size_t n) { return json_integer(static_cast<json_int_t>(n)); }

template <class T>
Parsed<AdminRequest> fail(T f) {
    Parsed<AdminRequest> p;
    p.failure = std::move(f);
    return p;
}

template <class V>
Parsed<AdminRequest> done(V v) {
    Parsed<AdminRequest> p;
    p.value.emplace(std::move(v));
    return p;
}

bool parse_permission_names(const json_t* arr, PermissionSet* out, PluginFailure* f) {
    if (json_array_size(arr) > kMaxPermissionNames) {
        *f = invalid_element("permissions", "too many entries");
        return false;
    }
    PermissionSet set = 0;
    std::size_t i;
    json_t* v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) {
            *f = invalid_element("permissions", "entries must be strings");
            return false;
        }
        auto p = parse_permission(std::string_view(json_string_value(v), json_string_length(v)));
        if (!p) {
            *f = invalid_element("permissions", "unknown permission");
            return false;
        }
        set |= bit(*p);
    }
    *out = set;
    return true;
}

// "scheduled" | "active": the states a room can be asked for.
std::optional<SessionStatus> parse_room_state(std::string_view s) {
    auto st = parse_session_status(s);
    if (!st || (*st != SessionStatus::Scheduled && *st != SessionStatus::Active)) return std::nullopt;
    return st;
}

// ["audio","video","screen"] subset <-> kMute* bits.
json_t* media_names(uint8_t bits) {
    json_t* a = json_array();
    if (bits & kMuteAudio) json_array_append_new(a, json_string("audio"));
    if (bits & kMuteVideo) json_array_append_new(a, json_string("video"));
    if (bits & kMuteScreen) json_array_append_new(a, json_string("screen"));
    return a;
}

bool parse_media_names(const json_t* arr, uint8_t* out) {
    if (!json_is_array(arr) || json_array_size(arr) > 3) return false;
    uint8_t bits = 0;
    std::size_t i;
    json_t* v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) return false;
        std::string_view n(json_string_value(v), json_string_length(v));
        if (n == "audio") bits |= kMuteAudio;
        else if (n == "video") bits |= kMuteVideo;
        else if (n == "screen") bits |= kMuteScreen;
        else return false;
    }
    *out = bits;
    return true;
}

// An array of at most `max` UUIDs (lower-cased).
bool parse_uuid_list(const json_t* arr, std::size_t max, std::vector<std::string>* out) {
    if (!json_is_array(arr) || json_array_size(arr) > max) return false;
    std::size_t i;
    json_t* v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) return false;
        std::string_view id(json_string_value(v), json_string_length(v));
        if (!is_uuid(id)) return false;
        out->push_back(normalize_uuid(id));
    }
    return true;
}

json_t* uuid_list(const std::vector<std::string>& ids) {
    json_t* list = json_array();
    for (const std::string& pid : ids) json_array_append_new(list, json_str(pid));
    return list;
}

json_t* mute_entry_json(const MuteEntry& m) {
    json_t* o = json_object();
    json_object_set_new(o, "participant_id", json_str(m.participant_id));
    json_object_set_new(o, "moderator", media_names(m.moderator));
    json_object_set_new(o, "self", media_names(m.self));
    if (m.by) json_object_set_new(o, "by", json_str(*m.by));
    return o;
}

// {"participant_id","moderator":[...],"self":[...],"by"?}; false when malformed.
bool parse_mute_entry(const json_t* v, MuteEntry* m) {
    if (!json_is_object(v)) return false;
    PluginFailure f;
    if (!check_params(v,
                      {{"participant_id", ParamType::String, true},
                       {"moderator", ParamType::Array, true},
                       {"self", ParamType::Array, true},
                       {"by", ParamType::String, false}},
                      &f))
        return false;
    if (!uuid_param(v, "participant_id", &m->participant_id, &f)) return false;
    if (!parse_media_names(json_object_get(v, "moderator"), &m->moderator)) return false;
    if (!parse_media_names(json_object_get(v, "self"), &m->self)) return false;
    if (json_object_get(v, "by")) {
        std::string by;
        if (!uuid_param(v, "by", &by, &f)) return false;
        m->by = std::move(by);
    }
    return true;
}

// {"participant_id","recording":bool,"consent_id"}; false when malformed.
bool parse_consent_entry(const json_t* v, CreateRoomRequest::Consent* c) {
    if (!json_is_object(v)) return false;
    PluginFailure f;
    if (!check_params(v,
                      {{"participant_id", ParamType::String, true},
                       {"recording", ParamType::Boolean, true},
                       {"consent_id", ParamType::String, true}},
                      &f))
        return false;
    if (!uuid_param(v, "participant_id", &c->participant_id, &f)) return false;
    if (!uuid_param(v, "consent_id", &c->consent_id, &f)) return false;
    c->recording = json_is_true(json_object_get(v, "recording"));
    return true;
}

Parsed<AdminRequest> parse_create_room(const json_t* body) {
    PluginFailure f;
    if (!check_params(body,
                      {{"room", ParamType::String, true},
                       {"kind", ParamType::String, true},
                       {"state", ParamType::String, true},
                       {"recording_policy", ParamType::String, false},
                       {"revoked", ParamType::Array, false},
                       {"grants", ParamType::Array, false},
                       {"admitted", ParamType::Array, false},
                       {"muted", ParamType::Array, false},
                       {"consents", ParamType::Array, false}},
                      &f))
        return fail(f);
    CreateRoomRequest r;
    if (!uuid_param(body, "room", &r.room, &f)) return fail(f);
    auto kind = parse_session_kind(*string_param(body, "kind"));
    if (!kind) return fail(invalid_element("kind", "unknown value"));
    r.kind = *kind;
    auto state = parse_room_state(*string_param(body, "state"));
    if (!state) return fail(invalid_element("state", "unknown value"));
    r.state = *state;
    if (auto rp = string_param(body, "recording_policy")) {
        auto p = parse_recording_policy(*rp);
        if (!p) return fail(invalid_element("recording_policy", "unknown value"));
        r.recording_policy = *p;
    }
    if (json_t* arr = json_object_get(body, "revoked")) {
        if (json_array_size(arr) > kMaxRevokedInRequest) return fail(invalid_element("revoked", "too many entries"));
        std::size_t i;
        json_t* v;
        json_array_foreach(arr, i, v) {
            if (!json_is_string(v)) return fail(invalid_element("revoked", "entries must be UUIDs"));
            std::string_view id(json_string_value(v), json_string_length(v));
            if (!is_uuid(id)) return fail(invalid_element("revoked", "entries must be UUIDs"));
            r.revoked.push_back(normalize_uuid(id));
        }
    }
    if (json_t* arr = json_object_get(body, "grants")) {
        if (json_array_size(arr) > kMaxGrantsInRequest) return fail(invalid_element("grants", "too many entries"));
        std::size_t i;
        json_t* v;
        json_array_foreach(arr, i, v) {
            if (!json_is_object(v)) return fail(invalid_element("grants", "entries must be objects"));
            if (!check_params(v,
                              {{"participant_id", ParamType::String, true},
                               {"role", ParamType::String, true},
                               {"permissions", ParamType::Array, true},
                               {"display_name", ParamType::String, false}},
                              &f))
                return fail(f);
            CreateRoomRequest::Grant g;
            if (!uuid_param(v, "participant_id", &g.participant_id, &f)) return fail(f);
            auto role = parse_role(*string_param(v, "role"));
            if (!role) return fail(invalid_element("role", "unknown value"));
            g.role = *role;
            if (!parse_permission_names(json_object_get(v, "permissions"), &g.permissions, &f)) return fail(f);
            if (auto dn = string_param(v, "display_name")) {
                if (check_text(*dn, kMaxGrantDisplayNameChars) != nullptr)
                    return fail(invalid_element("display_name", "invalid text or too long"));
                g.display_name = std::string(*dn);
            }
            r.grants.push_back(std::move(g));
        }
    }
    if (json_t* arr = json_object_get(body, "admitted")) {
        if (json_array_size(arr) > kMaxGrantsInRequest) return fail(invalid_element("admitted", "too many entries"));
        if (!parse_uuid_list(arr, kMaxGrantsInRequest, &r.admitted))
            return fail(invalid_element("admitted", "entries must be UUIDs"));
    }
    if (json_t* arr = json_object_get(body, "muted")) {
        if (json_array_size(arr) > kMaxGrantsInRequest) return fail(invalid_element("muted", "too many entries"));
        std::size_t i;
        json_t* v;
        json_array_foreach(arr, i, v) {
            MuteEntry m;
            if (!parse_mute_entry(v, &m))
                return fail(invalid_element("muted", "entries must be {participant_id, moderator, self, by?}"));
            r.muted.push_back(std::move(m));
        }
    }
    if (json_t* arr = json_object_get(body, "consents")) {
        if (json_array_size(arr) > kMaxGrantsInRequest) return fail(invalid_element("consents", "too many entries"));
        std::size_t i;
        json_t* v;
        json_array_foreach(arr, i, v) {
            CreateRoomRequest::Consent c;
            if (!parse_consent_entry(v, &c))
                return fail(invalid_element("consents", "entries must be {participant_id, recording, consent_id}"));
            for (const CreateRoomRequest::Consent& seen : r.consents)
                if (seen.participant_id == c.participant_id)
                    return fail(invalid_element("consents", "one entry per participant"));
            r.consents.push_back(std::move(c));
        }
    }
    return done(std::move(r));
}

Parsed<AdminRequest> parse_set_permissions(const json_t* body) {
    PluginFailure f;
    if (!check_params(body,
                      {{"room", ParamType::String, true},
                       {"participant_id", ParamType::String, true},
                       {"permissions", ParamType::Array, true},
                       {"role", ParamType::String, false}},
                      &f))
        return fail(f);
    SetPermissionsRequest r;
    if (!uuid_param(body, "room", &r.room, &f)) return fail(f);
    if (!uuid_param(body, "participant_id", &r.participant_id, &f)) return fail(f);
    if (!parse_permission_names(json_object_get(body, "permissions"), &r.permissions, &f)) return fail(f);
    if (auto rs = string_param(body, "role")) {
        auto role = parse_role(*rs);
        if (!role) return fail(invalid_element("role", "unknown value"));
        r.role = *role;
    }
    return done(std::move(r));
}

Parsed<AdminRequest> parse_kick(const json_t* body) {
    PluginFailure f;
    if (!check_params(body,
                      {{"room", ParamType::String, true},
                       {"participant_id", ParamType::String, true},
                       {"reason", ParamType::String, false}},
                      &f))
        return fail(f);
    KickRequest r;
    if (!uuid_param(body, "room", &r.room, &f)) return fail(f);
    if (!uuid_param(body, "participant_id", &r.participant_id, &f)) return fail(f);
    if (auto reason = string_param(body, "reason")) {
        if (check_text(*reason, kMaxReasonChars) != nullptr)
            return fail(invalid_element("reason", "invalid text or too long"));
        r.reason = std::string(*reason);
    }
    return done(std::move(r));
}

Parsed<AdminRequest> parse_file_shared(const json_t* body) {
    PluginFailure f;
    if (!check_params(body, {{"room", ParamType::String, true}, {"file", ParamType::Object, true}}, &f))
        return fail(f);
    FileSharedRequest r;
    if (!uuid_param(body, "room", &r.room, &f)) return fail(f);
    std::optional<SharedFile> file = parse_shared_file(json_object_get(body, "file"), &f);
    if (!file) return fail(f);
    if (file->session_id != r.room) return fail(invalid_element("file", "session_id is not the room"));
    r.file = std::move(*file);
    return done(std::move(r));
}

Parsed<AdminRequest> parse_record(const json_t* body) {
    PluginFailure f;
    if (!check_params(body,
                      {{"room", ParamType::String, true},
                       {"action", ParamType::String, true},
                       {"recording_id", ParamType::String, false}},
                      &f))
        return fail(f);
    AdminRecordRequest r;
    if (!uuid_param(body, "room", &r.room, &f)) return fail(f);
    const std::string_view action = *string_param(body, "action");
    if (action != "start" && action != "stop") return fail(invalid_element("action", "unknown value"));
    r.start = action == "start";
    if (json_object_get(body, "recording_id")) {
        if (!r.start) return fail(invalid_element("recording_id", "only with action start"));
        std::string id;
        if (!uuid_param(body, "recording_id", &id, &f)) return fail(f);
        r.recording_id = std::move(id);
    }
    return done(std::move(r));
}

bool valid_utf8_name(std::string_view s) {
    if (s.empty() || s.size() > kMaxFileNameBytes) return false;
    for (std::size_t i = 0; i < s.size();) {
        uint32_t cp = 0;
        const std::size_t n = utf8_next(s, i, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f) return false;
        i += n;
    }
    return true;
}

}  // namespace

Json shared_file_json(const SharedFile& f) {
    Json j(json_object());
    json_object_set_new(j.get(), "id", json_str(f.id));
    json_object_set_new(j.get(), "session_id", json_str(f.session_id));
    json_object_set_new(j.get(), "name", json_str(f.name));
    json_object_set_new(j.get(), "size", json_integer(static_cast<json_int_t>(f.size)));
    json_object_set_new(j.get(), "content_type", json_str(f.content_type));
    json_object_set_new(j.get(), "sha256", json_str(f.sha256));
    json_object_set_new(j.get(), "sender", json_str(f.sender));
    json_object_set_new(j.get(), "to", uuid_list(f.to));
    json_object_set_new(j.get(), "created_at", json_str(f.created_at));
    return j;
}

std::optional<SharedFile> parse_shared_file(const json_t* j, PluginFailure* f) {
    if (!json_is_object(j)) {
        *f = invalid_element("file", "must be an object");
        return std::nullopt;
    }
    if (!check_params(j,
                      {{"id", ParamType::String, true},
                       {"session_id", ParamType::String, true},
                       {"name", ParamType::String, true},
                       {"size", ParamType::Integer, true},
                       {"content_type", ParamType::String, true},
                       {"sha256", ParamType::String, true},
                       {"sender", ParamType::String, true},
                       {"to", ParamType::Array, true},
                       {"created_at", ParamType::String, true}},
                      f))
        return std::nullopt;
    SharedFile s;
    if (!uuid_param(j, "id", &s.id, f) || !uuid_param(j, "session_id", &s.session_id, f) ||
        !uuid_param(j, "sender", &s.sender, f))
        return std::nullopt;
    std::string_view name = *string_param(j, "name");
    if (!valid_utf8_name(name)) {
        *f = invalid_element("name", "invalid text or too long");
        return std::nullopt;
    }
    s.name = std::string(name);
    const json_int_t size = json_integer_value(json_object_get(j, "size"));
    if (size < 0) {
        *f = invalid_element("size", "must not be negative");
        return std::nullopt;
    }
    s.size = size;
    std::string_view ct = *string_param(j, "content_type");
    if (ct.empty() || ct.size() > 64) {
        *f = invalid_element("content_type", "invalid");
        return std::nullopt;
    }
    for (char ch : ct)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '/' || ch == '-' || ch == '.' || ch == '+')) {
            *f = invalid_element("content_type", "invalid");
            return std::nullopt;
        }
    s.content_type = std::string(ct);
    std::string_view sha = *string_param(j, "sha256");
    bool hex = sha.size() == 64;
    for (char ch : sha) hex = hex && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
    if (!hex) {
        *f = invalid_element("sha256", "must be 64 lower-case hex digits");
        return std::nullopt;
    }
    s.sha256 = std::string(sha);
    const json_t* to = json_object_get(j, "to");
    if (json_array_size(to) > kMaxFileRecipients) {
        *f = invalid_element("to", "too many entries");
        return std::nullopt;
    }
    std::size_t i;
    json_t* v;
    json_array_foreach(to, i, v) {
        if (!json_is_string(v) || !is_uuid(std::string_view(json_string_value(v), json_string_length(v)))) {
            *f = invalid_element("to", "entries must be participant ids");
            return std::nullopt;
        }
        s.to.push_back(normalize_uuid(std::string_view(json_string_value(v), json_string_length(v))));
    }
    std::string_view at = *string_param(j, "created_at");
    if (at.empty() || at.size() > 40) {
        *f = invalid_element("created_at", "invalid");
        return std::nullopt;
    }
    s.created_at = std::string(at);
    return s;
}

// ---- builders ----

Json build_request(const PingRequest&) { return request_object("ping"); }

Json build_request(const CreateRoomRequest& r) {
    Json j = request_object("create_room");
    json_object_set_new(j.get(), "room", json_str(r.room));
    json_object_set_new(j.get(), "kind", json_str(to_string(r.kind)));
    json_object_set_new(j.get(), "state", json_str(to_string(r.state)));
    if (r.recording_policy)
        json_object_set_new(j.get(), "recording_policy", json_str(to_string(*r.recording_policy)));
    if (!r.revoked.empty()) {
        json_t* list = json_array();
        for (const std::string& pid : r.revoked) json_array_append_new(list, json_str(pid));
        json_object_set_new(j.get(), "revoked", list);
    }
    json_t* grants = json_array();
    for (const CreateRoomRequest::Grant& g : r.grants) {
        json_t* o = json_object();
        json_object_set_new(o, "participant_id", json_str(g.participant_id));
        json_object_set_new(o, "role", json_str(to_string(g.role)));
        json_object_set_new(o, "permissions", permissions_to_json(g.permissions).release());
        if (g.display_name) json_object_set_new(o, "display_name", json_str(*g.display_name));
        json_array_append_new(grants, o);
    }
    json_object_set_new(j.get(), "grants", grants);
    if (!r.admitted.empty()) json_object_set_new(j.get(), "admitted", uuid_list(r.admitted));
    if (!r.muted.empty()) {
        json_t* muted = json_array();
        for (const MuteEntry& m : r.muted) json_array_append_new(muted, mute_entry_json(m));
        json_object_set_new(j.get(), "muted", muted);
    }
    if (!r.consents.empty()) {
        json_t* consents = json_array();
        for (const CreateRoomRequest::Consent& c : r.consents) {
            json_t* o = json_object();
            json_object_set_new(o, "participant_id", json_str(c.participant_id));
            json_object_set_new(o, "recording", json_boolean(c.recording));
            json_object_set_new(o, "consent_id", json_str(c.consent_id));
            json_array_append_new(consents, o);
        }
        json_object_set_new(j.get(), "consents", consents);
    }
    return j;
}

Json build_request(const DestroyRoomRequest& r) {
    Json j = request_object("destroy_room");
    json_object_set_new(j.get(), "room", json_str(r.room));
    return j;
}

Json build_request(const ListRoomsRequest&) { return request_object("list_rooms"); }

Json build_request(const RoomInfoRequest& r) {
    Json j = request_object("room_info");
    json_object_set_new(j.get(), "room", json_str(r.room));
    return j;
}

Json build_request(const SetPermissionsRequest& r) {
    Json j = request_object("set_permissions");
    json_object_set_new(j.get(), "room", json_str(r.room));
    json_object_set_new(j.get(), "participant_id", json_str(r.participant_id));
    if (r.role) json_object_set_new(j.get(), "role", json_str(to_string(*r.role)));
    json_object_set_new(j.get(), "permissions", permissions_to_json(r.permissions).release());
    return j;
}

Json build_request(const KickRequest& r) {
    Json j = request_object("kick");
    json_object_set_new(j.get(), "room", json_str(r.room));
    json_object_set_new(j.get(), "participant_id", json_str(r.participant_id));
    if (r.reason) json_object_set_new(j.get(), "reason", json_str(*r.reason));
    return j;
}

Json build_request(const SnapshotRequest&) { return request_object("snapshot"); }

Json build_request(const FileSharedRequest& r) {
    Json j = request_object("file_shared");
    json_object_set_new(j.get(), "room", json_str(r.room));
    json_object_set_new(j.get(), "file", shared_file_json(r.file).release());
    return j;
}

Json build_request(const AdminRecordRequest& r) {
    Json j = request_object("record");
    json_object_set_new(j.get(), "room", json_str(r.room));
    json_object_set_new(j.get(), "action", json_string(r.start ? "start" : "stop"));
    if (r.recording_id) json_object_set_new(j.get(), "recording_id", json_str(*r.recording_id));
    return j;
}

Json build_request(const StatsRequest&) { return request_object("stats"); }

Json build_request(const AdminRequest& r) {
    return std::visit([](const auto& v) { return build_request(v); }, r);
}

// ---- parser ----

Parsed<AdminRequest> parse_request(const json_t* body) {
    std::string_view request;
    PluginFailure f;
    if (!check_message(body, kMaxRequestBytes, &request, &f)) return fail(f);

    if (request == "ping" || request == "list_rooms" || request == "snapshot" || request == "stats") {
        if (!check_params(body, {}, &f)) return fail(f);
        if (request == "ping") return done(PingRequest{});
        if (request == "snapshot") return done(SnapshotRequest{});
        if (request == "stats") return done(StatsRequest{});
        return done(ListRoomsRequest{});
    }
    if (request == "create_room") return parse_create_room(body);
    if (request == "destroy_room" || request == "room_info") {
        if (!check_params(body, {{"room", ParamType::String, true}}, &f)) return fail(f);
        std::string room;
        if (!uuid_param(body, "room", &room, &f)) return fail(f);
        if (request == "destroy_room") return done(DestroyRoomRequest{std::move(room)});
        return done(RoomInfoRequest{std::move(room)});
    }
    if (request == "set_permissions") return parse_set_permissions(body);
    if (request == "kick") return parse_kick(body);
    if (request == "file_shared") return parse_file_shared(body);
    if (request == "record") return parse_record(body);
    return fail(PluginFailure::of(PluginError::InvalidRequest));
}

// ---- replies ----

Json pong_reply(std::size_t rooms, std::string_view instance) {
    Json j = reply_object("pong");
    json_object_set_new(j.get(), "rooms", count(rooms));
    if (!instance.empty()) json_object_set_new(j.get(), "instance", json_stringn(instance.data(), instance.size()));
    return j;
}

namespace {

// A reply's plugin instance id: 1..kMaxInstanceChars printable ASCII.
std::optional<std::string> instance_param(const json_t* response) {
    auto inst = string_param(response, "instance");
    if (!inst || inst->empty() || inst->size() > kMaxInstanceChars) return std::nullopt;
    for (char ch : *inst)
        if (ch < 0x21 || ch > 0x7e) return std::nullopt;
    return std::string(*inst);
}

}  // namespace

std::string pong_instance(const json_t* response) {
    if (reply_kind(response) != "pong") return {};
    return instance_param(response).value_or(std::string());
}

Json room_created_reply(std::string_view room, SessionStatus state, bool existed) {
    Json j = reply_object("room_created");
    json_object_set_new(j.get(), "room", json_str(room));
    json_object_set_new(j.get(), "state", json_str(to_string(state)));
    json_object_set_new(j.get(), "existed", json_boolean(existed));
    return j;
}

Json file_shared_reply(std::string_view room, std::string_view file_id, std::size_t delivered) {
    Json j = reply_object("file_shared");
    json_object_set_new(j.get(), "room", json_str(room));
    json_object_set_new(j.get(), "file_id", json_str(file_id));
    json_object_set_new(j.get(), "delivered", count(delivered));
    return j;
}

Json room_destroyed_reply(std::string_view room, std::size_t participants_disconnected) {
    Json j = reply_object("room_destroyed");
    json_object_set_new(j.get(), "room", json_str(room));
    json_object_set_new(j.get(), "participants_disconnected", count(participants_disconnected));
    return j;
}

Json rooms_reply(const std::vector<RoomSummary>& rooms) {
    json_t* arr = json_array();
    for (const RoomSummary& r : rooms) {
        json_t* o = json_object();
        json_object_set_new(o, "room", json_str(r.room));
        json_object_set_new(o, "kind", json_str(to_string(r.kind)));
        json_object_set_new(o, "state", json_str(to_string(r.state)));
        json_object_set_new(o, "participants", count(r.participants));
        json_array_append_new(arr, o);
    }
    Json j = reply_object("rooms");
    json_object_set_new(j.get(), "rooms", arr);
    return j;
}

Json room_info_reply(std::string_view room, SessionKind kind, SessionStatus state, RecordingPolicy policy,
                     Json participants, std::size_t revoked) {
    Json j = reply_object("room");
    json_object_set_new(j.get(), "room", json_str(room));
    json_object_set_new(j.get(), "kind", json_str(to_string(kind)));
    json_object_set_new(j.get(), "state", json_str(to_string(state)));
    json_object_set_new(j.get(), "recording_policy", json_str(to_string(policy)));
    json_object_set_new(j.get(), "participants", participants ? participants.release() : json_array());
    json_object_set_new(j.get(), "revoked", count(revoked));
    return j;
}

Json recording_reply(std::string_view room, const RecordingState& s) {
    Json j = reply_object("recording");
    json_object_set_new(j.get(), "room", json_str(room));
    json_object_set_new(j.get(), "state", json_string(s.on ? "on" : "off"));
    json_object_set_new(j.get(), "recording_id", s.recording_id ? json_str(*s.recording_id) : json_null());
    json_object_set_new(j.get(), "policy", json_str(to_string(s.policy)));
    json_object_set_new(j.get(), "recorded", uuid_list(s.recorded));
    return j;
}

std::optional<RecordingState> parse_recording_reply(const json_t* response) {
    if (reply_kind(response) != "recording") return std::nullopt;
    RecordingState s;
    const auto state = string_param(response, "state");
    if (!state || (*state != "on" && *state != "off")) return std::nullopt;
    s.on = *state == "on";
    json_t* id = json_object_get(response, "recording_id");
    if (json_is_string(id)) {
        if (!is_uuid(json_string_value(id))) return std::nullopt;
        s.recording_id = normalize_uuid(json_string_value(id));
    } else if (!json_is_null(id)) {
        return std::nullopt;
    }
    if (s.on != s.recording_id.has_value()) return std::nullopt;
    const auto policy = string_param(response, "policy");
    if (!policy) return std::nullopt;
    auto p = parse_recording_policy(*policy);
    if (!p) return std::nullopt;
    s.policy = *p;
    json_t* rec = json_object_get(response, "recorded");
    if (!json_is_array(rec) || json_array_size(rec) > kMaxGrantsInRequest) return std::nullopt;
    std::size_t i;
    json_t* v;
    json_array_foreach(rec, i, v) {
        if (!json_is_string(v) || !is_uuid(json_string_value(v))) return std::nullopt;
        s.recorded.push_back(normalize_uuid(json_string_value(v)));
    }
    return s;
}

Json permissions_set_reply(std::string_view room, std::string_view participant_id, bool connected) {
    Json j = reply_object("permissions_set");
    json_object_set_new(j.get(), "room", json_str(room));
    json_object_set_new(j.get(), "participant_id", json_str(participant_id));
    json_object_set_new(j.get(), "connected", json_boolean(connected));
    return j;
}

Json kicked_reply(std::string_view room, std::string_view participant_id, bool connected) {
    Json j = reply_object("kicked");
    json_object_set_new(j.get(), "room", json_str(room));
    json_object_set_new(j.get(), "participant_id", json_str(participant_id));
    json_object_set_new(j.get(), "connected", json_boolean(connected));
    return j;
}

Json room_snapshot_json(const RoomSnapshot& r) {
    Json j(json_object());
    json_object_set_new(j.get(), "room", json_str(r.room));
    json_object_set_new(j.get(), "state", json_str(to_string(r.state)));
    json_object_set_new(j.get(), "admitted", uuid_list(r.admitted));
    json_t* muted = json_array();
    for (const MuteEntry& m : r.muted) json_array_append_new(muted, mute_entry_json(m));
    json_object_set_new(j.get(), "muted", muted);
    json_object_set_new(j.get(), "revoked", uuid_list(r.revoked));
    return j;
}

Json snapshot_reply(const Snapshot& s) {
    Json j = reply_object("snapshot");
    json_object_set_new(j.get(), "instance", json_str(s.instance));
    json_t* rooms = json_array();
    for (const RoomSnapshot& r : s.rooms) json_array_append_new(rooms, room_snapshot_json(r).release());
    json_object_set_new(j.get(), "rooms", rooms);
    return j;
}

Json stats_reply(std::string_view instance, const PluginStats& s) {
    Json j = reply_object("stats");
    json_object_set_new(j.get(), "instance", json_str(instance));
    json_t* h = json_object();
    json_object_set_new(h, "attached", count(s.handles.attached));
    json_object_set_new(h, "joined", count(s.handles.joined));
    json_object_set_new(h, "media_ready", count(s.handles.media_ready));
    json_object_set_new(h, "participant_objects", count(s.handles.participant_objects));
    json_object_set_new(j.get(), "handles", h);
    json_t* r = json_object();
    json_object_set_new(r, "count", count(s.rooms.count));
    json_object_set_new(r, "members", count(s.rooms.members));
    json_object_set_new(r, "admitted", count(s.rooms.admitted));
    json_object_set_new(r, "waiting", count(s.rooms.waiting));
    json_object_set_new(r, "grants", count(s.rooms.grants));
    json_object_set_new(r, "revoked", count(s.rooms.revoked));
    json_object_set_new(r, "mutes", count(s.rooms.mutes));
    json_object_set_new(r, "prechecks", count(s.rooms.prechecks));
    json_object_set_new(r, "consents", count(s.rooms.consents));
    json_object_set_new(r, "departures", count(s.rooms.departures));
    json_object_set_new(r, "chat_buckets", count(s.rooms.chat_buckets));
    json_object_set_new(r, "chat_ids", count(s.rooms.chat_ids));
    json_object_set_new(j.get(), "rooms", r);
    json_t* w = json_object();
    json_object_set_new(w, "queued_tasks", count(s.work.queued_tasks));
    json_object_set_new(w, "retired_views", count(s.work.retired_views));
    json_object_set_new(w, "keyframe_captures", count(s.work.keyframe_captures));
    json_object_set_new(w, "chat_rooms", count(s.work.chat_rooms));
    json_object_set_new(w, "chat_messages", count(s.work.chat_messages));
    json_object_set_new(w, "chat_history", count(s.work.chat_history));
    json_object_set_new(w, "recording_jobs", count(s.work.recording_jobs));
    json_object_set_new(w, "worker_wakeups", json_integer(static_cast<json_int_t>(s.work.worker_wakeups)));
    json_object_set_new(j.get(), "work", w);
    json_t* rec = json_object();
    json_object_set_new(rec, "rooms_recording", count(s.recording.rooms_recording));
    json_object_set_new(rec, "tracks_open", count(s.recording.tracks_open));
    json_object_set_new(rec, "tracks_closing", count(s.recording.tracks_closing));
    json_object_set_new(rec, "manifests_pending", count(s.recording.manifests_pending));
    json_object_set_new(j.get(), "recording", rec);
    return j;
}

std::optional<RoomSnapshot> parse_room_snapshot(const json_t* j) {
    if (!json_is_object(j)) return std::nullopt;
    PluginFailure f;
    if (!check_params(j,
                      {{"room", ParamType::String, true},
                       {"state", ParamType::String, true},
                       {"admitted", ParamType::Array, true},
                       {"muted", ParamType::Array, true},
                       {"revoked", ParamType::Array, true}},
                      &f))
        return std::nullopt;
    RoomSnapshot r;
    if (!uuid_param(j, "room", &r.room, &f)) return std::nullopt;
    auto state = parse_room_state(*string_param(j, "state"));
    if (!state) return std::nullopt;
    r.state = *state;
    if (!parse_uuid_list(json_object_get(j, "admitted"), kMaxGrantsInRequest, &r.admitted)) return std::nullopt;
    if (!parse_uuid_list(json_object_get(j, "revoked"), kMaxRevokedInRequest, &r.revoked)) return std::nullopt;
    const json_t* muted = json_object_get(j, "muted");
    if (json_array_size(muted) > kMaxGrantsInRequest) return std::nullopt;
    std::size_t i;
    json_t* v;
    json_array_foreach(muted, i, v) {
        MuteEntry m;
        if (!parse_mute_entry(v, &m)) return std::nullopt;
        r.muted.push_back(std::move(m));
    }
    return r;
}

std::optional<Snapshot> parse_snapshot_reply(const json_t* response) {
    if (!json_is_object(response) || reply_kind(response) != "snapshot") return std::nullopt;
    std::optional<std::string> inst = instance_param(response);
    if (!inst) return std::nullopt;
    const json_t* rooms = json_object_get(response, "rooms");
    if (!json_is_array(rooms) || json_array_size(rooms) > kMaxSnapshotRooms) return std::nullopt;
    Snapshot s;
    s.instance = std::move(*inst);
    std::size_t i;
    json_t* v;
    json_array_foreach(rooms, i, v) {
        std::optional<RoomSnapshot> r = parse_room_snapshot(v);
        if (!r) return std::nullopt;
        s.rooms.push_back(std::move(*r));
    }
    return s;
}

std::optional<std::vector<RoomSummary>> parse_rooms_reply(const json_t* response) {
    if (!json_is_object(response) || reply_kind(response) != "rooms") return std::nullopt;
    const json_t* rooms = json_object_get(response, "rooms");
    if (!json_is_array(rooms) || json_array_size(rooms) > kMaxSnapshotRooms) return std::nullopt;
    std::vector<RoomSummary> out;
    out.reserve(json_array_size(rooms));
    std::size_t i;
    json_t* v;
    json_array_foreach(rooms, i, v) {
        PluginFailure f;
        if (!json_is_object(v) || !check_params(v,
                                                {{"room", ParamType::String, true},
                                                 {"kind", ParamType::String, true},
                                                 {"state", ParamType::String, true},
                                                 {"participants", ParamType::Integer, true}},
                                                &f))
            return std::nullopt;
        RoomSummary r;
        if (!uuid_param(v, "room", &r.room, &f)) return std::nullopt;
        auto kind = parse_session_kind(*string_param(v, "kind"));
        auto state = parse_room_state(*string_param(v, "state"));
        const json_int_t n = json_integer_value(json_object_get(v, "participants"));
        if (!kind || !state || n < 0 || n > 1000000) return std::nullopt;
        r.kind = *kind;
        r.state = *state;
        r.participants = static_cast<std::size_t>(n);
        out.push_back(std::move(r));
    }
    return out;
}

std::string_view reply_kind(const json_t* response) {
    auto k = string_param(response, "telemed");
    return k ? *k : std::string_view();
}

// ---- the Janus envelope ----

namespace {

Json parse_object(std::string_view body) {
    json_error_t jerr;
    Json j(json_loadb(body.data(), body.size(), JSON_REJECT_DUPLICATES, &jerr));
    if (!j || !json_is_object(j.get())) return nullptr;
    return j;
}

// True when the reply carries no transaction or the one sent.
bool transaction_matches(const json_t* reply, std::string_view transaction) {
    const json_t* t = json_object_get(reply, "transaction");
    if (!t) return true;
    return json_is_string(t) && std::string_view(json_string_value(t), json_string_length(t)) == transaction;
}

std::string_view janus_kind(const json_t* reply) {
    auto k = string_param(reply, "janus");
    return k ? *k : std::string_view();
}

}  // namespace

Json build_message_plugin(const json_t* request, std::string_view admin_secret, std::string_view transaction) {
    Json body(json_object());
    if (!body || !json_is_object(request)) return nullptr;
    json_t* b = body.get();
    if (json_object_set_new(b, "janus", json_string("message_plugin")) != 0 ||
        json_object_set_new(b, "transaction", json_stringn(transaction.data(), transaction.size())) != 0 ||
        json_object_set_new(b, "admin_secret", json_stringn(admin_secret.data(), admin_secret.size())) != 0 ||
        json_object_set_new(b, "plugin", json_string(kPluginPackage)) != 0 ||
        // Borrowed: json_object_set takes its own reference.
        json_object_set(b, "request", const_cast<json_t*>(request)) != 0) {
        return nullptr;
    }
    return body;
}

Json build_janus_ping(std::string_view admin_secret, std::string_view transaction) {
    Json body(json_object());
    if (!body) return nullptr;
    json_object_set_new(body.get(), "janus", json_string("ping"));
    json_object_set_new(body.get(), "transaction", json_stringn(transaction.data(), transaction.size()));
    json_object_set_new(body.get(), "admin_secret", json_stringn(admin_secret.data(), admin_secret.size()));
    return body;
}

Reply parse_message_plugin_reply(std::string_view body, std::string_view transaction) {
    Reply r;
    r.unreachable = true;
    Json reply = parse_object(body);
    if (!reply) {
        r.error = "invalid JSON from Janus";
        return r;
    }
    if (!transaction_matches(reply.get(), transaction)) {
        r.error = "reply for another transaction";
        return r;
    }
    std::string_view janus = janus_kind(reply.get());
    if (janus == "error") {
        const json_t* e = json_object_get(reply.get(), "error");
        const json_t* code = json_object_get(e, "code");
        r.error = json_is_integer(code) ? "janus error " + std::to_string(json_integer_value(code)) : "janus error";
        return r;
    }
    if (janus != "success") {
        r.error = "unexpected Janus reply";
        return r;
    }
    json_t* response = json_object_get(reply.get(), "response");
    if (!json_is_object(response)) {
        r.error = "Janus reply without a response object";
        return r;
    }
    if (reply_kind(response) == "error") {
        const json_t* code = json_object_get(response, "error_code");
        if (!json_is_integer(code) || json_integer_value(code) <= 0 || json_integer_value(code) > 1000000) {
            r.error = "plugin error without a valid error_code";
            return r;
        }
        r.unreachable = false;
        r.plugin_error = static_cast<int>(json_integer_value(code));
        r.error = "plugin error " + std::to_string(r.plugin_error);
        r.response = json_borrow(response);
        return r;
    }
    r.unreachable = false;
    r.ok = true;
    r.response = json_borrow(response);
    return r;
}

bool parse_ping_reply(std::string_view body, std::string_view transaction) {
    Json reply = parse_object(body);
    return reply && transaction_matches(reply.get(), transaction) && janus_kind(reply.get()) == "pong";
}

}  // namespace telemed::admin_api
