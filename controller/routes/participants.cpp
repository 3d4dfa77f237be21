// Participant endpoints (ARCHITECTURE.md "REST API"; docs/DESIGN.md; shapes
// in docs/openapi.yaml).
//
//   POST   /sessions/{id}/participants   body AddParticipantRequest
//          201 {"participant":Participant,"join":JoinInfo,"access":ParticipantAccess};
//          the same user_id already active: 200, same participant
//          (role/permissions unchanged), fresh token, the same access
//          (unless its credential was revoked meanwhile). A user_id whose participant was removed
//          gets a new participant. 409 session-closed (ended/cancelled).
//          Janus create_room (upsert, state = the session's, removed
//          participants as "revoked") inside the transaction, so the room
//          exists before anyone can hold a token: failure -> 503
//          janus-unavailable, nothing stored.
//          join = {"token","expires_at","janus_ws_url","plugin":"janus.plugin.telemed",
//                  "ice_servers":[{"urls":[turn...],"username","credential"},{"urls":[stun...]}],
//                  "app_url"}
//          app_url: <public_url>/app/#join=<base64url(JSON {token, janus_ws_url,
//          ice_servers, expires_at})>, the clinic web app's join link (the
//          fragment never reaches a server; docs/SDK.md).
//          token: JWT per docs/DESIGN.md "Join token" (sub = participant id,
//          sid, role, perms = effective now, jti recorded in the audit log);
//          TURN credentials: TURN REST scheme, opaque id = participant id.
//          join and the token_issued audit row come from routes/join_grant
//          (shared with POST /join); access = {"credential","invite_url",
//          "expires_at"}: the participant credential (common/credential,
//          recomputed from the participant's credential epoch), the web app
//          link <public_url>/app/#invite=<credential>, and the credential's
//          hard expiry (routes/participant_access.cpp exchanges it).
//   DELETE /sessions/{id}/participants         body {"participant_id"} | {"user_id"}
//   DELETE /sessions/{id}/participants/{pid}
//          204: removed (or already removed). Janus kick (bans the id in
//          the room, so every token minted for it is dead) inside the
//          transaction while the session is scheduled/active; 4040 (no
//          room) tolerated unless the session is active. 404 unknown.
//   PATCH  /sessions/{id}/participants/{pid}   body UpdateParticipantRequest
//          200 Participant. permissions resolve against the new role. Janus
//          set_permissions (effective set) inside the transaction; 4040
//          tolerated while scheduled. 409 participant-removed, 409
//          session-closed.
// Other errors: 404 not-found (also non-UUID ids), 422 validation-error,
// 503 janus-unavailable (nothing changed), 503 database-unavailable.
// Every handler invalidates the session's GET /sessions/{id} cache entry
// after its transaction (controller/live/session_cache.hpp).
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/requests.hpp"
#include "common/timeutil.hpp"
#include "common/token.hpp"
#include "common/turn.hpp"
#include "controller/app.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/log.hpp"
#include "controller/live/redis_tracker.hpp"
#include "controller/routes/join_grant.hpp"
#include "controller/routes/support.hpp"
#include "controller/routes/views.hpp"
#include "controller/live/session_cache.hpp"

