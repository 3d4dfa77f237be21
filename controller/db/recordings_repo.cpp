// Rows of the recording tables (controller/db/recordings_repo.hpp).
#include "controller/db/recordings_repo.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/timeutil.hpp"
#include "controller/db/audit.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/outbox.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {
namespace {

#define CONSENT_COLUMNS \
    "k.id::text, k.session_id::text, k.participant_id::text, k.recording, " TELEMED_SQL_MICROS("k.created_at")

#define RECORDING_COLUMNS                                                                                        \
    "r.id::text, r.session_id::text, r.state, " TELEMED_SQL_MICROS("r.started_at") ", "                          \
    TELEMED_SQL_MICROS("r.stopped_at") ", r.started_by::text, r.error, " TELEMED_SQL_MICROS("r.created_at") ", " \
    TELEMED_SQL_MICROS("r.updated_at") ", r.attempts, r.duration_ms, " TELEMED_SQL_MICROS("r.processed_at") ", r.fault"
constexpr int kRecordingColumns = 13;  // what recording_of reads; a query's own columns follow

#define OUTPUT_COLUMNS                                                                                      \
    "o.id::text, o.recording_id::text, o.kind, o.participant_id::text, o.content_type, o.size, o.sha256, "   \
    "o.duration_ms, o.video_codec, o.audio_codec, o.key_id, o.wrapped_key, " TELEMED_SQL_MICROS("o.created_at")

#define TRACK_COLUMNS                                                                                    \
    "t.recording_id::text, t.participant_id::text, t.source, t.codec, t.file, t.consent_id::text, "      \
    TELEMED_SQL_MICROS("t.started_at") ", " TELEMED_SQL_MICROS("t.stopped_at")

ConsentRow consent_of(const PGresult* r, int i) {
    ConsentRow k;
    k.id = str(r, i, 0);
    k.session_id = str(r, i, 1);
    k.participant_id = str(r, i, 2);
    k.recording = boolean(r, i, 3);
    k.created_at = int64(r, i, 4);
    return k;
}

RecordingRow recording_of(const PGresult* r, int i) {
    RecordingRow x;
    x.id = str(r, i, 0);
    x.session_id = str(r, i, 1);
    x.state = str(r, i, 2);
    x.started_at = int64(r, i, 3);
    x.stopped_at = opt_int64(r, i, 4);
    x.started_by = opt_str(r, i, 5);
    x.error = opt_str(r, i, 6);
    x.created_at = int64(r, i, 7);
    x.updated_at = int64(r, i, 8);
    x.attempts = static_cast<int>(int64(r, i, 9));
    x.duration_ms = opt_int64(r, i, 10);
    x.processed_at = opt_int64(r, i, 11);
    x.fault = opt_str(r, i, 12);
    return x;
}

TrackRow track_of(const PGresult* r, int i) {
    TrackRow t;
    t.recording_id = str(r, i, 0);
    t.participant_id = str(r, i, 1);
    t.source = str(r, i, 2);
    t.codec = str(r, i, 3);
    t.file = str(r, i, 4);
    t.consent_id = str(r, i, 5);
    t.started_at = int64(r, i, 6);
    t.stopped_at = opt_int64(r, i, 7);
    return t;
}

std::optional<RecordingRow> one_recording(const ResultPtr& r) {
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return recording_of(r.get(), 0);
}

void audit(PGconn* c, const std::string& session_id, const std::string& actor, const char* action,
           const std::string& recording_id, const char* reason = nullptr, const std::optional<std::string>& by = {},
           int tracks = -1, int plugin_error = 0) {
    Json data(json_object());
    json_object_set_new(data.get(), "recording_id", json_str(recording_id));
    if (reason) json_object_set_new(data.get(), "reason", json_string(reason));
    if (by) json_object_set_new(data.get(), "by", json_str(*by));
    if (tracks >= 0) json_object_set_new(data.get(), "tracks", json_integer(tracks));
    if (plugin_error) json_object_set_new(data.get(), "error_code", json_integer(plugin_error));
    record_change(c, session_id, actor, action, data.get(), nullptr);
}

RecordingRow insert_recording(PGconn* c, const std::string& id, const std::string& session_id, const char* state,
                              int64_t started_at, const std::optional<int64_t>& stopped_at,
                              const std::optional<std::string>& by) {
    ResultPtr r = exec(c,
                       "INSERT INTO recordings AS r (id, session_id, state, started_at, stopped_at, started_by)"
                       " VALUES ($1::uuid, $2::uuid, $3, " TELEMED_SQL_FROM_MICROS("$4") ", "
                       TELEMED_SQL_FROM_MICROS("$5") ", $6::uuid) RETURNING " RECORDING_COLUMNS,
                       Params().add(id).add(session_id).add(state).add(started_at).add(stopped_at).add(by));
    return recording_of(r.get(), 0);
}

void set_stopped(PGconn* c, const std::string& id, const std::optional<int64_t>& at) {
    exec(c,
         "UPDATE recordings SET state = 'stopped', stopped_at = coalesce(" TELEMED_SQL_FROM_MICROS("$2") ", now()),"
         " updated_at = now() WHERE id = $1::uuid",
         Params().add(id).add(at));
}

bool is_one_of(const std::string& s, std::initializer_list<const char*> states) {
    return std::any_of(states.begin(), states.end(), [&](const char* x) { return s == x; });
}

}  // namespace

