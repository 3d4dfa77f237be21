#include "controller/routes/support.hpp"

#include <exception>

#include "common/permissions.hpp"
#include "controller/db/pg.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/problem.hpp"
#include "controller/log.hpp"

namespace telemed {

Response not_found(std::string_view detail) { return problem(404, "not-found", "Not found", detail); }

Response session_closed(std::string_view status) {
    return problem(409, "session-closed", "Session closed", "The session is " + std::string(status) + ".");
}

Response invalid_transition(std::string_view from, std::string_view action) {
    return problem(409, "invalid-state-transition", "Invalid state transition",
                   "The session is " + std::string(from) + "; it cannot be " + std::string(action) + ".");
}

Response janus_unavailable() {
    Response r = problem(503, "janus-unavailable", "Media server unavailable",
                         "The media server did not accept the change; nothing was changed. Retry later.");
    r.headers.emplace_back("Retry-After", "2");
    return r;
}

Response database_unavailable() {
    Response r = problem(503, "database-unavailable", "Database unavailable",
                         "The database cannot serve the request now; retry later.");
    r.headers.emplace_back("Retry-After", "2");
    return r;
}

Json create_room_request(const db::Session& s, const char* state, const std::vector<std::string>& revoked,
                         const std::vector<db::Participant>& active) {
    Json j(json_object());
    json_object_set_new(j.get(), "request", json_string("create_room"));
    json_object_set_new(j.get(), "room", json_str(s.id));
    json_object_set_new(j.get(), "kind", json_str(to_string(s.kind)));
    json_object_set_new(j.get(), "state", json_string(state));
    json_object_set_new(j.get(), "recording_policy", json_str(to_string(s.recording_policy)));
    if (!revoked.empty()) {
        json_t* list = json_array();
        for (const std::string& pid : revoked) json_array_append_new(list, json_str(pid));
        json_object_set_new(j.get(), "revoked", list);
    }
    json_t* grants = json_array();
    std::size_t n = 0;
    for (const db::Participant& p : active) {
        if (n++ == kMaxGrantsInCreateRoom) {
            log_warn("session %s: more than %zu participants; grants truncated", s.id.c_str(), kMaxGrantsInCreateRoom);
            break;
        }
        json_t* g = json_object();
        json_object_set_new(g, "participant_id", json_str(p.id));
        json_object_set_new(g, "role", json_str(to_string(p.role)));
        json_object_set_new(g, "permissions",
                            permissions_to_json(effective_permissions(p.role, s.kind, p.overrides)).release());
        if (p.display_name) json_object_set_new(g, "display_name", json_str(*p.display_name));
        json_array_append_new(grants, g);
    }
    json_object_set_new(j.get(), "grants", grants);
    return j;
}

Response internal_error() {
    return problem(500, "internal-error", "Internal error", "The request could not be completed.");
}

Response guarded(const char* route, const std::function<Response()>& body) {
    try {
        return body();
    } catch (const db::Unavailable& e) {
        log_warn("%s: database unavailable: %s", route, e.what());
        return database_unavailable();
    } catch (const db::CommitFailed& e) {
        log_error("%s: commit failed: %s", route, e.what());
        return database_unavailable();
    } catch (const db::Error& e) {
        if (e.unavailable()) {
            log_warn("%s: database unavailable: %s", route, e.what());
            return database_unavailable();
        }
        log_error("%s: database error: %s", route, e.what());
        return internal_error();
    } catch (const std::exception& e) {
        log_error("%s: %s", route, e.what());
        return internal_error();
    }
}

bool janus_accepted(const JanusAdmin::Result& r, bool tolerate_missing_room, const char* op,
                    const std::string& session_id) {
    if (r.ok) return true;
    if (!r.unreachable && r.plugin_error == kJanusNoSuchRoom && tolerate_missing_room) {
        log_debug("janus %s: session %s has no room (tolerated)", op, session_id.c_str());
        return true;
    }
    log_warn("janus %s refused for session %s: %s (plugin error %d%s)", op, session_id.c_str(), r.error.c_str(),
             r.plugin_error, r.unreachable ? ", unreachable" : "");
    return false;
}

std::string actor_of(const Request& req) { return req.api_key_id.empty() ? std::string("unknown") : req.api_key_id; }

std::string lower_uuid(std::string_view id) {
    std::string out(id);
    for (char& ch : out)
        if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
    return out;
}

}  // namespace telemed
