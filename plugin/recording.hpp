// Consent-gated recording: the state a room keeps while it records, the
// per-track recorder the media path writes through, and the documents the
// plugin writes (manifest.json) and sends (the `recording` event, the
// controller's recording events). The rules are in recording_rules.hpp; the
// requests are applied in plugin/recording.cpp (PluginCore), the HTTP side
// in recording_store.hpp.
//
// Files: <recordings_dir>/<room>/<recording_id>/<participant>-<source>-<n>.mjr,
// one per (participant, published m-line), opened when the participant
// starts being recorded and closed when it stops (n counts (re)starts, so a
// withdraw + re-consent never appends), and manifest.json when the
// recording stops. Ids only: no name or other personal data anywhere.
//
// Lifetimes against the media threads: a TrackRecorder is shared by the
// room's active set and the MediaViews that route the participant's
// m-line; it is opened by the worker (no lock held) after the view that
// carries it is published, and closed by the worker only once no view
// holds it (use_count 1: views are freed only when no hazard points at
// them, view_publisher.hpp), so a media thread never writes to a closed
// recorder.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/requests.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/recording_rules.hpp"

namespace telemed::plugin {

// One .mjr file being written: one published m-line of one participant.
struct TrackRecorder {
    // ---- media path (atomics only) ----
    std::atomic<void*> file{nullptr};   // the host's recorder, set once opened (worker)
    std::atomic<bool> failed{false};    // a write (or the open) failed: nothing more is written
    std::atomic<uint64_t> frames{0};    // packets written
    // Video: a keyframe has been written (the publisher's media thread only,
    // the one thread that writes this track).
    bool keyed = false;
    // ---- control plane: fixed at creation ----
    std::string room_id;
    std::string recording_id;
    std::string dir;          // <recordings_dir>/<room>/<recording_id>
    std::string name;         // "<participant>-<source>-<n>" (the host adds ".mjr")
    std::string participant_id;
    Source source = Source::Audio;
    int mindex = -1;
    std::string codec;        // "opus" | "vp8"
    std::size_t manifest_index = 0;  // into its recording's tracks
    // Set under the state mutex when it leaves the active set: an open not
    // yet done is skipped.
    std::atomic<bool> stopping{false};
};

// A track as manifest.json lists it.
struct ManifestTrack {
    std::string file;  // "<name>.mjr"
    std::string participant;
    Source source = Source::Audio;
    std::string codec;
    std::optional<std::string> consent_id;
    int64_t started_us = 0;
    int64_t stopped_us = 0;  // 0 while open
    bool opened = false;     // the file exists (open succeeded): only those are listed
};

// What a recording is, once it stopped: manifest.json and the `stopped` event.
struct RecordingRecord {
    std::string room_id;
    std::string recording_id;
    std::string dir;
    int64_t started_us = 0;
    int64_t stopped_us = 0;
    std::optional<std::string> started_by;
    std::optional<std::string> stopped_by;
    // Why it stopped by itself: "write_failed" (a write or an open of one of
    // its files failed: a full or failing disk). Empty when asked to stop.
    std::string fault;
    std::vector<ManifestTrack> tracks;
};

// A room's recording while on (Room::recording()).
struct RoomRecording {
    bool on = false;
    RecordingRecord record;
    // participant id -> mindex -> its open track
    std::map<std::string, std::map<int, std::shared_ptr<TrackRecorder>>, std::less<>> active;
    // (participant, source) -> the next n of its file names
    std::map<std::pair<std::string, Source>, int> next_n;
    // The fault that stopped the last recording ("write_failed"; empty:
    // none). Kept, and told, until the next start; a required room does
    // not restart by itself while it is set (recording::auto_action).
    std::string fault;
    // What the last `recording` event said (sent again only when it changes).
    bool told_on = false;
    std::string told_id;
    std::string told_fault;
    std::vector<std::string> told_recorded;
};

// A participant id's consent in a room (outlives handles, like mutes).
struct ConsentState {
    recording::Consent value = recording::Consent::Unanswered;
    std::optional<std::string> consent_id;  // the stored row (true, or a stored false)
    uint64_t seq = 0;  // bumped by every consent request: an older answer that comes back late is ignored
};

// The recording state fields shared by the `recording` event, the joined /
// admitted answers and room_info.
struct RecordingStatus {
    bool on = false;
    std::optional<std::string> recording_id;
    RecordingPolicy policy = RecordingPolicy::Optional;
    std::vector<std::string> recorded;  // sorted participant ids
    std::string fault;                  // RoomRecording::fault (state off only)
};

// {"state":"on"|"off","recording_id":uuid|null,"policy","recorded":[...],"fault":"write_failed"|null}
Json recording_fields(const RecordingStatus& s);
// {"telemed":"recording", ...recording_fields}
Json recording_event(const RecordingStatus& s);

// manifest.json: {"recording_id","room","started_at","stopped_at","fault"?,"tracks":[{"file","participant",
// "source","codec","consent_id","started_at","stopped_at"}]} (opened tracks only).
Json manifest_json(const RecordingRecord& r);
// The tracks array alone (the `stopped` event carries it too).
Json manifest_tracks_json(const RecordingRecord& r);

// POST /internal/v1/recordings/events body.
struct RecordingEventMsg {
    std::string session_id;
    std::string recording_id;
    std::string event;  // "started" | "stopped"
    std::optional<std::string> by;
    int64_t at_us = 0;
    Json tracks;        // "stopped" only (manifest_tracks_json)
    std::string fault;  // "stopped" only: RecordingRecord::fault
};
// {"session_id","recording_id","event","by":pid|null,"at","tracks"?,"fault"?}
Json recording_event_body(const RecordingEventMsg& m);

}  // namespace telemed::plugin