// ---- consents ----

ConsentRow insert_consent(PGconn* c, const std::string& id, const std::string& session_id,
                          const std::string& participant_id, bool recording) {
    ResultPtr r = exec(c,
                       "INSERT INTO recording_consents AS k (id, session_id, participant_id, recording)"
                       " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::boolean) RETURNING " CONSENT_COLUMNS,
                       Params().add(id).add(session_id).add(participant_id).add_bool(recording));
    return consent_of(r.get(), 0);
}

std::optional<ConsentRow> latest_consent(PGconn* c, const std::string& session_id, const std::string& participant_id) {
    ResultPtr r = exec(c,
                       "SELECT " CONSENT_COLUMNS " FROM recording_consents k WHERE k.participant_id = $2::uuid"
                       " AND k.session_id = $1::uuid ORDER BY k.created_at DESC, k.id DESC LIMIT 1",
                       Params().add(session_id).add(participant_id));
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return consent_of(r.get(), 0);
}

std::optional<ConsentRow> find_consent(PGconn* c, const std::string& id) {
    ResultPtr r = exec(c, "SELECT " CONSENT_COLUMNS " FROM recording_consents k WHERE k.id = $1::uuid",
                       Params().add(id));
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return consent_of(r.get(), 0);
}

std::vector<ConsentRow> list_consents(PGconn* c, const std::string& session_id, int limit) {
    ResultPtr r = exec(c,
                       "SELECT " CONSENT_COLUMNS " FROM recording_consents k WHERE k.session_id = $1::uuid"
                       " ORDER BY k.created_at, k.id LIMIT $2::int",
                       Params().add(session_id).add(limit));
    std::vector<ConsentRow> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(consent_of(r.get(), i));
    return out;
}

// ---- recordings ----

std::optional<RecordingRow> find_recording(PGconn* c, const std::string& id) {
    return one_recording(
        exec(c, "SELECT " RECORDING_COLUMNS " FROM recordings r WHERE r.id = $1::uuid", Params().add(id)));
}

std::optional<RecordingRow> find_live_recording(PGconn* c, const std::string& session_id) {
    return one_recording(exec(c,
                              "SELECT " RECORDING_COLUMNS " FROM recordings r WHERE r.session_id = $1::uuid"
                              " AND r.state IN ('starting', 'recording')",
                              Params().add(session_id)));
}

RecordingRow insert_starting(PGconn* c, const std::string& id, const std::string& session_id,
                             const std::string& actor) {
    ResultPtr r = exec(c,
                       "INSERT INTO recordings AS r (id, session_id, state) VALUES ($1::uuid, $2::uuid, 'starting')"
                       " RETURNING " RECORDING_COLUMNS,
                       Params().add(id).add(session_id));
    audit(c, session_id, actor, "recording.requested", id);
    return recording_of(r.get(), 0);
}

