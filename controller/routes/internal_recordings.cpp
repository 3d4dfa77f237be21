// The plugin's recording store (docs/DESIGN.md "Recording"; docs/API.md
// "Internal endpoints"). Not for backends or participants: opened only by
// `Authorization: Bearer <plugin_secret>` (controller/http/auth.hpp
// plugin_authorized: constant time; an API key or a credential gets 401;
// an empty plugin_secret closes them). Bodies are parsed once by
// routes/recording_input.hpp (unknown fields, bad values: 422).
//
//   POST /internal/v1/consents {"session_id","participant_id","recording":bool}
//       One transaction under the session row lock: a new recording_consents
//       row and its audit row "recording.consent" {participant_id,
//       consent_id, recording} (actor participant:<id>).
//       201 {"id","created_at"}. Idempotent: when the participant's latest
//       stored answer has the same value, that row is answered (201, nothing
//       written), so a retried consent is stored once.
//       404 not-found (unknown session, or the participant is not of it),
//       409 session-closed (ended/cancelled), 409 participant-removed (a
//       removed participant's `true`; its `false` is stored), 400, 422, 401,
//       503 database-unavailable.
//   POST /internal/v1/recordings/events
//       {"session_id","recording_id","event":"started"|"stopped","by","at","tracks":[...],"fault"?}
//       started: db::note_started; stopped: db::note_stopped with the tracks
//       (each track's participant must be of the session and its consent_id
//       a stored consent = true of that participant in that session: else
//       422, nothing stored); `fault` "write_failed" (it stopped because a
//       write failed) is kept on the row: processed as incomplete. Accepted on an ended session too (the end's
//       destroy_room sends `stopped` afterwards). Repeats change nothing.
//       200 {}. 404 unknown session, 422 (also: recording_id of another
//       session, `by` not of the session), 400, 401, 503.
// Logs: ids and counts only.
#include <optional>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/recordings_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/auth.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/log.hpp"
#include "controller/routes/recording_input.hpp"
#include "controller/routes/support.hpp"

namespace telemed {
namespace {

bool session_open(const db::Session& s) {
    return s.status == SessionStatus::Scheduled || s.status == SessionStatus::Active;
}

// POST /internal/v1/consents
Response store_consent(const Request& req, AppContext& app) {
    if (!plugin_authorized(req, app.config.plugin_secret)) return plugin_unauthorized();
    Json body;
    Response error;
    if (!parse_json_object_body(req, &body, &error)) return error;
    FieldErrors errors;
    std::optional<recording_input::Consent> in = recording_input::parse_consent(body.get(), errors);
    if (!in) return validation_problem(errors);

    return guarded("POST /internal/v1/consents", [&]() -> Response {
        std::optional<Response> early;
        db::ConsentRow row;
        bool fresh = false;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            fresh = false;
            std::optional<db::Session> s = db::lock_session(c, in->session_id);
            if (!s) {
                early = not_found("No session with this id.");
                return db::TxnEnd::Rollback;
            }
            std::optional<db::Participant> p = db::find_participant(c, s->id, in->participant_id);
            if (!p) {
                early = not_found("No participant with this id in the session.");
                return db::TxnEnd::Rollback;
            }
            if (!session_open(*s)) {
                early = session_closed(to_string(s->status));
                return db::TxnEnd::Rollback;
            }
            if (!p->active && in->recording) {
                early = problem(409, "participant-removed", "Participant removed",
                                "A removed participant cannot consent to recording.");
                return db::TxnEnd::Rollback;
            }
            std::optional<db::ConsentRow> last = db::latest_consent(c, s->id, p->id);
            if (last && last->recording == in->recording) {
                row = *last;
                return db::TxnEnd::Rollback;  // a repeat: nothing to write
            }
            row = db::insert_consent(c, new_uuid_v4(), s->id, p->id, in->recording);
            Json audit(json_object());
            json_object_set_new(audit.get(), "participant_id", json_str(p->id));
            json_object_set_new(audit.get(), "consent_id", json_str(row.id));
            json_object_set_new(audit.get(), "recording", json_boolean(in->recording));
            db::record_change(c, s->id, "participant:" + p->id, "recording.consent", audit.get(), nullptr);
            fresh = true;
            return db::TxnEnd::Commit;
        });
        if (early) return *early;
        if (fresh)
            log_info("session %s: participant %s consent to recording %s (%s)", row.session_id.c_str(),
                     row.participant_id.c_str(), row.recording ? "given" : "withdrawn", row.id.c_str());
        Json out(json_object());
        json_object_set_new(out.get(), "id", json_str(row.id));
        json_object_set_new(out.get(), "created_at", json_str(format_rfc3339_micros(row.created_at)));
        return Response::json(201, out.get());
    });
}