namespace telemed {
namespace {

const char* const kNoSession = "No session with this id.";
const char* const kNoParticipant = "No participant with this id in this session.";

// Outbox payload of participant.* topics: ids and enum values only.
Json participant_event_payload(const db::Participant& p) {
    Json j(json_object());
    json_object_set_new(j.get(), "session_id", json_str(p.session_id));
    json_object_set_new(j.get(), "participant_id", json_str(p.id));
    json_object_set_new(j.get(), "user_id", json_str(p.user_id));
    json_object_set_new(j.get(), "role", json_str(to_string(p.role)));
    json_object_set_new(j.get(), "status", json_string(p.active ? "active" : "removed"));
    return j;
}

// POST /sessions/{id}/participants
// Locks the session row for the rest of the transaction. nullopt with
// *early set (404, or 409 session-closed when ended/cancelled) otherwise.
std::optional<db::Session> lock_open_session(PGconn* c, const std::string& sid, std::optional<Response>* early) {
    std::optional<db::Session> s = db::lock_session(c, sid);
    if (!s) {
        *early = not_found(kNoSession);
        return std::nullopt;
    }
    if (!is_open(s->status)) {
        *early = session_closed(to_string(s->status));
        return std::nullopt;
    }
    return s;
}

Response add_participant(const Request& req, AppContext& app) {
    const std::string& raw_sid = req.params.at(0);
    if (!is_uuid(raw_sid)) return not_found(kNoSession);
    const std::string sid = normalize_uuid(raw_sid);
    Json body;
    Response error;
    if (!parse_json_object_body(req, &body, &error)) return error;
    FieldErrors errors;
    std::optional<AddParticipantRequest> in = parse_add_participant(body.get(), errors);
    if (!in) return validation_problem(errors);

    const ControllerConfig& cfg = app.config;
    if (!can_mint_tokens(cfg)) {
        log_error("join tokens: token_kid is not one of token_keys");
        return internal_error();
    }
    const std::string actor = actor_of(req);
    const std::string new_id = new_uuid_v4();
    const JoinGrant grant = new_join_grant(cfg);
    SessionCacheInvalidation invalidate(app.session_cache, sid);  // after the transaction, whatever its outcome

    return guarded("POST /sessions/{id}/participants", [&]() -> Response {
        std::optional<Response> early;
        std::optional<db::Participant> p;
        std::optional<db::Session> session;
        bool created = false;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            p.reset();
            created = false;
            session = lock_open_session(c, sid, &early);
            if (!session) return db::TxnEnd::Rollback;
            const db::Session* s = &*session;
            const SessionKind kind = s->kind;
            p = db::find_active_by_user(c, sid, in->user_id);
            if (!p) {
                PermissionOverrides overrides;
                if (in->permissions) overrides = in->permissions->resolve(in->role, kind);
                p = db::insert_participant(c, new_id, sid, in->user_id, in->role, in->display_name, overrides);
                Json ev(json_object());
                json_object_set_new(ev.get(), "role", json_str(to_string(p->role)));
                json_object_set_new(ev.get(), "permission_overrides", db::overrides_to_json(p->overrides).release());
                Json audit(json_object());
                json_object_set_new(audit.get(), "participant_id", json_str(p->id));
                json_object_set_new(audit.get(), "user_id", json_str(p->user_id));
                json_object_set_new(audit.get(), "role", json_str(to_string(p->role)));
                json_object_set_new(audit.get(), "permission_overrides",
                                    db::overrides_to_json(p->overrides).release());
                Json payload = participant_event_payload(*p);
                db::record_participant_change(c, sid, actor, "participant.added", audit.get(),
                                              payload.get(), p->id, "added", ev.get());
                created = true;
            }
            if (!prepare_join(c, app, *s, *p, actor, grant, "api_key")) {
                early = janus_unavailable();
                return db::TxnEnd::Rollback;
            }
            return db::TxnEnd::Commit;
        });
        if (early) return *early;

        app.redis.participant_upserted(sid, p->id, p->user_id, std::string(to_string(p->role)));
        Json out(json_object());
        json_object_set_new(out.get(), "participant", participant_view(*p, session->kind).release());
        json_object_set_new(out.get(), "join", join_object(cfg, *session, *p, grant).release());
        json_object_set_new(out.get(), "access", access_object(cfg, *p).release());
        if (created) log_info("session %s: participant %s added by %s", sid.c_str(), p->id.c_str(), actor.c_str());
        return Response::json(created ? 201 : 200, out.get());
    });
}

// Shared by both DELETE forms: exactly one of pid / user_id.
Response remove_participant(const Request& req, AppContext& app, const std::string& sid,
                            const std::optional<std::string>& pid, const std::optional<std::string>& user_id) {
    const std::string actor = actor_of(req);
    SessionCacheInvalidation invalidate(app.session_cache, sid);  // after the transaction, whatever its outcome
    return guarded("DELETE /sessions/{id}/participants", [&]() -> Response {
        std::optional<Response> early;
        std::optional<db::Participant> removed;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            removed.reset();
            std::optional<db::Session> s = db::lock_session(c, sid);
            if (!s) {
                early = not_found(kNoSession);
                return db::TxnEnd::Rollback;
            }
            std::optional<db::Participant> p;
            if (pid) {
                p = db::find_participant(c, sid, *pid);
                if (!p) {
                    early = not_found(kNoParticipant);
                    return db::TxnEnd::Rollback;
                }
                if (!p->active) {
                    early = Response::no_content();  // already removed
                    return db::TxnEnd::Rollback;
                }
            } else {
                p = db::find_active_by_user(c, sid, *user_id);
                if (!p) {
                    early = db::has_removed_user(c, sid, *user_id) ? Response::no_content()
                                                                    : not_found("No participant with this user_id in this session.");
                    return db::TxnEnd::Rollback;
                }
            }
            removed = db::mark_removed(c, p->id);
            Json audit(json_object());
            json_object_set_new(audit.get(), "participant_id", json_str(p->id));
            json_object_set_new(audit.get(), "user_id", json_str(p->user_id));
            Json payload = participant_event_payload(*removed);
            db::record_participant_change(c, sid, actor, "participant.removed", audit.get(),
                                          payload.get(), p->id, "removed", nullptr);
            if (is_open(s->status)) {
                // Kick and ban the id in the room: its tokens stop working at once.
                Json kick = admin_api::build_request(admin_api::KickRequest{sid, p->id, "removed"});
                bool live = s->status == SessionStatus::Active;
                if (!janus_accepted(app.janus.message_plugin(kick.get()), !live, "kick", sid)) {
                    early = janus_unavailable();
                    return db::TxnEnd::Rollback;
                }
            }
            return db::TxnEnd::Commit;
        });
        if (early) return *early;
        app.redis.participant_removed(sid, removed->id);
        log_info("session %s: participant %s removed by %s", sid.c_str(), removed->id.c_str(), actor.c_str());
        return Response::no_content();
    });
}