std::optional<RecordingRow> mark_failed(PGconn* c, const std::string& id, const std::string& session_id,
                                        const std::string& error, int plugin_error, const std::string& actor) {
    std::optional<RecordingRow> row = one_recording(
        exec(c,
             "UPDATE recordings AS r SET state = 'failed', error = $2, updated_at = now()"
             " WHERE r.id = $1::uuid AND r.state = 'starting' RETURNING " RECORDING_COLUMNS,
             Params().add(id).add(error)));
    if (row) audit(c, session_id, actor, "recording.failed", id, nullptr, {}, -1, plugin_error);
    return row;
}

bool note_started(PGconn* c, const std::string& session_id, bool session_open, const std::string& id, int64_t at,
                  const std::optional<std::string>& by, const std::string& actor) {
    std::optional<RecordingRow> row = find_recording(c, id);
    if (row && !is_one_of(row->state, {"starting", "failed"})) return false;  // a repeat
    if (!session_open) {
        // Late: the session ended meanwhile (its end stopped the rest).
        if (row)
            set_stopped(c, id, std::nullopt);
        else
            insert_recording(c, id, session_id, "stopped", at, std::nullopt, by);
        audit(c, session_id, actor, "recording.started", id, "late", by);
        return false;
    }
    std::optional<RecordingRow> live = find_live_recording(c, session_id);
    if (live && live->id != id) {
        if (live->started_at > at) {
            // `id` is older than the live one: a late event of a past recording.
            if (!row) {
                insert_recording(c, id, session_id, "stopped", at, std::nullopt, by);
                audit(c, session_id, actor, "recording.started", id, "late", by);
            }
            return false;
        }
        if (live->state == "recording") {
            set_stopped(c, live->id, at);
            audit(c, session_id, actor, "recording.stopped", live->id, "superseded");
        } else {
            mark_failed(c, live->id, session_id, "another recording started", 0, actor);
        }
    }
    if (row) {
        exec(c,
             "UPDATE recordings SET state = 'recording', started_at = " TELEMED_SQL_FROM_MICROS("$2") ","
             " started_by = coalesce(started_by, $3::uuid), error = NULL, updated_at = now() WHERE id = $1::uuid",
             Params().add(id).add(at).add(by));
    } else {
        insert_recording(c, id, session_id, "recording", at, std::nullopt, by);
    }
    audit(c, session_id, actor, "recording.started", id, nullptr, by);
    // Webhook `recording.started` (docs/API.md "Webhooks"): only a start that
    // is live now, never a late or superseded one (those are audited above).
    Json event(json_object());
    json_object_set_new(event.get(), "session_id", json_str(session_id));
    json_object_set_new(event.get(), "recording_id", json_str(id));
    json_object_set_new(event.get(), "by", by ? json_str(*by) : json_null());
    outbox_enqueue(c, "recording.started", event.get());
    return true;
}

