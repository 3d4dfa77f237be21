// Rows of `recording_consents`, `recordings` and `recording_tracks`
// (sql/007_recordings.sql) and the recording state transitions. Run on a
// connection the caller holds, inside db::transact after lock_session() on
// the session for every write (the audit chain and the one-live-recording
// rule rely on it); throw db::Error on database errors.
//
// The transitions (note_started, note_stopped, stop_live_recordings) are
// shared by the REST routes (routes/recordings.cpp), the plugin's events
// (routes/internal_recordings.cpp) and the session end (routes/sessions.cpp),
// so whichever learns of a change first writes it, once, with its audit row
// ("recording.started" / "recording.stopped"); repeats change nothing.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "controller/db/keyset_cursor.hpp"

namespace telemed::db {

struct ConsentRow {
    std::string id;
    std::string session_id;
    std::string participant_id;
    bool recording = false;
    int64_t created_at = 0;  // Unix microseconds
};

struct TrackRow {
    std::string recording_id;
    std::string participant_id;
    std::string source;
    std::string codec;
    std::string file;
    std::string consent_id;
    int64_t started_at = 0;
    std::optional<int64_t> stopped_at;
};

struct RecordingRow {
    std::string id;
    std::string session_id;
    std::string state;  // starting | recording | stopped | failed | processing | available | incomplete
    int64_t started_at = 0;
    std::optional<int64_t> stopped_at;
    std::optional<std::string> started_by;
    std::optional<std::string> error;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    // Post-processing (sql/008).
    int attempts = 0;
    std::optional<int64_t> duration_ms;
    std::optional<int64_t> processed_at;
    // sql/009: why it stopped by itself: write_failed (the media server
    // could not write: storage full or failing), media_server_lost (the
    // media server no longer records it: Janus died). Either makes the
    // outcome incomplete.
    std::optional<std::string> fault;
};

// A playable output of a recording (sql/008 recording_outputs).
struct OutputRow {
    std::string id;
    std::string recording_id;
    std::string kind;  // participant | composite
    std::optional<std::string> participant_id;
    std::string content_type;  // video/webm | audio/webm
    int64_t size = 0;
    std::string sha256;  // 32 raw bytes
    int64_t duration_ms = 0;
    std::optional<std::string> video_codec, audio_codec;
    std::string key_id;
    std::optional<std::string> wrapped_key;
    int64_t created_at = 0;
};

// ---- consents ----
ConsentRow insert_consent(PGconn* c, const std::string& id, const std::string& session_id,
                          const std::string& participant_id, bool recording);
// The participant's latest answer in the session, if any.
std::optional<ConsentRow> latest_consent(PGconn* c, const std::string& session_id, const std::string& participant_id);
std::optional<ConsentRow> find_consent(PGconn* c, const std::string& id);
// Oldest first, at most `limit`.
inline constexpr int kMaxConsentsShown = 1000;
std::vector<ConsentRow> list_consents(PGconn* c, const std::string& session_id, int limit = kMaxConsentsShown);

// ---- recordings ----
std::optional<RecordingRow> find_recording(PGconn* c, const std::string& id);
// The session's row in state starting or recording (at most one: recordings_one_live).
std::optional<RecordingRow> find_live_recording(PGconn* c, const std::string& session_id);
// A REST start's row, state `starting`, with its audit row "recording.requested".
RecordingRow insert_starting(PGconn* c, const std::string& id, const std::string& session_id,
                             const std::string& actor);
// starting -> failed with `error` (our own short text) and audit
// "recording.failed" {recording_id, error_code?}. No-op (nullopt) in any other state.
std::optional<RecordingRow> mark_failed(PGconn* c, const std::string& id, const std::string& session_id,
                                        const std::string& error, int plugin_error, const std::string& actor);

// The plugin says recording `id` of session `session_id` is on since `at`
// (Unix microseconds), started by participant `by` (none: REST or the
// plugin itself). `session_open`: the session is scheduled or active.
//  - absent or starting/failed -> recording (started_at = at), audit
//    "recording.started"; in another state: unchanged.
//  - another live row of the session: the newer start wins (the plugin has
//    one recording per room): an older live `recording` row -> stopped at
//    `at` (audit "recording.stopped", reason superseded), an older
//    `starting` one -> failed; when the other is the newer one, `id` is a
//    late event: stored as stopped (absent) or left as it is.
//  - session closed: a late event; stored as stopped.
// Returns true when `id` turned recording now.
bool note_started(PGconn* c, const std::string& session_id, bool session_open, const std::string& id, int64_t at,
                  const std::optional<std::string>& by, const std::string& actor);
// The plugin says recording `id` stopped at `at`, with `tracks` (stored
// once per (recording, file)). starting/recording/failed or absent ->
// stopped (stopped_at = at), audit "recording.stopped" {recording_id,
// tracks, by?, reason: fault?}; already stopped: stopped_at = the earlier
// of the two; processing/available/incomplete: unchanged. `fault`
// ("write_failed"): stored unless one is already. Returns the tracks inserted now.
int note_stopped(PGconn* c, const std::string& session_id, const std::string& id, int64_t at,
                 const std::optional<std::string>& by, const std::vector<TrackRow>& tracks, const std::string& actor,
                 const std::optional<std::string>& fault = std::nullopt);
// Session end/cancel: every starting/recording row of the session ->
// stopped now, audit "recording.stopped" {recording_id, reason:
// "session_ended"} each. Returns their ids.
std::vector<std::string> stop_live_recordings(PGconn* c, const std::string& session_id, const std::string& actor);

std::vector<TrackRow> list_tracks(PGconn* c, const std::string& recording_id);

using RecordingCursor = KeysetCursor;  // tag "r1"
std::string encode_recording_cursor(const RecordingCursor& c);
std::optional<RecordingCursor> decode_recording_cursor(std::string_view text);
struct RecordingPage {
    std::vector<RecordingRow> items;
    std::optional<RecordingCursor> next;
};
// Newest first (created_at DESC, id DESC).
RecordingPage list_recordings(PGconn* c, const std::string& session_id, const std::optional<RecordingCursor>& after,
                              int limit);

// ---- post-processing jobs (jobs/recording_processor.hpp) ----
// Rows the processor may take: `stopped` (next_attempt_at due) or
// `processing` with an expired lease, oldest first, locked FOR UPDATE SKIP
// LOCKED (other controllers skip them) for the caller's transaction.
struct JobCandidate {
    RecordingRow row;
    bool lease_expired = false;
    bool grace_over = false;  // stopped_at (else updated_at) + grace is past
};
std::vector<JobCandidate> lock_job_candidates(PGconn* c, unsigned grace_s, int limit);
// -> processing, lease_until = now + lease_s, attempts + 1, next_attempt_at
// NULL. Returns the attempt number (attempts after the claim).
int claim_job(PGconn* c, const std::string& id, unsigned lease_s);
// Extends the lease of attempt `attempt`; false when the row is no longer
// that attempt's (another controller took it over after a lost lease).
bool renew_job_lease(PGconn* c, const std::string& id, int attempt, unsigned lease_s);
// On shutdown: the lease ends now, so that the next start takes it up at once.
void release_job(PGconn* c, const std::string& id, int attempt);
// Locks the row and tells whether attempt `attempt` still holds it.
bool job_still_ours(PGconn* c, const std::string& id, int attempt);
// A failed attempt: back to `stopped` with next_attempt_at = now +
// retry_in_s and `error`, or (`final`) `failed` with `error` and the audit
// row "recording.failed" {recording_id, reason: "processing", attempts}.
void fail_job(PGconn* c, const std::string& session_id, const std::string& id, const std::string& error,
              bool final, int64_t retry_in_s, int attempts);
// Outputs and the outcome: state `state` (available | incomplete),
// duration_ms, processed_at = now, error NULL, lease NULL; the audit row
// "recording.processed" {recording_id, state, outputs, tracks, left_out}
// and the outbox event "recording.available" {session_id, recording_id,
// state, duration_ms, outputs:[{id, kind, participant_id}]}.
void complete_job(PGconn* c, const std::string& session_id, const std::string& id, const std::string& state,
                  const std::optional<int64_t>& duration_ms, const std::vector<OutputRow>& outputs, int tracks,
                  int left_out);
// Track rows of a manifest the plugin's `stopped` event has not (yet)
// stored (ON CONFLICT DO NOTHING).
void insert_missing_tracks(PGconn* c, const std::string& recording_id, const std::vector<TrackRow>& tracks);
std::vector<OutputRow> list_outputs(PGconn* c, const std::string& recording_id);
std::optional<OutputRow> find_output(PGconn* c, const std::string& id);
// Retention (jobs/file_retention.hpp): recordings processed more than `days`
// days ago that still have an output not shredded, as (recording id,
// session id), at most `limit`.
std::vector<std::pair<std::string, std::string>> recordings_due_for_shredding(PGconn* c, int days, int limit);
// Deletes the wrapped data keys of the recording's outputs (shredded_at now);
// returns the ids of the outputs shredded.
std::vector<std::string> shred_recording_outputs(PGconn* c, const std::string& recording_id);
// The recording's composite output, if it has one.
std::optional<OutputRow> find_composite_output(PGconn* c, const std::string& recording_id);
// `recording` rows started (and last changed) more than grace_s ago, oldest
// first: the processor asks their room whether it still records them.
std::vector<RecordingRow> live_recordings_older_than(PGconn* c, unsigned grace_s, int limit);
// The media server no longer records `id` (its room is gone or records
// another id): recording -> stopped now, fault media_server_lost, audit
// "recording.stopped" {recording_id, reason: "media_server_lost"}. false
// when it was not `recording`.
bool stop_lost_recording(PGconn* c, const std::string& session_id, const std::string& id);

// ---- restore after a Janus restart (controller/live/room_reconciler.cpp) ----
// The latest stored answer of each active participant of the session (the
// consents a restored room gets back), at most `limit`, by participant id.
std::vector<ConsentRow> latest_consents_of_active(PGconn* c, const std::string& session_id, int limit);
// The session's most recent recording (created_at), if any.
std::optional<RecordingRow> latest_recording(PGconn* c, const std::string& session_id);

// The Recording resource: {id, session_id, state, started_at, stopped_at,
// started_by, error, created_at, updated_at, duration_ms, processed_at,
// attempts, tracks:[{participant_id, source, codec, started_at,
// stopped_at, consent_id}], consents:[{id, participant_id, recording,
// created_at}], outputs:[{id, kind, participant_id, content_type, size,
// sha256 (hex), duration_ms, video_codec, audio_codec}]}.
Json recording_json(const RecordingRow& r, const std::vector<TrackRow>& tracks, const std::vector<ConsentRow>& consents,
                    const std::vector<OutputRow>& outputs = {});

}  // namespace telemed::db
