// Recordings (docs/API.md "Recordings", docs/DESIGN.md "Recording"; shapes in
// docs/openapi.yaml). API key only. Start and stop drive the plugin through
// the Admin API `record` request (common/admin_api.hpp AdminRecordRequest) on the Janus
// lane, holding the session's lock shared like the other Janus steps
// (controller/live/session_locks.hpp: an end, which holds it exclusive,
// waits for them and they for it), within the request's Janus budget.
//
//   POST /sessions/{id}/recordings        no body or {}
//       1. one transaction (session row locked): the session must be active
//          (409 session-not-active), its policy not disabled (409
//          recording-disabled), no recording starting or on (409
//          recording-in-progress, with "recording_id"); a row `starting`
//          (audit recording.requested) is committed first;
//       2. Admin API {"request":"record","room","action":"start","recording_id"};
//       3. the answer written: on with our id -> `recording` (audit
//          recording.started) and 201 Recording + Location /recordings/{id};
//          a refusal or no answer -> the row `failed` (audit recording.failed)
//          and 409 session-not-active (4040: no room), 409
//          recording-disabled (4060), 409 recording-in-progress (4062, or
//          another id on), 503 recording-unavailable (5032), 503
//          janus-unavailable (unreachable, out of budget), 502 janus-error
//          (any other code, e.g. 4002 from a plugin without recording, or a
//          malformed answer).
//   POST /sessions/{id}/recordings/stop   no body
//       409 recording-required (policy required), 409 no-recording (none
//       starting or on); Admin API record stop; off (or 4040: no room, so
//       nothing records) -> the row `stopped` (audit recording.stopped) and
//       200 Recording; 4060 -> 409 recording-required; unreachable 503
//       janus-unavailable (row unchanged); other answers 502 janus-error.
//   GET /sessions/{id}/recordings?limit=&cursor=
//       200 {"items":[Recording],"next_cursor"} newest first; limit 1..100 (20).
//   GET /recordings/{id}                  200 Recording; 404.
// Recording: db::recording_json (tracks of the recording, consents of the
// session). 404 not-found for unknown / non-UUID ids; 503 database-unavailable.
// Logs: ids and codes only.
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/admin_api.hpp"
#include "common/admin_recording.hpp"
#include "common/ids.hpp"
#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/recordings_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/live/session_locks.hpp"
#include "controller/log.hpp"
#include "controller/routes/janus_step.hpp"
#include "controller/routes/recording_input.hpp"
#include "controller/routes/support.hpp"

