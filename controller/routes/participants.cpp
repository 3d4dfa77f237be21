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
//          participants as "revoked", with the new participant's grant)
//          BEFORE the transaction that stores the participant, so the room
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
//          the room, so every token minted for it is dead) before the
//          transaction that marks it removed, while the session is scheduled/active; 4040 (no
//          room) tolerated unless the session is active. 404 unknown.
//   PATCH  /sessions/{id}/participants/{pid}   body UpdateParticipantRequest
//          200 Participant. permissions resolve against the new role. Janus
//          set_permissions (effective set) before the transaction; 4040
//          tolerated while scheduled. 409 participant-removed, 409
//          session-closed.
//          With directory_profile on (docs/INTEGRATIONS.md), user_id is
//          first checked with the Patient Service (patient) or the Doctor
//          Service (doctor, paramedic; observers are not checked), before
//          any transaction, on every add (the 200 re-add too): unknown ->
//          422 validation-error on "user_id"; no usable answer within
//          directory_timeout_ms -> 503 directory-unavailable (Retry-After),
//          nothing stored. No display_name in the request: the service's.
// Other errors: 404 not-found (also non-UUID ids), 422 validation-error,
// 503 janus-unavailable (nothing changed), 503 database-unavailable.
// Every handler invalidates the session's GET /sessions/{id} cache entry
// after its transaction (controller/live/session_cache.hpp).
// No row lock is held across a Janus call: each handler reads and checks
// without a lock, calls Janus, then locks the session, checks that nothing
// changed meanwhile and writes (routes/janus_step.hpp); 409
// concurrent-change if the session kept changing, 503 janus-unavailable
// within 5 s (kJanusBudgetMs) if Janus does not answer.
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
#include "controller/clients/directory.hpp"
#include "controller/log.hpp"
#include "controller/live/redis_tracker.hpp"
#include "controller/routes/janus_step.hpp"
#include "controller/routes/join_grant.hpp"
#include "controller/routes/support.hpp"
#include "controller/routes/views.hpp"
#include "controller/live/session_cache.hpp"

