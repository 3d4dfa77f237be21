#include "plugin/protocol.hpp"

#include <cstring>
#include <initializer_list>

#include "common/ids.hpp"
#include "common/token.hpp"

namespace telemed::plugin {
namespace {

enum class Kind { String, Array };

// One row of a request's parameter table.
struct Field {
    const char* name;
    Kind kind;
    bool required;
};

Failure element(const char* field, const char* problem) {
    std::string t = "invalid element: ";
    t += field;
    t += " (";
    t += problem;
    t += ")";
    return Failure::of(ErrorCode::InvalidElement, t);
}

// Checks the body against the table: no unknown keys (besides "request"),
// required keys present, types right. Values are checked by the caller.
bool check_table(const json_t* body, std::initializer_list<Field> table, Failure* f) {
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(body), key, value) {
        if (std::strcmp(key, "request") == 0) continue;
        bool known = false;
        for (const Field& fd : table)
            if (std::strcmp(key, fd.name) == 0) known = true;
        if (!known) {
            *f = Failure::of(ErrorCode::InvalidElement, "invalid element: unknown field");
            return false;
        }
    }
    for (const Field& fd : table) {
        json_t* v = json_object_get(body, fd.name);
        if (!v) {
            if (fd.required) {
                *f = element(fd.name, "missing");
                return false;
            }
            continue;
        }
        bool ok = fd.kind == Kind::String ? json_is_string(v) : json_is_array(v);
        if (!ok) {
            *f = element(fd.name, fd.kind == Kind::String ? "must be a string" : "must be an array");
            return false;
        }
    }
    return true;
}

std::optional<std::string_view> str(const json_t* body, const char* name) {
    json_t* v = json_object_get(body, name);
    if (!v || !json_is_string(v)) return std::nullopt;
    return std::string_view(json_string_value(v), json_string_length(v));
}

bool uuid_field(const json_t* body, const char* name, std::string* out, Failure* f) {
    auto s = str(body, name);
    if (!s) return true;  // absence handled by the table
    if (s->size() != 36 || !is_uuid(*s)) {
        *f = element(name, "must be a UUID");
        return false;
    }
    *out = normalize_uuid(*s);
    return true;
}

// Size of the compact serialisation, computed without allocating.
bool too_large(const json_t* body, std::size_t limit) {
    return json_dumpb(body, nullptr, 0, JSON_COMPACT) > limit;
}

// Common prologue: object, size bound, "request" string.
bool prologue(const json_t* body, std::size_t limit, std::string_view* request, Failure* f) {
    if (!body || !json_is_object(body)) {
        *f = Failure::of(ErrorCode::InvalidJson);
        return false;
    }
    if (too_large(body, limit)) {
        *f = Failure::of(ErrorCode::InvalidElement, "invalid element: message too large");
        return false;
    }
    auto r = str(body, "request");
    if (!r) {
        *f = Failure::of(ErrorCode::InvalidRequest);
        return false;
    }
    *request = *r;
    return true;
}

template <class T>
Parsed<T> fail(Failure f) {
    Parsed<T> p;
    p.failure = std::move(f);
    return p;
}

template <class T, class V>
Parsed<T> done(V v) {
    Parsed<T> p;
    p.value.emplace(std::move(v));
    return p;
}

}  // namespace