namespace telemed {
namespace {

constexpr int kDefaultListLimit = 20;
constexpr int kMaxListLimit = 100;

Response session_not_active(std::string_view status) {
    return problem(409, "session-not-active", "Session not active",
                   "The session is " + std::string(status) + "; recordings run only while it is active.");
}
Response recording_disabled() {
    return problem(409, "recording-disabled", "Recording disabled",
                   "The session's recording_policy is disabled.");
}
Response recording_required() {
    return problem(409, "recording-required", "Recording required",
                   "The session's recording_policy is required: its recording cannot be stopped.");
}
Response no_recording() {
    return problem(409, "no-recording", "No recording", "No recording is starting or on in this session.");
}
Response recording_in_progress(const std::optional<std::string>& id) {
    Json doc = problem_json(409, "recording-in-progress", "Recording in progress",
                            "A recording of this session is already starting or on.");
    json_object_set_new(doc.get(), "recording_id", id ? json_str(*id) : json_null());
    return problem_response(409, doc.get());
}
Response recording_unavailable() {
    return service_unavailable("recording-unavailable", "Recording unavailable",
                               "The media server cannot record (no recording folder configured or usable).", 60);
}
Response janus_error(int plugin_error) {
    return problem(502, "janus-error", "Media server error",
                   plugin_error ? "The media server could not carry out the request (plugin error " +
                                      std::to_string(plugin_error) + ")."
                                : std::string("The media server's answer was not understood."));
}

std::optional<std::string> session_id_of(const Request& req) {
    const std::string& raw = req.params.at(0);
    if (!is_uuid(raw)) return std::nullopt;
    return normalize_uuid(raw);
}

Json view(PGconn* c, const db::RecordingRow& r) {
    return db::recording_json(r, db::list_tracks(c, r.id), db::list_consents(c, r.session_id), db::list_outputs(c, r.id));
}

// The body of a start: none, or a JSON object without fields.
std::optional<Response> check_start_body(const Request& req) {
    if (req.body.empty()) return std::nullopt;
    Json body;
    Response error;
    if (!parse_json_object_body(req, &body, &error)) return error;
    FieldErrors errors;
    if (!recording_input::parse_start(body.get(), errors)) return validation_problem(errors);
    return std::nullopt;
}

// What the plugin's answer to a start means.
struct StartOutcome {
    bool started = false;
    std::string error;       // our text for the failed row
    int plugin_error = 0;
    Response problem;        // when !started
    bool busy = false;       // 409 recording-in-progress: body names the live recording
    std::optional<std::string> other_id;
};

StartOutcome read_start_answer(const JanusAdmin::Result& r, const std::string& rid) {
    StartOutcome o;
    if (r.ok) {
        std::optional<admin_api::RecordingState> st = admin_api::parse_recording_reply(r.response.get());
        if (st && st->on && st->recording_id == rid) {
            o.started = true;
        } else if (st && st->on) {
            o.error = "another recording is on";
            o.busy = true;
            o.other_id = st->recording_id;
        } else {
            o.error = "unexpected answer from the media server";
            o.problem = janus_error(0);
        }
        return o;
    }
    if (r.unreachable) {
        o.error = "media server unreachable";
        o.problem = janus_unavailable();
        return o;
    }
    o.plugin_error = r.plugin_error;
    switch (admin_api::classify_record_refusal(r.plugin_error)) {
        case admin_api::RecordRefusal::NoRoom:
            o.error = "no room in the media server";
            o.problem = session_not_active("without a room in the media server");
            break;
        case admin_api::RecordRefusal::NotAllowed:
            o.error = "refused by the room's recording policy";
            o.problem = recording_disabled();
            break;
        case admin_api::RecordRefusal::Busy:
            o.error = "another recording is on";
            o.busy = true;
            break;
        case admin_api::RecordRefusal::Unavailable:
            o.error = "recording unavailable in the media server";
            o.problem = recording_unavailable();
            break;
        case admin_api::RecordRefusal::Other:
            o.error = "refused by the media server";
            o.problem = janus_error(r.plugin_error);
            break;
    }
    return o;
}

// POST /sessions/{id}/recordings
Response start_recording(const Request& req, AppContext& app) {
    std::optional<std::string> sid = session_id_of(req);
    if (!sid) return not_found("No session with this id.");
    if (std::optional<Response> bad = check_start_body(req)) return *bad;
    const std::string actor = actor_of(req);

    return guarded("POST /sessions/{id}/recordings", [&]() -> Response {
        std::shared_lock<std::shared_mutex> lock(session_locks().of(*sid));
        const JanusBudget budget;
        const std::string rid = new_uuid_v4();
        // 1. the `starting` row, committed before the plugin is asked.
        std::optional<Response> early;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            std::optional<db::Session> s = db::lock_session(c, *sid);
            if (!s) {
                early = not_found("No session with this id.");
                return db::TxnEnd::Rollback;
            }
            if (s->status != SessionStatus::Active) {
                early = session_not_active(to_string(s->status));
                return db::TxnEnd::Rollback;
            }
            if (s->recording_policy == RecordingPolicy::Disabled) {
                early = recording_disabled();
                return db::TxnEnd::Rollback;
            }
            if (std::optional<db::RecordingRow> live = db::find_live_recording(c, *sid)) {
                early = recording_in_progress(live->id);
                return db::TxnEnd::Rollback;
            }
            db::insert_starting(c, rid, *sid, actor);
            return db::TxnEnd::Commit;
        });
        if (early) return *early;

        // 2. the plugin, no transaction open.
        Json body = admin_api::build_request(admin_api::AdminRecordRequest{*sid, true, rid});
        const JanusAdmin::Result r = budget.call(app, body.get());
        StartOutcome o = read_start_answer(r, rid);

        // 3. the answer written.
        std::optional<db::RecordingRow> row;
        Json out;
        db::transact(app.db, [&](PGconn* c) {
            out.reset();
            std::optional<db::Session> s = db::lock_session(c, *sid);
            if (!s) throw std::runtime_error("recording without session");
            if (o.started) {
                const bool open = s->status == SessionStatus::Scheduled || s->status == SessionStatus::Active;
                db::note_started(c, *sid, open, rid, unix_now_micros(), std::nullopt, actor);
            } else {
                db::mark_failed(c, rid, *sid, o.error, o.plugin_error, actor);
                if (o.busy && !o.other_id)
                    if (std::optional<db::RecordingRow> live = db::find_live_recording(c, *sid)) o.other_id = live->id;
            }
            row = db::find_recording(c, rid);
            if (!row) throw std::runtime_error("recording row vanished");
            out = view(c, *row);
            return db::TxnEnd::Commit;
        });
        if (!o.started) {
            log_warn("session %s: recording %s not started: %s (plugin error %d%s)", sid->c_str(), rid.c_str(),
                     o.error.c_str(), o.plugin_error, r.unreachable ? ", unreachable" : "");
            return o.busy ? recording_in_progress(o.other_id) : o.problem;
        }
        log_info("session %s: recording %s started by %s", sid->c_str(), rid.c_str(), actor.c_str());
        Response resp = Response::json(201, out.get());
        resp.headers.emplace_back("Location", "/recordings/" + rid);
        return resp;
    });
}