// POST /internal/v1/recordings/events
Response store_recording_event(const Request& req, AppContext& app) {
    if (!plugin_authorized(req, app.config.plugin_secret)) return plugin_unauthorized();
    Json body;
    Response error;
    if (!parse_json_object_body(req, &body, &error)) return error;
    FieldErrors errors;
    std::optional<recording_input::Event> in = recording_input::parse_event(body.get(), errors);
    if (!in) return validation_problem(errors);
    const bool started = in->event == recording_input::EventKind::Started;

    return guarded("POST /internal/v1/recordings/events", [&]() -> Response {
        std::optional<Response> early;
        int stored_tracks = 0;
        bool changed = false;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            stored_tracks = 0;
            changed = false;
            std::optional<db::Session> s = db::lock_session(c, in->session_id);
            if (!s) {
                early = not_found("No session with this id.");
                return db::TxnEnd::Rollback;
            }
            std::optional<db::RecordingRow> existing = db::find_recording(c, in->recording_id);
            if (existing && existing->session_id != s->id) {
                early = validation_problem({{"recording_id", "names a recording of another session"}});
                return db::TxnEnd::Rollback;
            }
            if (in->by && !db::find_participant(c, s->id, *in->by)) {
                early = validation_problem({{"by", "must be a participant of the session"}});
                return db::TxnEnd::Rollback;
            }
            const std::string actor = in->by ? "participant:" + *in->by : std::string("system");
            if (started) {
                changed = db::note_started(c, s->id, session_open(*s), in->recording_id, in->at, in->by, actor);
                return db::TxnEnd::Commit;
            }
            std::vector<db::TrackRow> tracks;
            FieldErrors bad;
            for (std::size_t i = 0; i < in->tracks.size(); ++i) {
                const recording_input::Track& t = in->tracks[i];
                const std::string f = "tracks[" + std::to_string(i) + "]";
                if (!db::find_participant(c, s->id, t.participant_id)) {
                    bad.push_back({f + ".participant", "must be a participant of the session"});
                    continue;
                }
                std::optional<db::ConsentRow> k = db::find_consent(c, t.consent_id);
                if (!k || k->session_id != s->id || k->participant_id != t.participant_id || !k->recording) {
                    bad.push_back({f + ".consent_id", "must be a stored consent to recording of that participant"});
                    continue;
                }
                tracks.push_back(db::TrackRow{in->recording_id, t.participant_id, t.source, t.codec, t.file,
                                              t.consent_id, t.started_at, t.stopped_at});
            }
            if (!bad.empty()) {
                early = validation_problem(bad);
                return db::TxnEnd::Rollback;
            }
            const std::optional<db::RecordingRow> before = existing;
            stored_tracks = db::note_stopped(c, s->id, in->recording_id, in->at, in->by, tracks, actor, in->fault);
            changed = !before || before->state != "stopped" || stored_tracks > 0;
            return db::TxnEnd::Commit;
        });
        if (early) {
            log_warn("recording %s event of session %s refused (%d)", in->recording_id.c_str(),
                     in->session_id.c_str(), early->status);
            return *early;
        }
        if (changed)
            log_info("session %s: recording %s %s (%d tracks stored)", in->session_id.c_str(),
                     in->recording_id.c_str(), started ? "started" : "stopped", stored_tracks);
        Json out(json_object());
        return Response::json(200, out.get());
    });
}

}  // namespace

void register_internal_recording_routes(Router& r) {
    r.add("POST", "/internal/v1/consents", false, Lane::Db, store_consent);
    r.add("POST", "/internal/v1/recordings/events", false, Lane::Db, store_recording_event);
}

}  // namespace telemed
