// The pure parts of recording post-processing (docs/DESIGN.md
// "Post-processing"; the job itself is jobs/recording_processor.hpp):
// reading manifest.json and .mjr file names and headers within bounds,
// the janus-pp-rec / ffmpeg / ffprobe argument lists, reading ffprobe's
// answer, and the job's state transitions. No libpq, no processes: unit-
// tested in tests/unit/test_controller_recording_plan.cpp.
//
// Arguments are only ever our own: program paths from the configuration and
// file names made of ids in the job's work folder (the programs run there),
// never text from a manifest or a request.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/routes/recording_input.hpp"

namespace telemed::recplan {

// ---- manifest.json (docs/PROTOCOL.md "Recording": the plugin's files) ----
inline constexpr std::size_t kMaxManifestBytes = 256 * 1024;
struct Manifest {
    std::string recording_id;
    std::string room;  // the session id
    std::vector<recording_input::Track> tracks;  // at most recording_input::kMaxTracks
    bool fault = false;  // "fault" present and not null (the plugin stopped it: a write failed)
};
// nullopt with *error (our words) when it is over kMaxManifestBytes, not
// JSON, lacks recording_id/room, or a track is malformed (recording_input::
// parse_track) or repeats a file. Unknown top-level members are ignored.
std::optional<Manifest> parse_manifest(std::string_view text, std::string* error);

// ---- .mjr files ----
// "<participant uuid>-<audio|video|screen>-<n>.mjr", n 0..9999 without leading zeros.
struct TrackName {
    std::string participant_id;  // lower case
    std::string source;
    unsigned n = 0;
};
std::optional<TrackName> parse_track_file_name(std::string_view name);
// The name janus-pp-rec writes for a track: the stem + ".opus" (audio) or ".webm".
std::string converted_name(const std::string& mjr_name, const std::string& source);

// What a scan of an .mjr file found (Janus src/record.c: "MJR00002", u16 BE
// length + JSON info {"t":"a"|"v","c":codec,"u":first frame µs,...}, then
// frames "MEET" | u32 BE ms | u16 BE length | RTP packet).
struct MjrScan {
    enum class Status { Ok, Empty, Unreadable };
    Status status = Status::Unreadable;
    std::string type;          // "a" | "v"
    std::string codec;         // "opus", "vp8", ...
    int64_t first_frame_us = 0;  // "u" (0 if absent)
    uint64_t frames = 0;
    uint64_t complete_bytes = 0;  // bytes up to the end of the last whole frame
    bool truncated = false;       // bytes after it (a cut-off last frame: SIGKILL)
};
inline constexpr std::size_t kMaxMjrInfoBytes = 8192;
// Scans a whole file in memory-bounded steps. `read_at(offset, buf, n)`
// returns the bytes read (short at the end). Empty: a header without any
// frame (a track opened but never written). Unreadable: not an MJR00002
// file, a malformed info header, or a frame that does not start with MEET.
using ReadAt = std::function<std::size_t(uint64_t offset, void* buf, std::size_t n)>;
MjrScan scan_mjr(uint64_t size, const ReadAt& read_at);
MjrScan scan_mjr_file(const std::string& path);  // open + scan_mjr (Unreadable when it cannot be read)

// ---- ffprobe ----
struct Probe {
    int64_t duration_ms = 0;
    std::string video_codec;  // "" when none
    std::string audio_codec;
};
// `ffprobe -v error -show_entries format=duration:stream=codec_type,codec_name -of json`
std::vector<std::string> probe_args(const std::string& ffprobe, const std::string& file);
std::optional<Probe> parse_probe(std::string_view json_text);

// ---- the programs' argument lists ----
std::vector<std::string> pp_rec_args(const std::string& janus_pp_rec, const std::string& mjr, const std::string& out);

// One converted track, placed on the recording's timeline.
struct MediaTrack {
    std::string participant_id;
    std::string source;     // audio | video | screen
    unsigned n = 0;         // segment number
    std::string file;       // converted file name in the work folder
    int64_t offset_ms = 0;  // its first frame, from the recording's start
    int64_t duration_ms = 0;
};

// One participant's WebM: its tracks in segment order per source, stream
// copied (-c copy). A source with several segments (consent withdrawn and
// given again) is concatenated with the concat demuxer through a list file
// the caller writes into the work folder: `lists` (name, content). The
// sources are aligned with -itsoffset to the participant's earliest start.
// Streams: camera video, screen video, audio (those present).
struct MuxPlan {
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> lists;
    bool has_video = false;  // else the output is audio/webm
};
MuxPlan participant_mux(const std::string& ffmpeg, std::vector<MediaTrack> tracks, const std::string& out);

// The composite: one column per (participant, camera|screen) with video, or
// one black column for a participant without any; columns side by side
// (hstack), each video scaled into width x height (aspect kept, black bars),
// placed at its offset on a black background (overlay); every audio track
// delayed to its offset (adelay) and mixed (amix); VP8 (libvpx realtime,
// fastest speed, static blocks skipped, 2 token partitions) + Opus, cut at
// total_ms. Inputs are brought to the output's frame rate before scaling.
struct CompositeSettings {
    int width = 640;
    int height = 360;
    int fps = 15;
    int video_kbps_per_column = 300;
    int audio_kbps = 48;
    int cpu_used = 16;  // libvpx VP8: -16..16, 16 fastest
    int threads = 2;
};
std::vector<std::string> composite_args(const std::string& ffmpeg, const std::vector<MediaTrack>& tracks,
                                        int64_t total_ms, const std::string& out,
                                        const CompositeSettings& s = CompositeSettings{});
// The participants' column order: by their first track's offset, then id.
std::vector<std::string> participant_order(const std::vector<MediaTrack>& tracks);

// ---- the job's states (sql/008: stopped -> processing -> available |
// incomplete | failed; a failed attempt before the last goes back to
// stopped with next_attempt_at) ----
enum class ClaimAction { Skip, Process, Fail };
struct ClaimInput {
    std::string state;      // stopped | processing
    bool lease_expired = false;
    bool manifest_present = false;
    bool grace_over = false;  // stopped_at + recording_manifest_grace_s is past
    unsigned attempts = 0;    // before this claim
    unsigned max_attempts = 3;
};
// stopped: Process when the manifest is there or the grace is over, else
// Skip; processing: only with an expired lease (Skip otherwise), Fail when
// the attempts are used up (a job that never finished); anything else Skip.
ClaimAction claim_action(const ClaimInput& in);

struct AfterFailure {
    std::string state;        // "stopped" (retry later) | "failed"
    int64_t retry_in_s = 0;   // stopped: next_attempt_at = now + this
};
// `attempts`: the attempts made, this one included.
AfterFailure after_failure(unsigned attempts, unsigned max_attempts, unsigned retry_delay_s);

// available, or incomplete when the manifest never came, the recording
// stopped on a fault (write_failed, media_server_lost) or a track had to be
// left out (unreadable codec).
const char* outcome_state(bool incomplete);

}  // namespace telemed::recplan