// POST /sessions/{id}/recordings/stop
Response stop_recording(const Request& req, AppContext& app) {
    std::optional<std::string> sid = session_id_of(req);
    if (!sid) return not_found("No session with this id.");
    if (std::optional<Response> bad = check_start_body(req)) return *bad;
    const std::string actor = actor_of(req);

    return guarded("POST /sessions/{id}/recordings/stop", [&]() -> Response {
        std::shared_lock<std::shared_mutex> lock(session_locks().of(*sid));
        const JanusBudget budget;
        std::optional<Response> early;
        std::optional<db::RecordingRow> live;
        db::run_read(app.db, [&](PGconn* c) {
            early.reset();
            live.reset();
            std::optional<db::Session> s = db::find_session(c, *sid);
            if (!s) {
                early = not_found("No session with this id.");
                return;
            }
            if (s->recording_policy == RecordingPolicy::Required) {
                early = recording_required();
                return;
            }
            live = db::find_live_recording(c, *sid);
            if (!live) early = no_recording();
        });
        if (early) return *early;

        Json body = admin_api::build_request(admin_api::AdminRecordRequest{*sid, false, std::nullopt});
        const JanusAdmin::Result r = budget.call(app, body.get());
        bool stopped = false;
        std::optional<Response> refusal;
        if (r.ok) {
            std::optional<admin_api::RecordingState> st = admin_api::parse_recording_reply(r.response.get());
            if (st && !st->on)
                stopped = true;
            else
                refusal = janus_error(0);
        } else if (r.unreachable) {
            refusal = janus_unavailable();
        } else {
            switch (admin_api::classify_record_refusal(r.plugin_error)) {
                case admin_api::RecordRefusal::NoRoom: stopped = true; break;  // no room: nothing records
                case admin_api::RecordRefusal::NotAllowed: refusal = recording_required(); break;
                default: refusal = janus_error(r.plugin_error); break;
            }
        }
        if (!stopped) {
            log_warn("session %s: recording %s not stopped (plugin error %d%s)", sid->c_str(), live->id.c_str(),
                     r.plugin_error, r.unreachable ? ", unreachable" : "");
            return *refusal;
        }
        Json out;
        db::transact(app.db, [&](PGconn* c) {
            out.reset();
            if (!db::lock_session(c, *sid)) throw std::runtime_error("recording without session");
            db::note_stopped(c, *sid, live->id, unix_now_micros(), std::nullopt, {}, actor);
            std::optional<db::RecordingRow> row = db::find_recording(c, live->id);
            if (!row) throw std::runtime_error("recording row vanished");
            out = view(c, *row);
            return db::TxnEnd::Commit;
        });
        log_info("session %s: recording %s stopped by %s", sid->c_str(), live->id.c_str(), actor.c_str());
        return Response::json(200, out.get());
    });
}

