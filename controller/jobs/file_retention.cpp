// The file retention sweep (controller/jobs/file_retention.hpp).
#include "controller/jobs/file_retention.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/files_repo.hpp"
#include "controller/db/pool.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/log.hpp"
#include "controller/storage/blob_store.hpp"

namespace telemed {

FileRetention::FileRetention(db::Pool& pool, BlobStore& blobs, unsigned days, unsigned interval_s)
    : pool_(pool), blobs_(blobs), days_(days), interval_s_(interval_s) {}

FileRetention::~FileRetention() { stop(); }

void FileRetention::start() {
    if (days_ == 0 || thread_.joinable()) return;
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
