// The file retention sweep (docs/OPERATIONS.md "File retention"): when
// file_retention_days > 0, every file_retention_sweep_interval_s (and once
// at start) the files of sessions ended or cancelled more than that many
// days ago are crypto-shredded: in one transaction per session (row
// locked) their wrapped data keys are deleted (files.wrapped_key = NULL,
// shredded_at) with one audit row file.shredded {count}; after the commit
// their blobs are removed (best effort: a blob left behind cannot be
// decrypted any more). Safe with several controllers (row lock; only
// unshredded rows are touched).
// Recordings likewise (issue 14): when recording_retention_days > 0, the
// outputs of recordings processed more than that many days ago are
// crypto-shredded, one transaction per recording (its session row locked),
// audit row recording.shredded {recording_id, count, retention_days}; then
// their blobs are removed. A playback link of a shredded output answers
// 410.
#pragma once
#include <condition_variable>
#include <mutex>
#include <thread>

namespace telemed {
namespace db { class Pool; }
class BlobStore;

class FileRetention {
public:
    FileRetention(db::Pool& pool, BlobStore& blobs, unsigned days, unsigned interval_s, unsigned recording_days = 0);
    ~FileRetention();  // stop()
    void start();      // no-op when both days are 0
    void stop();
    // One pass; returns the number of files and recording outputs shredded.
    // Throws on database errors.
    std::size_t sweep_once();
private:
    void loop();
    std::size_t sweep_files();
    std::size_t sweep_recordings();
    db::Pool& pool_;
    BlobStore& blobs_;
    unsigned days_, interval_s_, recording_days_;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
};

}  // namespace telemed
