// Session endpoints (ARCHITECTURE.md "REST API"; lifecycle and Janus/Redis
// side effects in docs/DESIGN.md; shapes in docs/openapi.yaml).
//
//   POST /sessions               body CreateSessionRequest (common/requests.hpp)
//        201 Session (with "participants": []) + Location: <public_base_url>/sessions/<id>
//        Idempotency-Key (1..255 printable ASCII, per API key): same key and
//        same request (SHA-256 of method, path, body) -> the stored status,
//        body and Location with Idempotent-Replayed: true; same key, other
//        request -> 422 idempotency-key-reused; bad key -> 422 validation-error
//        (field "Idempotency-Key"). No Janus call: the room is created when
//        the first participant is added, or at start (docs/DESIGN.md), so
//        scheduling works while the media server is down.
//   GET  /sessions?status=&user_id=&limit=&cursor=
//        200 {"items":[SessionListItem],"next_cursor":string|null}, newest
//        first (created_at DESC, id DESC, keyset); bad cursor -> 422 "cursor".
//   GET  /sessions/{id}          200 Session (active participants, each with its
//        presence from Redis: routes/presence_view.hpp); 404.
//        Served from the read cache when possible (docs/DESIGN.md "Read
//        cache"): every mutation below and in participants.cpp invalidates
//        the session's entry after its transaction.
//   POST /sessions/{id}/start    scheduled -> active (create_room "active",
//        upsert, with the removed participants as "revoked"); on active:
//        200 unchanged, the room is re-synced (re-created if Janus lost it);
//        ended/cancelled: 409 invalid-state-transition
//   POST /sessions/{id}/end      scheduled|active -> ended (destroy_room, 4040
//        tolerated; a recording still starting/recording in Postgres is
//        marked stopped in the same transaction); ended: 200 unchanged;
//        cancelled: 409
//   POST /sessions/{id}/cancel   scheduled -> cancelled (destroy_room, 4040
//        tolerated); cancelled: 200 unchanged; active/ended: 409
// Other errors: 404 not-found (unknown or non-UUID id), 503
// database-unavailable, 503 janus-unavailable (nothing changed).
//
// Each mutation is one transaction: lock the session row, write the change,
// the audit row and the outbox row, commit; Redis after commit. A creation
// without an Idempotency-Key is one autocommit statement that writes the
// three rows, shared with the creations that arrive while the previous one
// is written (group commit: db::SessionCreates, create_sessions_recorded);
// with a key, the claim, that
// statement and the stored response make one transaction. The Janus
// call of start/end/cancel comes BEFORE that transaction, with no row lock
// held (routes/janus_step.hpp: read, Janus, lock + nothing changed? + write);
// the whole request's Janus work is bounded by kJanusBudgetMs.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/requests.hpp"
#include "controller/app.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/idempotency.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/outbox.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/recordings_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/log.hpp"
#include "controller/live/redis_tracker.hpp"
#include "controller/routes/janus_step.hpp"
#include "controller/routes/presence_view.hpp"
#include "controller/routes/support.hpp"
#include "controller/routes/views.hpp"
#include "controller/live/session_cache.hpp"