std::string normalize_uuid(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

Parsed<ClientRequest> parse_client_request(const json_t* body) {
    std::string_view request;
    Failure f;
    if (!prologue(body, kMaxMessageBytes, &request, &f)) return fail<ClientRequest>(f);

    if (request == "join") {
        if (!check_table(body, {{"token", Kind::String, true}, {"session_id", Kind::String, false}}, &f))
            return fail<ClientRequest>(f);
        JoinRequest j;
        auto token = *str(body, "token");
        if (token.empty()) return fail<ClientRequest>(element("token", "empty"));
        if (token.size() > kMaxTokenLength) return fail<ClientRequest>(element("token", "too long"));
        j.token = std::string(token);
        if (json_object_get(body, "session_id")) {
            std::string sid;
            if (!uuid_field(body, "session_id", &sid, &f)) return fail<ClientRequest>(f);
            j.session_id = std::move(sid);
        }
        return done<ClientRequest>(std::move(j));
    }
    if (request == "leave") {
        if (!check_table(body, {}, &f)) return fail<ClientRequest>(f);
        return done<ClientRequest>(LeaveRequest{});
    }
    if (request == "configure") {
        if (!check_table(body, {{"sources", Kind::Array, false}}, &f)) return fail<ClientRequest>(f);
        ConfigureRequest c;
        if (json_t* arr = json_object_get(body, "sources")) {
            if (json_array_size(arr) > kMaxSourceHints) return fail<ClientRequest>(element("sources", "too many entries"));
            std::size_t i;
            json_t* v;
            json_array_foreach(arr, i, v) {
                if (!json_is_object(v)) return fail<ClientRequest>(element("sources", "entries must be objects"));
                if (!check_table(v, {{"mid", Kind::String, true}, {"source", Kind::String, true}}, &f))
                    return fail<ClientRequest>(f);
                auto mid = *str(v, "mid");
                if (mid.empty() || mid.size() > sdp::kMaxMidChars || check_text(mid, sdp::kMaxMidChars) != nullptr)
                    return fail<ClientRequest>(element("mid", "empty, too long or not text"));
                auto source = parse_source(*str(v, "source"));
                if (!source) return fail<ClientRequest>(element("source", "unknown value"));
                for (const auto& h : c.hints)
                    if (h.mid == mid || h.source == *source)
                        return fail<ClientRequest>(element("sources", "duplicate mid or source"));
                c.hints.push_back(sdp::SourceHint{std::string(mid), *source});
            }
        }
        return done<ClientRequest>(std::move(c));
    }
    if (request == "admit" || request == "deny" || request == "kick") {
        if (!check_table(body, {{"participant_id", Kind::String, true}}, &f)) return fail<ClientRequest>(f);
        std::string pid;
        if (!uuid_field(body, "participant_id", &pid, &f)) return fail<ClientRequest>(f);
        if (request == "kick") return done<ClientRequest>(ClientKickRequest{std::move(pid)});
        return done<ClientRequest>(AdmitRequest{std::move(pid), request == "deny"});
    }
    if (request == "mute" || request == "unmute") {
        if (!check_table(body, {{"participant_id", Kind::String, false}, {"media", Kind::String, true}}, &f))
            return fail<ClientRequest>(f);
        MuteRequest m;
        m.mute = request == "mute";
        auto media = parse_source(*str(body, "media"));
        if (!media) return fail<ClientRequest>(element("media", "unknown value"));
        m.media = *media;
        if (json_object_get(body, "participant_id")) {
            std::string pid;
            if (!uuid_field(body, "participant_id", &pid, &f)) return fail<ClientRequest>(f);
            m.participant_id = std::move(pid);
        }
        return done<ClientRequest>(std::move(m));
    }
    return fail<ClientRequest>(Failure::of(ErrorCode::InvalidRequest));
}

namespace {

bool parse_permission_names(const json_t* arr, PermissionSet* out, Failure* f) {
    if (json_array_size(arr) > kMaxPermissionNames) {
        *f = element("permissions", "too many entries");
        return false;
    }
    PermissionSet set = 0;
    std::size_t i;
    json_t* v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) {
            *f = element("permissions", "entries must be strings");
            return false;
        }
        auto p = parse_permission(std::string_view(json_string_value(v), json_string_length(v)));
        if (!p) {
            *f = element("permissions", "unknown permission");
            return false;
        }
        set |= bit(*p);
    }
    *out = set;
    return true;
}

}  // namespace