int note_stopped(PGconn* c, const std::string& session_id, const std::string& id, int64_t at,
                 const std::optional<std::string>& by, const std::vector<TrackRow>& tracks, const std::string& actor,
                 const std::optional<std::string>& fault) {
    std::optional<RecordingRow> row = find_recording(c, id);
    bool stopped_now = false;
    if (!row) {
        int64_t first = at;
        for (const TrackRow& t : tracks) first = std::min(first, t.started_at);
        insert_recording(c, id, session_id, "stopped", first, at, std::nullopt);
        stopped_now = true;
    } else if (is_one_of(row->state, {"starting", "recording", "failed"})) {
        set_stopped(c, id, at);
        stopped_now = true;
    } else if (row->state == "stopped") {
        // The earlier of two known stops (a session end may have come first).
        exec(c,
             "UPDATE recordings SET stopped_at = " TELEMED_SQL_FROM_MICROS("$2") ", updated_at = now()"
             " WHERE id = $1::uuid AND (stopped_at IS NULL OR stopped_at > " TELEMED_SQL_FROM_MICROS("$2") ")",
             Params().add(id).add(at));
    }
    // A fault is kept whatever came first (a session end may have stopped
    // the row already): the outcome is then incomplete, never available.
    if (fault)
        exec(c, "UPDATE recordings SET fault = $2, updated_at = now() WHERE id = $1::uuid AND fault IS NULL",
             Params().add(id).add(*fault));
    int inserted = 0;
    for (const TrackRow& t : tracks) {
        ResultPtr r = exec(c,
                           "INSERT INTO recording_tracks (recording_id, participant_id, source, codec, file, consent_id,"
                           " started_at, stopped_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::uuid, "
                           TELEMED_SQL_FROM_MICROS("$7") ", " TELEMED_SQL_FROM_MICROS("$8") ")"
                           " ON CONFLICT (recording_id, file) DO NOTHING",
                           Params().add(id).add(t.participant_id).add(t.source).add(t.codec).add(t.file)
                               .add(t.consent_id).add(t.started_at).add(t.stopped_at));
        inserted += std::atoi(PQcmdTuples(r.get()));
    }
    if (stopped_now)
        audit(c, session_id, actor, "recording.stopped", id, fault ? fault->c_str() : nullptr, by,
              static_cast<int>(tracks.size()));
    else if (inserted > 0)
        audit(c, session_id, actor, "recording.tracks_stored", id, nullptr, {}, inserted);
    return inserted;
}

std::vector<std::string> stop_live_recordings(PGconn* c, const std::string& session_id, const std::string& actor) {
    ResultPtr r = exec(c,
                       "UPDATE recordings SET state = 'stopped', stopped_at = now(), updated_at = now()"
                       " WHERE session_id = $1::uuid AND state IN ('starting', 'recording') RETURNING id::text",
                       Params().add(session_id));
    std::vector<std::string> ids;
    for (int i = 0; i < PQntuples(r.get()); ++i) ids.push_back(str(r.get(), i, 0));
    for (const std::string& id : ids) audit(c, session_id, actor, "recording.stopped", id, "session_ended");
    return ids;
}

std::vector<TrackRow> list_tracks(PGconn* c, const std::string& recording_id) {
    ResultPtr r = exec(c,
                       "SELECT " TRACK_COLUMNS " FROM recording_tracks t WHERE t.recording_id = $1::uuid"
                       " ORDER BY t.started_at, t.file",
                       Params().add(recording_id));
    std::vector<TrackRow> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(track_of(r.get(), i));
    return out;
}

// ---- post-processing jobs ----

namespace {
OutputRow output_of(const PGresult* r, int i) {
    OutputRow o;
    o.id = str(r, i, 0);
    o.recording_id = str(r, i, 1);
    o.kind = str(r, i, 2);
    o.participant_id = opt_str(r, i, 3);
    o.content_type = str(r, i, 4);
    o.size = int64(r, i, 5);
    o.sha256 = bytea(r, i, 6);
    o.duration_ms = int64(r, i, 7);
    o.video_codec = opt_str(r, i, 8);
    o.audio_codec = opt_str(r, i, 9);
    o.key_id = str(r, i, 10);
    if (!is_null(r, i, 11)) o.wrapped_key = bytea(r, i, 11);
    o.created_at = int64(r, i, 12);
    return o;
}
}  // namespace

std::vector<JobCandidate> lock_job_candidates(PGconn* c, unsigned grace_s, int limit) {
    ResultPtr r = exec(c,
                       "SELECT " RECORDING_COLUMNS ", (r.state = 'processing' AND r.lease_until < now()),"
                       " (coalesce(r.stopped_at, r.updated_at) + make_interval(secs => $1::int) < now())"
                       " FROM recordings r WHERE (r.state = 'stopped' AND (r.next_attempt_at IS NULL OR"
                       " r.next_attempt_at <= now())) OR (r.state = 'processing' AND r.lease_until < now())"
                       " ORDER BY r.updated_at, r.id LIMIT $2::int FOR UPDATE SKIP LOCKED",
                       Params().add(static_cast<int64_t>(grace_s)).add(limit));
    std::vector<JobCandidate> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        JobCandidate j;
        j.row = recording_of(r.get(), i);
        j.lease_expired = boolean(r.get(), i, kRecordingColumns);
        j.grace_over = boolean(r.get(), i, kRecordingColumns + 1);
        out.push_back(std::move(j));
    }
    return out;
}

