// Live state in Redis (docs/DESIGN.md "Redis"): written after each commit,
// rebuilt from Postgres after any outage by a background thread.
// The data-layer owner may add members; these signatures are fixed.
#pragma once
#include <memory>
#include <string>

namespace telemed {
namespace db { class Pool; }

class RedisTracker {
public:
    RedisTracker(std::string host, int port, std::string prefix, db::Pool& pool);
    ~RedisTracker();  // stops the thread
    void start();     // starts the reconnect/rebuild thread (initial rebuild)
    void stop();
    bool ping();      // PING within ~1 s

    // Called after a commit; never throw, never block on a down Redis for
    // more than the connect timeout (errors mark the tracker dirty).
    void session_changed(const std::string& session_id, const std::string& status, const std::string& kind);
    void session_closed(const std::string& session_id);  // ended / cancelled: keys deleted
    void participant_upserted(const std::string& session_id, const std::string& participant_id,
                              const std::string& user_id, const std::string& role);
    void participant_removed(const std::string& session_id, const std::string& participant_id);
    bool dirty() const;  // true until the next successful rebuild

    struct Impl;
    Impl& impl() { return *impl_; }
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace telemed