Parsed<AdminRequest> parse_admin_request(const json_t* body) {
    std::string_view request;
    Failure f;
    if (!prologue(body, kMaxAdminMessageBytes, &request, &f)) return fail<AdminRequest>(f);

    if (request == "ping") {
        if (!check_table(body, {}, &f)) return fail<AdminRequest>(f);
        return done<AdminRequest>(PingRequest{});
    }
    if (request == "list_rooms") {
        if (!check_table(body, {}, &f)) return fail<AdminRequest>(f);
        return done<AdminRequest>(ListRoomsRequest{});
    }
    if (request == "create_room") {
        if (!check_table(body,
                         {{"room", Kind::String, true},
                          {"kind", Kind::String, true},
                          {"state", Kind::String, true},
                          {"recording_policy", Kind::String, false},
                          {"revoked", Kind::Array, false},
                          {"grants", Kind::Array, false}},
                         &f))
            return fail<AdminRequest>(f);
        CreateRoomRequest r;
        if (!uuid_field(body, "room", &r.room, &f)) return fail<AdminRequest>(f);
        auto kind = parse_session_kind(*str(body, "kind"));
        if (!kind) return fail<AdminRequest>(element("kind", "unknown value"));
        r.kind = *kind;
        auto state = parse_room_state(*str(body, "state"));
        if (!state) return fail<AdminRequest>(element("state", "unknown value"));
        r.state = *state;
        if (auto rp = str(body, "recording_policy")) {
            auto p = parse_recording_policy(*rp);
            if (!p) return fail<AdminRequest>(element("recording_policy", "unknown value"));
            r.recording_policy = *p;
        }
        if (json_t* arr = json_object_get(body, "revoked")) {
            if (json_array_size(arr) > kMaxRevokedInRequest)
                return fail<AdminRequest>(element("revoked", "too many entries"));
            std::size_t i;
            json_t* v;
            json_array_foreach(arr, i, v) {
                if (!json_is_string(v)) return fail<AdminRequest>(element("revoked", "entries must be UUIDs"));
                std::string_view id(json_string_value(v), json_string_length(v));
                if (id.size() != 36 || !is_uuid(id))
                    return fail<AdminRequest>(element("revoked", "entries must be UUIDs"));
                r.revoked.push_back(normalize_uuid(id));
            }
        }
        // "grants": [{"participant_id","role","permissions":[names]}]
        if (json_t* arr = json_object_get(body, "grants")) {
            if (json_array_size(arr) > kMaxGrantsInRequest)
                return fail<AdminRequest>(element("grants", "too many entries"));
            std::size_t i;
            json_t* v;
            json_array_foreach(arr, i, v) {
                if (!json_is_object(v)) return fail<AdminRequest>(element("grants", "entries must be objects"));
                if (!check_table(v,
                                 {{"participant_id", Kind::String, true},
                                  {"role", Kind::String, true},
                                  {"permissions", Kind::Array, true},
                                  {"display_name", Kind::String, false}},
                                 &f))
                    return fail<AdminRequest>(f);
                CreateRoomRequest::Grant g;
                if (!uuid_field(v, "participant_id", &g.participant_id, &f)) return fail<AdminRequest>(f);
                auto role = parse_role(*str(v, "role"));
                if (!role) return fail<AdminRequest>(element("role", "unknown value"));
                g.role = *role;
                if (!parse_permission_names(json_object_get(v, "permissions"), &g.permissions, &f))
                    return fail<AdminRequest>(f);
                if (auto dn = str(v, "display_name")) {
                    if (check_text(*dn, telemed::kMaxDisplayNameChars) != nullptr)
                        return fail<AdminRequest>(element("display_name", "invalid text or too long"));
                    g.display_name = std::string(*dn);
                }
                r.grants.push_back(std::move(g));
            }
        }
        return done<AdminRequest>(std::move(r));
    }
    if (request == "destroy_room" || request == "room_info") {
        if (!check_table(body, {{"room", Kind::String, true}}, &f)) return fail<AdminRequest>(f);
        std::string room;
        if (!uuid_field(body, "room", &room, &f)) return fail<AdminRequest>(f);
        if (request == "destroy_room") return done<AdminRequest>(DestroyRoomRequest{std::move(room)});
        return done<AdminRequest>(RoomInfoRequest{std::move(room)});
    }
    if (request == "set_permissions") {
        if (!check_table(body,
                         {{"room", Kind::String, true},
                          {"participant_id", Kind::String, true},
                          {"permissions", Kind::Array, true},
                          {"role", Kind::String, false}},
                         &f))
            return fail<AdminRequest>(f);
        SetPermissionsRequest r;
        if (!uuid_field(body, "room", &r.room, &f)) return fail<AdminRequest>(f);
        if (!uuid_field(body, "participant_id", &r.participant_id, &f)) return fail<AdminRequest>(f);
        if (!parse_permission_names(json_object_get(body, "permissions"), &r.permissions, &f))
            return fail<AdminRequest>(f);
        if (auto rs = str(body, "role")) {
            auto role = parse_role(*rs);
            if (!role) return fail<AdminRequest>(element("role", "unknown value"));
            r.role = *role;
        }
        return done<AdminRequest>(std::move(r));
    }
    if (request == "kick") {
        if (!check_table(body,
                         {{"room", Kind::String, true},
                          {"participant_id", Kind::String, true},
                          {"reason", Kind::String, false}},
                         &f))
            return fail<AdminRequest>(f);
        KickRequest r;
        if (!uuid_field(body, "room", &r.room, &f)) return fail<AdminRequest>(f);
        if (!uuid_field(body, "participant_id", &r.participant_id, &f)) return fail<AdminRequest>(f);
        if (auto reason = str(body, "reason")) {
            if (check_text(*reason, kMaxReasonChars) != nullptr)
                return fail<AdminRequest>(element("reason", "invalid text or too long"));
            r.has_reason = true;
        }
        return done<AdminRequest>(std::move(r));
    }
    return fail<AdminRequest>(Failure::of(ErrorCode::InvalidRequest));
}

}  // namespace telemed::plugin