int claim_job(PGconn* c, const std::string& id, unsigned lease_s) {
    ResultPtr r = exec(c,
                       "UPDATE recordings SET state = 'processing', attempts = attempts + 1, next_attempt_at = NULL,"
                       " lease_until = now() + make_interval(secs => $2::int), updated_at = now()"
                       " WHERE id = $1::uuid RETURNING attempts",
                       Params().add(id).add(static_cast<int64_t>(lease_s)));
    return static_cast<int>(int64(r.get(), 0, 0));
}

bool renew_job_lease(PGconn* c, const std::string& id, int attempt, unsigned lease_s) {
    ResultPtr r = exec(c,
                       "UPDATE recordings SET lease_until = now() + make_interval(secs => $3::int)"
                       " WHERE id = $1::uuid AND state = 'processing' AND attempts = $2::int",
                       Params().add(id).add(attempt).add(static_cast<int64_t>(lease_s)));
    return std::atoi(PQcmdTuples(r.get())) == 1;
}

void release_job(PGconn* c, const std::string& id, int attempt) {
    exec(c,
         "UPDATE recordings SET lease_until = now() - interval '1 second'"
         " WHERE id = $1::uuid AND state = 'processing' AND attempts = $2::int",
         Params().add(id).add(attempt));
}

bool job_still_ours(PGconn* c, const std::string& id, int attempt) {
    ResultPtr r = exec(c,
                       "SELECT 1 FROM recordings WHERE id = $1::uuid AND state = 'processing' AND attempts = $2::int"
                       " FOR UPDATE",
                       Params().add(id).add(attempt));
    return PQntuples(r.get()) == 1;
}

void fail_job(PGconn* c, const std::string& session_id, const std::string& id, const std::string& error,
              bool final, int64_t retry_in_s, int attempts) {
    if (final) {
        exec(c,
             "UPDATE recordings SET state = 'failed', error = $2, lease_until = NULL, next_attempt_at = NULL,"
             " updated_at = now() WHERE id = $1::uuid",
             Params().add(id).add(error));
        Json data(json_object());
        json_object_set_new(data.get(), "recording_id", json_str(id));
        json_object_set_new(data.get(), "reason", json_string("processing"));
        json_object_set_new(data.get(), "attempts", json_integer(attempts));
        record_change(c, session_id, "system", "recording.failed", data.get(), nullptr);
    } else {
        exec(c,
             "UPDATE recordings SET state = 'stopped', error = $2, lease_until = NULL,"
             " next_attempt_at = now() + make_interval(secs => $3::int), updated_at = now() WHERE id = $1::uuid",
             Params().add(id).add(error).add(retry_in_s));
    }
}