namespace telemed {
namespace {

const char* const kNoSession = "No session with this id.";
const char* const kNoParticipant = "No participant with this id in this session.";
constexpr int kDirectoryRetryAfterS = 5;

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

// The session if it is open (no lock: read step of routes/janus_step.hpp);
// nullopt with *early set (404, or 409 session-closed when ended/cancelled)
// otherwise.
std::optional<db::Session> find_open_session(PGconn* c, const std::string& sid, std::optional<Response>* early) {
    std::optional<db::Session> s = db::find_session(c, sid);
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

// POST /sessions/{id}/participants
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
    // The Patient / Doctor Service check (clients/directory.hpp), before any
    // transaction or lock: unknown -> 422 on user_id, no answer -> 503;
    // nothing is stored either way. A missing display_name comes from there.
    if (app.directory) {
        const directory::Lookup who = app.directory->verify(in->role, in->user_id);
        if (who.verdict == directory::Verdict::Unavailable)
            return service_unavailable("directory-unavailable", "Directory unavailable",
                                       "The Patient/Doctor Service did not confirm the user_id in time; nothing "
                                       "was stored. Retry later.",
                                       kDirectoryRetryAfterS);
        if (who.verdict == directory::Verdict::Unknown)
            return validation_problem({{"user_id", in->role == Role::Patient
                                                       ? "is not a known patient (Patient Service)"
                                                       : "is not a known practitioner (Doctor Service)"}});
        if (!in->display_name && who.display_name) in->display_name = who.display_name;
    }
    const std::string actor = actor_of(req);
    const std::string new_id = new_uuid_v4();
    const JoinGrant grant = new_join_grant(cfg);
    SessionCacheInvalidation invalidate(app.session_cache, sid);  // after the transaction, whatever its outcome

    return guarded("POST /sessions/{id}/participants", [&]() -> Response {
        std::optional<db::Participant> p;
        std::optional<db::Session> session;
        bool created = false;
        std::optional<Response> answer = run_janus_step(
            app, sid,
            [&](PGconn* c, JanusPlan& plan) -> std::optional<Response> {
                p.reset();
                created = false;
                std::optional<Response> early;
                session = find_open_session(c, sid, &early);
                if (!session) return early;
                p = db::find_active_by_user(c, sid, in->user_id);
                if (!p) {
                    // Planned: inserted in the write step if nothing changed.
                    db::Participant n;
                    n.id = new_id;
                    n.session_id = sid;
                    n.user_id = in->user_id;
                    n.role = in->role;
                    n.display_name = in->display_name;
                    if (in->permissions) n.overrides = in->permissions->resolve(in->role, session->kind);
                    p = std::move(n);
                    created = true;
                }
                // The room exists (with this participant's grant) before its token does.
                plan = join_room_plan(c, *session, created ? &*p : nullptr);
                return std::nullopt;
            },
            [&](PGconn* c, const db::Session& s) {
                if (created) {
                    p = db::insert_participant(c, new_id, sid, in->user_id, p->role, p->display_name, p->overrides);
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
                }
                record_token_issued(c, s, *p, actor, grant, "api_key");
                return db::TxnEnd::Commit;
            });
        if (answer) return *answer;

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
        std::optional<db::Participant> target;
        std::optional<db::Participant> removed;
        std::optional<Response> answer = run_janus_step(
            app, sid,
            [&](PGconn* c, JanusPlan& plan) -> std::optional<Response> {
                target.reset();
                removed.reset();
                std::optional<db::Session> s = db::find_session(c, sid);
                if (!s) return not_found(kNoSession);
                if (pid) {
                    target = db::find_participant(c, sid, *pid);
                    if (!target) return not_found(kNoParticipant);
                    if (!target->active) return Response::no_content();  // already removed
                } else {
                    target = db::find_active_by_user(c, sid, *user_id);
                    if (!target)
                        return db::has_removed_user(c, sid, *user_id)
                                   ? Response::no_content()
                                   : not_found("No participant with this user_id in this session.");
                }
                if (is_open(s->status)) {
                    // Kick and ban the id in the room: its tokens stop working at once.
                    plan.request = admin_api::build_request(admin_api::KickRequest{sid, target->id, "removed"});
                    plan.tolerate_missing_room = s->status != SessionStatus::Active;
                    plan.op = "kick";
                }
                return std::nullopt;
            },
            [&](PGconn* c, const db::Session&) {
                removed = db::mark_removed(c, target->id);
                Json audit(json_object());
                json_object_set_new(audit.get(), "participant_id", json_str(target->id));
                json_object_set_new(audit.get(), "user_id", json_str(target->user_id));
                Json payload = participant_event_payload(*removed);
                db::record_participant_change(c, sid, actor, "participant.removed", audit.get(),
                                              payload.get(), target->id, "removed", nullptr);
                return db::TxnEnd::Commit;
            });
        if (answer) return *answer;
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
        std::optional<db::Participant> before;
        std::optional<db::Participant> updated;
        SessionKind kind = SessionKind::Consultation;
        Role role = Role::Observer;
        PermissionOverrides overrides;
        std::optional<Response> answer = run_janus_step(
            app, sid,
            [&](PGconn* c, JanusPlan& plan) -> std::optional<Response> {
                before.reset();
                updated.reset();
                std::optional<Response> early;
                std::optional<db::Session> s = find_open_session(c, sid, &early);
                if (!s) return early;
                kind = s->kind;
                before = db::find_participant(c, sid, pid);
                if (!before) return not_found(kNoParticipant);
                if (!before->active)
                    return problem(409, "participant-removed", "Participant removed",
                                   "The participant was removed from the session.");
                role = in->role.value_or(before->role);
                overrides = in->permissions ? in->permissions->resolve(role, kind) : before->overrides;
                // Live in the media path: the plugin keeps this set for the id.
                plan.request = admin_api::build_request(
                    admin_api::SetPermissionsRequest{sid, pid, effective_permissions(role, kind, overrides), role});
                plan.tolerate_missing_room = s->status != SessionStatus::Active;
                plan.op = "set_permissions";
                return std::nullopt;
            },
            [&](PGconn* c, const db::Session&) {
                updated = db::update_participant(c, pid, role, overrides);
                Json ev(json_object());
                json_object_set_new(ev.get(), "role", json_str(to_string(role)));
                json_object_set_new(ev.get(), "previous_role", json_str(to_string(before->role)));
                json_object_set_new(ev.get(), "permission_overrides", db::overrides_to_json(overrides).release());
                Json audit(json_deep_copy(ev.get()));
                json_object_set_new(audit.get(), "participant_id", json_str(pid));
                Json payload = participant_event_payload(*updated);
                db::record_participant_change(c, sid, actor, "participant.updated", audit.get(),
                                              payload.get(), pid, "updated", ev.get());
                return db::TxnEnd::Commit;
            });
        if (answer) return *answer;
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