// DELETE /sessions/{id}/participants  (body)
Response remove_participant_by_body(const Request& req, AppContext& app) {
    const std::string& raw_sid = req.params.at(0);
    if (!is_uuid(raw_sid)) return not_found(kNoSession);
    Json body;
    Response error;
    if (!parse_json_object_body(req, &body, &error)) return error;
    FieldErrors errors;
    std::optional<RemoveParticipantRequest> in = parse_remove_participant(body.get(), errors);
    if (!in) return validation_problem(errors);
    std::optional<std::string> pid;
    if (in->participant_id) pid = normalize_uuid(*in->participant_id);
    return remove_participant(req, app, normalize_uuid(raw_sid), pid, in->user_id);
}

// DELETE /sessions/{id}/participants/{pid}
Response remove_participant_by_path(const Request& req, AppContext& app) {
    const std::string& raw_sid = req.params.at(0);
    const std::string& raw_pid = req.params.at(1);
    if (!is_uuid(raw_sid)) return not_found(kNoSession);
    if (!is_uuid(raw_pid)) return not_found(kNoParticipant);
    return remove_participant(req, app, normalize_uuid(raw_sid), normalize_uuid(raw_pid), std::nullopt);
}

// PATCH /sessions/{id}/participants/{pid}
Response update_participant(const Request& req, AppContext& app) {
    const std::string& raw_sid = req.params.at(0);
    const std::string& raw_pid = req.params.at(1);
    if (!is_uuid(raw_sid)) return not_found(kNoSession);
    if (!is_uuid(raw_pid)) return not_found(kNoParticipant);
    const std::string sid = normalize_uuid(raw_sid);
    const std::string pid = normalize_uuid(raw_pid);
    Json body;
    Response error;
    if (!parse_json_object_body(req, &body, &error)) return error;
    FieldErrors errors;
    std::optional<UpdateParticipantRequest> in = parse_update_participant(body.get(), errors);
    if (!in) return validation_problem(errors);
    const std::string actor = actor_of(req);
    SessionCacheInvalidation invalidate(app.session_cache, sid);  // after the transaction, whatever its outcome

    return guarded("PATCH /sessions/{id}/participants/{pid}", [&]() -> Response {
        std::optional<Response> early;
        std::optional<db::Participant> updated;
        SessionKind kind = SessionKind::Consultation;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            updated.reset();
            std::optional<db::Session> s = lock_open_session(c, sid, &early);
            if (!s) return db::TxnEnd::Rollback;
            kind = s->kind;
            std::optional<db::Participant> p = db::find_participant(c, sid, pid);
            if (!p) {
                early = not_found(kNoParticipant);
                return db::TxnEnd::Rollback;
            }
            if (!p->active) {
                early = problem(409, "participant-removed", "Participant removed",
                                "The participant was removed from the session.");
                return db::TxnEnd::Rollback;
            }
            const Role role = in->role.value_or(p->role);
            const PermissionOverrides overrides =
                in->permissions ? in->permissions->resolve(role, kind) : p->overrides;
            updated = db::update_participant(c, pid, role, overrides);

            Json ev(json_object());
            json_object_set_new(ev.get(), "role", json_str(to_string(role)));
            json_object_set_new(ev.get(), "previous_role", json_str(to_string(p->role)));
            json_object_set_new(ev.get(), "permission_overrides", db::overrides_to_json(overrides).release());
            Json audit(json_deep_copy(ev.get()));
            json_object_set_new(audit.get(), "participant_id", json_str(pid));
            Json payload = participant_event_payload(*updated);
            db::record_participant_change(c, sid, actor, "participant.updated", audit.get(),
                                          payload.get(), pid, "updated", ev.get());

            // Live in the media path: the plugin keeps this set for the id.
            Json set = admin_api::build_request(
                admin_api::SetPermissionsRequest{sid, pid, effective_permissions(role, kind, overrides), role});
            bool live = s->status == SessionStatus::Active;
            if (!janus_accepted(app.janus.message_plugin(set.get()), !live, "set_permissions", sid)) {
                early = janus_unavailable();
                return db::TxnEnd::Rollback;
            }
            return db::TxnEnd::Commit;
        });
        if (early) return *early;
        app.redis.participant_upserted(sid, updated->id, updated->user_id, std::string(to_string(updated->role)));
        log_info("session %s: participant %s updated by %s", sid.c_str(), pid.c_str(), actor.c_str());
        Json view = participant_view(*updated, kind);
        return Response::json(200, view.get());
    });
}

}  // namespace

void register_participant_routes(Router& r) {
    r.add("POST", "/sessions/{id}/participants", true, Lane::Janus, add_participant);
    r.add("DELETE", "/sessions/{id}/participants", true, Lane::Janus, remove_participant_by_body);
    r.add("DELETE", "/sessions/{id}/participants/{pid}", true, Lane::Janus, remove_participant_by_path);
    r.add("PATCH", "/sessions/{id}/participants/{pid}", true, Lane::Janus, update_participant);
}

}  // namespace telemed