void complete_job(PGconn* c, const std::string& session_id, const std::string& id, const std::string& state,
                  const std::optional<int64_t>& duration_ms, const std::vector<OutputRow>& outputs, int tracks,
                  int left_out) {
    for (const OutputRow& o : outputs) {
        Params p;
        p.add(o.id).add(id).add(o.kind).add(o.participant_id).add(o.content_type).add(o.size).add_bytea(o.sha256)
            .add(o.duration_ms).add(o.video_codec).add(o.audio_codec).add(o.key_id);
        if (o.wrapped_key) p.add_bytea(*o.wrapped_key); else p.add_null();
        exec(c,
             "INSERT INTO recording_outputs (id, recording_id, kind, participant_id, content_type, size, sha256,"
             " duration_ms, video_codec, audio_codec, key_id, wrapped_key) VALUES ($1::uuid, $2::uuid, $3, $4::uuid,"
             " $5, $6::int8, $7::bytea, $8::int8, $9, $10, $11, $12::bytea)",
             p);
    }
    exec(c,
         "UPDATE recordings SET state = $2, duration_ms = $3::int8, processed_at = now(), error = NULL,"
         " lease_until = NULL, next_attempt_at = NULL, updated_at = now() WHERE id = $1::uuid",
         Params().add(id).add(state).add(duration_ms));
    Json data(json_object());
    json_object_set_new(data.get(), "recording_id", json_str(id));
    json_object_set_new(data.get(), "state", json_str(state));
    json_object_set_new(data.get(), "outputs", json_integer(static_cast<json_int_t>(outputs.size())));
    json_object_set_new(data.get(), "tracks", json_integer(tracks));
    json_object_set_new(data.get(), "left_out", json_integer(left_out));
    audit_append(c, session_id, "system", "recording.processed", data.get());
    Json event(json_object());
    json_object_set_new(event.get(), "session_id", json_str(session_id));
    json_object_set_new(event.get(), "recording_id", json_str(id));
    json_object_set_new(event.get(), "state", json_str(state));
    json_object_set_new(event.get(), "duration_ms", duration_ms ? json_integer(*duration_ms) : json_null());
    json_t* outs = json_array();
    for (const OutputRow& o : outputs) {
        json_t* j = json_object();
        json_object_set_new(j, "id", json_str(o.id));
        json_object_set_new(j, "kind", json_str(o.kind));
        json_object_set_new(j, "participant_id", o.participant_id ? json_str(*o.participant_id) : json_null());
        json_array_append_new(outs, j);
    }
    json_object_set_new(event.get(), "outputs", outs);
    outbox_enqueue(c, "recording.available", event.get());
}

void insert_missing_tracks(PGconn* c, const std::string& recording_id, const std::vector<TrackRow>& tracks) {
    for (const TrackRow& t : tracks)
        exec(c,
             "INSERT INTO recording_tracks (recording_id, participant_id, source, codec, file, consent_id,"
             " started_at, stopped_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::uuid, "
             TELEMED_SQL_FROM_MICROS("$7") ", " TELEMED_SQL_FROM_MICROS("$8") ")"
             " ON CONFLICT (recording_id, file) DO NOTHING",
             Params().add(recording_id).add(t.participant_id).add(t.source).add(t.codec).add(t.file)
                 .add(t.consent_id).add(t.started_at).add(t.stopped_at));
}

std::vector<OutputRow> list_outputs(PGconn* c, const std::string& recording_id) {
    ResultPtr r = exec(c,
                       "SELECT " OUTPUT_COLUMNS " FROM recording_outputs o WHERE o.recording_id = $1::uuid"
                       " AND o.shredded_at IS NULL ORDER BY (o.kind = 'composite') DESC, o.participant_id, o.id",
                       Params().add(recording_id));
    std::vector<OutputRow> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(output_of(r.get(), i));
    return out;
}

std::vector<std::pair<std::string, std::string>> recordings_due_for_shredding(PGconn* c, int days, int limit) {
    ResultPtr r = exec(c,
                       "SELECT r.id::text, r.session_id::text FROM recordings r"
                       " WHERE r.processed_at < now() - make_interval(days => $1::int)"
                       " AND EXISTS (SELECT 1 FROM recording_outputs o WHERE o.recording_id = r.id"
                       " AND o.wrapped_key IS NOT NULL) LIMIT $2::int",
                       Params().add(days).add(limit));
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.emplace_back(str(r.get(), i, 0), str(r.get(), i, 1));
    return out;
}

std::vector<std::string> shred_recording_outputs(PGconn* c, const std::string& recording_id) {
    ResultPtr r = exec(c,
                       "UPDATE recording_outputs SET wrapped_key = NULL, shredded_at = now()"
                       " WHERE recording_id = $1::uuid AND wrapped_key IS NOT NULL RETURNING id::text",
                       Params().add(recording_id));
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(str(r.get(), i, 0));
    return out;
}

