#include "controller/routes/support.hpp"

#include <charconv>

#include <algorithm>
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
    return service_unavailable("janus-unavailable", "Media server unavailable",
                               "The media server did not accept the change; nothing was changed. Retry later.", 2);
}

Response database_unavailable() {
    return service_unavailable("database-unavailable", "Database unavailable",
                               "The database cannot serve the request now; retry later.", 2);
}

Json create_room_request(const db::Session& s, const char* state, const std::vector<std::string>& revoked,
                         const std::vector<db::Participant>& active) {
    admin_api::CreateRoomRequest r;
    r.room = s.id;
    r.kind = s.kind;
    r.state = std::string_view(state) == "active" ? SessionStatus::Active : SessionStatus::Scheduled;
    r.recording_policy = s.recording_policy;
    r.revoked.assign(revoked.begin(), revoked.begin() + std::min(revoked.size(), admin_api::kMaxRevokedInRequest));
    for (const db::Participant& p : active) {
        if (r.grants.size() == admin_api::kMaxGrantsInRequest) {
            log_warn("session %s: more than %zu participants; grants truncated", s.id.c_str(),
                     admin_api::kMaxGrantsInRequest);
            break;
        }
        r.grants.push_back(admin_api::CreateRoomRequest::Grant{
            p.id, p.role, effective_permissions(p.role, s.kind, p.overrides), p.display_name});
    }
    return admin_api::build_request(r);
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
    if (r.refused_with(PluginError::NoSuchRoom) && tolerate_missing_room) {
        log_debug("janus %s: session %s has no room (tolerated)", op, session_id.c_str());
        return true;
    }
    log_warn("janus %s refused for session %s: %s (plugin error %d%s)", op, session_id.c_str(), r.error.c_str(),
             r.plugin_error, r.unreachable ? ", unreachable" : "");
    return false;
}

bool parse_query_int(const std::string& text, int64_t lo, int64_t hi, int64_t* out) {
    if (text.empty() || text.size() > 19 || text[0] < '0' || text[0] > '9') return false;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || v < lo || v > hi) return false;
    *out = v;
    return true;
}

std::string actor_of(const Request& req) { return req.api_key_id.empty() ? std::string("unknown") : req.api_key_id; }

std::optional<int64_t> closed_at_seconds(const db::Session& s) {
    std::optional<int64_t> micros = s.status == SessionStatus::Cancelled ? s.cancelled_at : s.ended_at;
    if (!micros) return std::nullopt;
    return *micros / 1000000;
}

ParticipantStateLookup participant_lookup(PGconn* c, const db::Session* s, std::optional<db::Participant>* found) {
    return [c, s, found](const std::string& sid, const std::string& pid) -> std::optional<ParticipantCredentialState> {
        if (found) found->reset();
        if (!s || s->id != sid) return std::nullopt;
        std::optional<db::Participant> p = db::find_participant(c, sid, pid);
        if (!p) return std::nullopt;
        ParticipantCredentialState st;
        st.active = p->active;
        st.epoch = p->credential_epoch;
        st.session_status = s->status;
        st.closed_at_s = closed_at_seconds(*s);
        if (found) *found = std::move(p);
        return st;
    };
}

}  // namespace telemed
