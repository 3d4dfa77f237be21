// Recording post-processing (docs/DESIGN.md "Post-processing"): turns a
// stopped recording's .mjr files into encrypted WebM outputs.
//
// recording_workers threads (niced, never an HTTP lane or a media thread)
// each take one job at a time:
//  0. lost recordings (every 10 s, one worker): a `recording` row older than
//     recording_manifest_grace_s whose room is gone (4040) or records another
//     id (room_info) is stopped (audit recording.stopped, reason
//     media_server_lost): Janus died mid-recording. No answer: no conclusion.
//  1. claim (one short transaction): `stopped` rows due (next_attempt_at) and
//     `processing` rows whose lease ran out (a controller died mid-job),
//     locked FOR UPDATE SKIP LOCKED; a stopped row is taken once its
//     manifest.json is there or recording_manifest_grace_s after its stop;
//     -> processing, attempts + 1, lease_until = now + recording_lease_s.
//  2. work outside any transaction, in <recordings_dir>/.work/<recording id>/:
//     manifest (or, without one, the .mjr files whose names parse), every
//     track checked against the stored consents (deny by default: a track
//     without a stored consent=true of its participant in that session is
//     deleted unprocessed), janus-pp-rec per track, ffprobe, one WebM per
//     participant (stream copy), one composite (VP8 + Opus), each sealed
//     into the blob store (storage/sealed_blob.hpp). The lease is renewed
//     every third of it; a lost lease or the job's time limit kills the
//     running program and abandons the attempt.
//  3. finish (one transaction, session row locked, the attempt still ours):
//     blobs committed, recording_outputs rows, state available|incomplete,
//     audit recording.processed, outbox recording.available; after the
//     commit the recording's folder (raw files, manifest) is removed.
//     A failed attempt goes back to `stopped` with a backoff, the last one to
//     `failed` (audit recording.failed); the tools' output tail is left in
//     the recording's folder as processing.log (bounded), never in our log.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controller/config.hpp"

namespace telemed {
namespace db { class Pool; }
class BlobStore;
class JanusAdmin;

class RecordingProcessor {
public:
    RecordingProcessor(db::Pool& pool, BlobStore& blobs, JanusAdmin& janus, const ControllerConfig& cfg);
    ~RecordingProcessor();  // stop()
    void start();           // recording_workers threads
    void stop();            // kills running programs; their jobs are released (lease ends now)
    // Claims and runs at most one job on the calling thread; true when one ran.
    bool run_once();
    // Step 0 once; returns the recordings stopped.
    std::size_t stop_lost_recordings();

private:
    struct Job;
    void loop(bool checks_lost);
    std::optional<Job> claim();
    void process(const Job& job);

    db::Pool& pool_;
    BlobStore& blobs_;
    JanusAdmin& janus_;
    const ControllerConfig& cfg_;
    std::vector<std::thread> threads_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::atomic<bool> stop_{false};
};

}  // namespace telemed