std::optional<OutputRow> find_output(PGconn* c, const std::string& id) {
    ResultPtr r = exec(c, "SELECT " OUTPUT_COLUMNS " FROM recording_outputs o WHERE o.id = $1::uuid", Params().add(id));
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return output_of(r.get(), 0);
}

std::optional<OutputRow> find_composite_output(PGconn* c, const std::string& recording_id) {
    ResultPtr r = exec(c,
                       "SELECT " OUTPUT_COLUMNS " FROM recording_outputs o"
                       " WHERE o.recording_id = $1::uuid AND o.kind = 'composite'",
                       Params().add(recording_id));
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return output_of(r.get(), 0);
}

std::vector<RecordingRow> live_recordings_older_than(PGconn* c, unsigned grace_s, int limit) {
    ResultPtr r = exec(c,
                       "SELECT " RECORDING_COLUMNS " FROM recordings r WHERE r.state = 'recording'"
                       " AND r.started_at + make_interval(secs => $1::int) < now()"
                       " AND r.updated_at + make_interval(secs => $1::int) < now()"
                       " ORDER BY r.started_at, r.id LIMIT $2::int",
                       Params().add(static_cast<int64_t>(grace_s)).add(limit));
    std::vector<RecordingRow> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(recording_of(r.get(), i));
    return out;
}

bool stop_lost_recording(PGconn* c, const std::string& session_id, const std::string& id) {
    ResultPtr r = exec(c,
                       "UPDATE recordings SET state = 'stopped', stopped_at = now(), fault = 'media_server_lost',"
                       " updated_at = now() WHERE id = $1::uuid AND state = 'recording'",
                       Params().add(id));
    if (std::atoi(PQcmdTuples(r.get())) != 1) return false;
    audit(c, session_id, "system", "recording.stopped", id, "media_server_lost");
    return true;
}

std::vector<ConsentRow> latest_consents_of_active(PGconn* c, const std::string& session_id, int limit) {
    ResultPtr r = exec(c,
                       "SELECT " CONSENT_COLUMNS " FROM ("
                       " SELECT DISTINCT ON (k.participant_id) k.* FROM recording_consents k"
                       " JOIN participants p ON p.id = k.participant_id AND p.session_id = k.session_id"
                       " WHERE k.session_id = $1::uuid AND p.status = 'active'"
                       " ORDER BY k.participant_id, k.created_at DESC, k.id DESC) k"
                       " ORDER BY k.participant_id LIMIT $2::int",
                       Params().add(session_id).add(limit));
    std::vector<ConsentRow> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(consent_of(r.get(), i));
    return out;
}

std::optional<RecordingRow> latest_recording(PGconn* c, const std::string& session_id) {
    return one_recording(exec(c,
                              "SELECT " RECORDING_COLUMNS " FROM recordings r WHERE r.session_id = $1::uuid"
                              " ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
                              Params().add(session_id)));
}

std::string encode_recording_cursor(const RecordingCursor& c) { return encode_keyset_cursor("r1", c); }

std::optional<RecordingCursor> decode_recording_cursor(std::string_view text) { return decode_keyset_cursor("r1", text); }

RecordingPage list_recordings(PGconn* c, const std::string& session_id, const std::optional<RecordingCursor>& after,
                              int limit) {
    Params p;
    p.add(session_id).add(after ? std::optional<int64_t>(after->created_at) : std::nullopt)
        .add(after ? std::optional<std::string>(after->id) : std::nullopt).add(limit + 1);
    ResultPtr r = exec(c,
                       "SELECT " RECORDING_COLUMNS " FROM recordings r WHERE r.session_id = $1::uuid"
                       " AND ($2::int8 IS NULL OR (" TELEMED_SQL_MICROS("r.created_at") ", r.id) < ($2::int8, $3::uuid))"
                       " ORDER BY r.created_at DESC, r.id DESC LIMIT $4::int",
                       p);
    RecordingPage page;
    const int n = PQntuples(r.get());
    for (int i = 0; i < n && i < limit; ++i) page.items.push_back(recording_of(r.get(), i));
    if (n > limit && !page.items.empty())
        page.next = RecordingCursor{page.items.back().created_at, page.items.back().id};
    return page;
}