namespace telemed {
namespace {

std::string location_for(const ControllerConfig& cfg, const std::string& id) {
    std::string base = cfg.public_base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/sessions/" + id;
}

Response json_text_response(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

// POST /sessions
Response create_session(const Request& req, AppContext& app) {
    Json body;
    Response error;
    if (!parse_json_object_body(req, &body, &error)) return error;
    FieldErrors errors;
    std::optional<CreateSessionRequest> in = parse_create_session(body.get(), errors);
    if (!in) return validation_problem(errors);

    std::optional<std::string> key;
    if (req.headers.count("idempotency-key") != 0) {
        std::string k(req.header("idempotency-key"));
        if (!db::valid_idempotency_key(k))
            return validation_problem({{"Idempotency-Key", "must be 1 to 255 printable ASCII characters"}});
        key = std::move(k);
    }
    const std::string actor = actor_of(req);
    const std::string hash = db::idempotency_request_hash(req.method, req.path, req.body);
    const std::string id = new_uuid_v4();
    const std::string location = location_for(app.config, id);

    // The creation's records (audit action `session.created`, outbox topic
    // `session.scheduled`: docs/API.md "Webhooks") describe the new row,
    // which is known before it is written: a `scheduled` session of the
    // requested kind and recording policy.
    db::Session created;
    created.id = id;
    created.kind = in->kind;
    created.status = SessionStatus::Scheduled;
    created.recording_policy = in->recording_policy;
    Json audit(json_object());
    json_object_set_new(audit.get(), "kind", json_str(to_string(created.kind)));
    json_object_set_new(audit.get(), "status", json_str(to_string(created.status)));
    json_object_set_new(audit.get(), "recording_policy", json_str(to_string(created.recording_policy)));
    Json payload = session_event_payload(created);
    const db::CreationRecords records{actor, "session.created", audit.get(), "session.scheduled", payload.get()};

    return guarded("POST /sessions", [&]() -> Response {
        std::optional<Response> early;
        std::string response_body;
        if (!key && app.creates) {
            // No key to claim: one statement with the creations that
            // arrive meanwhile (group commit, db::SessionCreates).
            const db::NewSession row{id, &*in, records};
            db::SessionCreates::Result grouped = app.creates->run(row);
            if (grouped.error) std::rethrow_exception(grouped.error);
            if (grouped.value) response_body = json_dump(session_view(*grouped.value, {}).get());
        }
        if (!key && response_body.empty()) {
            // Alone (no grouping, or the batch sent it back): the whole
            // creation is one autocommit statement
            // (db::create_session_recorded), one round trip.
            db::autocommit(app.db, [&](PGconn* c, int attempt) {
                // A later attempt follows a lost connection: the earlier
                // statement may have committed (then its row is the answer).
                // (A batch that sent its rows back wrote none of them: one
                // statement, all or nothing.)
                std::optional<db::Session> s = db::create_session_recorded(c, id, *in, records, attempt > 1);
                if (!s) s = db::find_session(c, id);
                if (!s) throw std::runtime_error("created session not found");
                response_body = json_dump(session_view(*s, {}).get());
            });
        } else if (key) {
            db::transact(app.db, [&](PGconn* c) {
                early.reset();
                std::optional<db::StoredResponse> prior = db::idem_claim(c, actor, *key, hash);
                if (prior) {
                    if (!constant_time_equal(prior->request_hash, hash)) {
                        early = problem(422, "idempotency-key-reused", "Idempotency key reused",
                                        "This Idempotency-Key was used with a different request.");
                    } else {
                        Response r = json_text_response(prior->status, prior->body);
                        if (prior->location) r.headers.emplace_back("Location", *prior->location);
                        r.headers.emplace_back("Idempotent-Replayed", "true");
                        early = std::move(r);
                    }
                    return db::TxnEnd::Rollback;
                }
                std::optional<db::Session> s = db::create_session_recorded(c, id, *in, records);
                if (!s) throw std::runtime_error("created session not returned");
                response_body = json_dump(session_view(*s, {}).get());
                db::idem_complete(c, actor, *key, 201, response_body, location);
                return db::TxnEnd::Commit;
            });
        }
        if (early) return *early;
        app.redis.session_changed(id, std::string(to_string(SessionStatus::Scheduled)), std::string(to_string(in->kind)));
        log_info("session %s created by %s", id.c_str(), actor.c_str());
        Response r = json_text_response(201, std::move(response_body));
        r.headers.emplace_back("Location", location);
        return r;
    });
}

// GET /sessions/{id}
Response get_session(const Request& req, AppContext& app) {
    const std::string& raw = req.params.at(0);
    if (!is_uuid(raw)) return not_found("No session with this id.");
    const std::string id = normalize_uuid(raw);
    // Read cache (controller/live/session_cache.hpp): a hit is the exact body a
    // database read would have produced, served without Postgres.
    // Presence (routes/presence_view.hpp) is added after the cache, fresh
    // from Redis on every request: it is never part of a cached body.
    // The entry keeps where each participant's presence goes: a hit splices
    // it in without parsing the cached body.
    if (SessionCache::Body hit = app.session_cache.lookup(id))
        return json_text_response(200, add_presence(*hit, id, app.presence));
    return guarded("GET /sessions/{id}", [&]() -> Response {
        // Taken BEFORE reading: a change committed meanwhile voids the fill.
        const SessionCache::Ticket ticket = app.session_cache.begin_fill(id);
        std::optional<db::Session> s;
        std::vector<db::Participant> parts;
        db::run_read(app.db, [&](PGconn* c) {
            s = db::find_session(c, id);
            if (s) parts = db::list_active_participants(c, id);
        });
        if (!s) return not_found("No session with this id.");
        SessionCache::Entry entry = session_view_entry(*s, parts);
        Response r = json_text_response(200, add_presence(entry, id, app.presence));
        app.session_cache.fill(id, ticket, std::move(entry));
        return r;
    });
}

// GET /sessions/{id}, first on the HTTP event thread: a read-cache hit whose
// presence the store read within kPresenceRecent (and this controller has
// not written since) is answered there, with the same text get_session
// would send, without the hand-off to the db lane and without Redis.
// Anything else goes to get_session on the lane.
constexpr std::chrono::milliseconds kPresenceRecent{500};

std::optional<Response> get_session_inline(const Request& req, AppContext& app) {
    const std::string& raw = req.params.at(0);
    if (!is_uuid(raw)) return std::nullopt;
    const std::string id = normalize_uuid(raw);
    // Counted as a hit only when answered here; otherwise the lane's lookup counts.
    SessionCache::Body hit = app.session_cache.peek(id);
    if (!hit) return std::nullopt;
    std::optional<std::string> body = add_recent_presence(*hit, id, app.presence, kPresenceRecent);
    if (!body) return std::nullopt;
    app.session_cache.count_hit();
    return json_text_response(200, std::move(*body));
}

// GET /sessions
Response list_sessions(const Request& req, AppContext& app) {
    FieldErrors errors;
    std::optional<ListSessionsQuery> q = parse_list_sessions(req.query, errors);
    if (!q) return validation_problem(errors);
    std::optional<db::SessionCursor> after;
    if (q->cursor) {
        after = db::decode_cursor(*q->cursor);
        if (!after) return validation_problem({{"cursor", "is not a cursor returned by this API"}});
    }
    return guarded("GET /sessions", [&]() -> Response {
        db::SessionPage page;
        db::run_read(app.db, [&](PGconn* c) { page = db::list_sessions(c, *q, after); });
        Json out(json_object());
        json_t* items = json_array();
        for (const db::Session& s : page.items) json_array_append_new(items, session_list_item_view(s).release());
        json_object_set_new(out.get(), "items", items);
        json_object_set_new(out.get(), "next_cursor",
                            page.next ? json_str(db::encode_cursor(*page.next)) : json_null());
        return Response::json(200, out.get());
    });
}

// POST /sessions/{id}/start|end|cancel
// The Janus call runs with no row lock held (routes/janus_step.hpp): read and
// check the transition, create_room / destroy_room, then lock, check that
// nothing changed meanwhile, and write the transition.
Response transition_session(const Request& req, AppContext& app, SessionAction t) {
    const std::string& raw = req.params.at(0);
    if (!is_uuid(raw)) return not_found("No session with this id.");
    const std::string id = normalize_uuid(raw);
    const std::string actor = actor_of(req);
    const std::string route = "POST /sessions/{id}/" + std::string(to_string(t));
    SessionCacheInvalidation invalidate(app.session_cache, id);  // after the transaction, whatever its outcome

    return guarded(route.c_str(), [&]() -> Response {
        std::optional<db::Session> result;
        std::vector<db::Participant> parts;
        SessionTransition tr{};
        SessionStatus from = SessionStatus::Scheduled;
        bool changed = false;
        std::optional<Response> answer = run_janus_step(
            app, id,
            [&](PGconn* c, JanusPlan& plan) -> std::optional<Response> {
                result.reset();
                parts.clear();
                std::optional<db::Session> s = db::find_session(c, id);
                if (!s) return not_found("No session with this id.");
                from = s->status;
                tr = session_transition(from, t);
                if (!tr.allowed) return invalid_transition(to_string(from), past_participle(t));
                parts = db::list_active_participants(c, id);
                if (t == SessionAction::Start) {
                    // Also on an already active session: re-creates a room a
                    // Janus restart lost, with its bans and permission sets.
                    std::vector<std::string> revoked =
                        db::removed_participant_ids(c, id, admin_api::kMaxRevokedInRequest);
                    plan.request = create_room_request(*s, "active", revoked, parts);
                    plan.op = "create_room";
                } else if (tr.changes) {
                    plan.request = admin_api::build_request(admin_api::DestroyRoomRequest{id});
                    plan.tolerate_missing_room = true;
                    plan.op = "destroy_room";
                }
                result = std::move(s);
                return std::nullopt;
            },
            [&](PGconn* c, const db::Session&) {
                changed = false;
                if (!tr.changes) return db::TxnEnd::Rollback;
                db::Session now = db::set_session_status(c, id, tr.to);
                // The end's destroy_room stopped the room's recording: a row
                // the plugin's `stopped` event has not reached yet is
                // stopped here (docs/DESIGN.md "Recording").
                if (tr.to == SessionStatus::Ended || tr.to == SessionStatus::Cancelled)
                    db::stop_live_recordings(c, id, actor);
                Json audit = transition_audit_data(from, tr.to);
                Json payload = session_event_payload(now);
                db::record_change(c, id, actor, change_topic(t), audit.get(), payload.get());
                result = std::move(now);
                changed = true;
                return db::TxnEnd::Commit;
            },
            JanusStepLock::Exclusive);
        // A failed COMMIT (db::CommitFailed -> 503 in guarded) after Janus
        // accepted is not compensated here: a started room is harmless
        // (start again), and the room reconciler destroys the room of a
        // session that is not open, or re-creates the room of an active one.
        if (answer) return *answer;
        if (t == SessionAction::Start)
            app.redis.session_changed(id, std::string(to_string(result->status)), std::string(to_string(result->kind)));
        else
            app.redis.session_closed(id);
        if (changed) log_info("session %s: %s by %s", id.c_str(), std::string(to_string(t)).c_str(), actor.c_str());
        Json view = session_view(*result, parts);
        return Response::json(200, view.get());
    });
}

Response start_session(const Request& req, AppContext& app) { return transition_session(req, app, SessionAction::Start); }
Response end_session(const Request& req, AppContext& app) { return transition_session(req, app, SessionAction::End); }
Response cancel_session(const Request& req, AppContext& app) { return transition_session(req, app, SessionAction::Cancel); }

}  // namespace

void register_session_routes(Router& r) {
    r.add("POST", "/sessions", true, Lane::Db, create_session);
    r.add("GET", "/sessions", true, Lane::Db, list_sessions);
    r.add(Route{.method = "GET", .pattern = "/sessions/{id}", .requires_auth = true, .lane = Lane::Db,
                .handler = get_session, .participant_auth = false, .sink = {}, .inline_first = get_session_inline});
    r.add("POST", "/sessions/{id}/start", true, Lane::Janus, start_session);
    r.add("POST", "/sessions/{id}/end", true, Lane::Janus, end_session);
    r.add("POST", "/sessions/{id}/cancel", true, Lane::Janus, cancel_session);
}

}  // namespace telemed
