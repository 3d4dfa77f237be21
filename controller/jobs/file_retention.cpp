// The file retention sweep (controller/jobs/file_retention.hpp).
#include "controller/jobs/file_retention.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/files_repo.hpp"
#include "controller/db/recordings_repo.hpp"
#include "controller/db/pool.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/log.hpp"
#include "controller/storage/blob_store.hpp"

namespace telemed {

FileRetention::FileRetention(db::Pool& pool, BlobStore& blobs, unsigned days, unsigned interval_s,
                             unsigned recording_days)
    : pool_(pool), blobs_(blobs), days_(days), interval_s_(interval_s), recording_days_(recording_days) {}

FileRetention::~FileRetention() { stop(); }

void FileRetention::start() {
    if ((days_ == 0 && recording_days_ == 0) || thread_.joinable()) return;
    thread_ = std::thread([this] { loop(); });
}

void FileRetention::stop() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::size_t FileRetention::sweep_once() {
    std::size_t n = days_ > 0 ? sweep_files() : 0;
    if (recording_days_ > 0) n += sweep_recordings();
    return n;
}

std::size_t FileRetention::sweep_recordings() {
    std::vector<std::pair<std::string, std::string>> due;
    db::transact(pool_, [&](PGconn* c) {
        due = db::recordings_due_for_shredding(c, static_cast<int>(recording_days_), 100);
        return db::TxnEnd::Rollback;
    });
    std::size_t total = 0;
    for (const auto& [rid, sid] : due) {
        std::vector<std::string> shredded;
        db::transact(pool_, [&](PGconn* c) {
            shredded.clear();
            if (!db::lock_session(c, sid)) return db::TxnEnd::Rollback;
            shredded = db::shred_recording_outputs(c, rid);
            if (shredded.empty()) return db::TxnEnd::Rollback;
            Json audit(json_object());
            json_object_set_new(audit.get(), "recording_id", json_string(rid.c_str()));
            json_object_set_new(audit.get(), "count", json_integer(static_cast<json_int_t>(shredded.size())));
            json_object_set_new(audit.get(), "retention_days", json_integer(recording_days_));
            db::record_change(c, sid, "system", "recording.shredded", audit.get(), nullptr);
            return db::TxnEnd::Commit;
        });
        for (const std::string& id : shredded)
            if (!blobs_.remove(id)) log_warn("recording retention: blob of output %s not removed (already unreadable)", id.c_str());
        if (!shredded.empty())
            log_info("recording retention: recording %s: %zu output(s) shredded", rid.c_str(), shredded.size());
        total += shredded.size();
    }
    return total;
}

std::size_t FileRetention::sweep_files() {
    std::vector<std::string> due;
    db::transact(pool_, [&](PGconn* c) {
        due = db::sessions_due_for_shredding(c, static_cast<int>(days_), 100);
        return db::TxnEnd::Rollback;
    });
    std::size_t total = 0;
    for (const std::string& sid : due) {
        std::vector<std::string> shredded;
        db::transact(pool_, [&](PGconn* c) {
            shredded.clear();
            if (!db::lock_session(c, sid)) return db::TxnEnd::Rollback;
            shredded = db::shred_session_files(c, sid);
            if (shredded.empty()) return db::TxnEnd::Rollback;
            Json audit(json_object());
            json_object_set_new(audit.get(), "count", json_integer(static_cast<json_int_t>(shredded.size())));
            json_object_set_new(audit.get(), "retention_days", json_integer(days_));
            db::record_change(c, sid, "system", "file.shredded", audit.get(), nullptr);
            return db::TxnEnd::Commit;
        });
        for (const std::string& id : shredded)
            if (!blobs_.remove(id)) log_warn("file retention: blob of file %s not removed (already unreadable)", id.c_str());
        if (!shredded.empty())
            log_info("file retention: session %s: %zu file(s) shredded", sid.c_str(), shredded.size());
        total += shredded.size();
    }
    return total;
}

void FileRetention::loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
        lk.unlock();
        try {
            sweep_once();
        } catch (const std::exception& e) {
            std::string what(e.what());
            log_warn("file retention: sweep failed: %s", what.substr(0, what.find('\n')).substr(0, 160).c_str());
        }
        lk.lock();
        cv_.wait_for(lk, std::chrono::seconds(interval_s_), [this] { return stop_; });
    }
}

}  // namespace telemed