// GET /sessions/{id}/recordings
Response list_session_recordings(const Request& req, AppContext& app) {
    std::optional<std::string> sid = session_id_of(req);
    if (!sid) return not_found("No session with this id.");
    int64_t limit = kDefaultListLimit;
    std::optional<db::RecordingCursor> after;
    FieldErrors errors;
    for (const auto& [k, v] : req.query) {
        if (req.query.count(k) > 1) {
            errors.push_back({k, "must not be repeated"});
        } else if (k == "limit") {
            if (!parse_query_int(v, 1, kMaxListLimit, &limit)) errors.push_back({"limit", "must be an integer in 1..100"});
        } else if (k == "cursor") {
            after = db::decode_recording_cursor(v);
            if (!after) errors.push_back({"cursor", "is not a cursor returned by this API"});
        } else {
            errors.push_back({k, "unknown query parameter"});
        }
    }
    if (!errors.empty()) return validation_problem(errors);

    return guarded("GET /sessions/{id}/recordings", [&]() -> Response {
        bool found = false;
        Json out(json_object());
        db::run_read(app.db, [&](PGconn* c) {
            out.reset(json_object());
            found = db::find_session(c, *sid).has_value();
            if (!found) return;
            db::RecordingPage page = db::list_recordings(c, *sid, after, static_cast<int>(limit));
            const std::vector<db::ConsentRow> consents = db::list_consents(c, *sid);
            json_t* items = json_array();
            for (const db::RecordingRow& r : page.items)
                json_array_append_new(items, db::recording_json(r, db::list_tracks(c, r.id), consents, db::list_outputs(c, r.id)).release());
            json_object_set_new(out.get(), "items", items);
            json_object_set_new(out.get(), "next_cursor",
                                page.next ? json_str(db::encode_recording_cursor(*page.next)) : json_null());
        });
        if (!found) return not_found("No session with this id.");
        return Response::json(200, out.get());
    });
}

// GET /recordings/{id}
Response get_recording(const Request& req, AppContext& app) {
    const std::string& raw = req.params.at(0);
    if (!is_uuid(raw)) return not_found("No recording with this id.");
    const std::string id = normalize_uuid(raw);
    if (!req.query.empty()) return validation_problem({{req.query.begin()->first, "unknown query parameter"}});
    return guarded("GET /recordings/{id}", [&]() -> Response {
        Json out;
        db::run_read(app.db, [&](PGconn* c) {
            out.reset();
            std::optional<db::RecordingRow> r = db::find_recording(c, id);
            if (r) out = view(c, *r);
        });
        if (!out) return not_found("No recording with this id.");
        return Response::json(200, out.get());
    });
}

}  // namespace

void register_recording_routes(Router& r) {
    r.add("POST", "/sessions/{id}/recordings", true, Lane::Janus, start_recording);
    r.add("POST", "/sessions/{id}/recordings/stop", true, Lane::Janus, stop_recording);
    r.add("GET", "/sessions/{id}/recordings", true, Lane::Db, list_session_recordings);
    r.add("GET", "/recordings/{id}", true, Lane::Db, get_recording);
}

}  // namespace telemed