namespace {
json_t* time_or_null(const std::optional<int64_t>& t) {
    return t ? json_str(format_rfc3339_micros(*t)) : json_null();
}
json_t* str_or_null(const std::optional<std::string>& s) { return s ? json_str(*s) : json_null(); }
}  // namespace

Json recording_json(const RecordingRow& r, const std::vector<TrackRow>& tracks, const std::vector<ConsentRow>& consents,
                    const std::vector<OutputRow>& outputs) {
    Json o(json_object());
    json_object_set_new(o.get(), "id", json_str(r.id));
    json_object_set_new(o.get(), "session_id", json_str(r.session_id));
    json_object_set_new(o.get(), "state", json_str(r.state));
    json_object_set_new(o.get(), "started_at", json_str(format_rfc3339_micros(r.started_at)));
    json_object_set_new(o.get(), "stopped_at", time_or_null(r.stopped_at));
    json_object_set_new(o.get(), "started_by", str_or_null(r.started_by));
    json_object_set_new(o.get(), "error", str_or_null(r.error));
    json_object_set_new(o.get(), "fault", str_or_null(r.fault));
    json_object_set_new(o.get(), "created_at", json_str(format_rfc3339_micros(r.created_at)));
    json_object_set_new(o.get(), "updated_at", json_str(format_rfc3339_micros(r.updated_at)));
    json_object_set_new(o.get(), "duration_ms", r.duration_ms ? json_integer(*r.duration_ms) : json_null());
    json_object_set_new(o.get(), "processed_at", time_or_null(r.processed_at));
    json_object_set_new(o.get(), "attempts", json_integer(r.attempts));
    json_t* ts = json_array();
    for (const TrackRow& t : tracks) {
        json_t* j = json_object();
        json_object_set_new(j, "participant_id", json_str(t.participant_id));
        json_object_set_new(j, "source", json_str(t.source));
        json_object_set_new(j, "codec", json_str(t.codec));
        json_object_set_new(j, "started_at", json_str(format_rfc3339_micros(t.started_at)));
        json_object_set_new(j, "stopped_at", time_or_null(t.stopped_at));
        json_object_set_new(j, "consent_id", json_str(t.consent_id));
        json_array_append_new(ts, j);
    }
    json_object_set_new(o.get(), "tracks", ts);
    json_t* cs = json_array();
    for (const ConsentRow& k : consents) {
        json_t* j = json_object();
        json_object_set_new(j, "id", json_str(k.id));
        json_object_set_new(j, "participant_id", json_str(k.participant_id));
        json_object_set_new(j, "recording", json_boolean(k.recording));
        json_object_set_new(j, "created_at", json_str(format_rfc3339_micros(k.created_at)));
        json_array_append_new(cs, j);
    }
    json_object_set_new(o.get(), "consents", cs);
    json_t* os = json_array();
    for (const OutputRow& x : outputs) {
        json_t* j = json_object();
        json_object_set_new(j, "id", json_str(x.id));
        json_object_set_new(j, "kind", json_str(x.kind));
        json_object_set_new(j, "participant_id", str_or_null(x.participant_id));
        json_object_set_new(j, "content_type", json_str(x.content_type));
        json_object_set_new(j, "size", json_integer(x.size));
        json_object_set_new(j, "sha256", json_str(hex_encode(x.sha256)));
        json_object_set_new(j, "duration_ms", json_integer(x.duration_ms));
        json_object_set_new(j, "video_codec", str_or_null(x.video_codec));
        json_object_set_new(j, "audio_codec", str_or_null(x.audio_codec));
        json_array_append_new(os, j);
    }
    json_object_set_new(o.get(), "outputs", os);
    return o;
}

}  // namespace telemed::db
