// Live state in Redis (docs/DESIGN.md "Redis"): written after each commit,
// rebuilt from Postgres after any outage by a background thread.
// The data-layer owner may add members; these signatures are fixed.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controller/live/live_session.hpp"

namespace telemed {
namespace db { class Pool; }

class RedisTracker {
public:
    // `prefix` must be non-empty (it bounds what a rebuild deletes):
    // throws std::invalid_argument otherwise. `pool` is not used directly;
    // Postgres is read through the Loader.
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

    // Snapshot of Postgres for a rebuild. Contract:
    // - returns every session whose status is `scheduled` or `active`, each
    //   with its participants whose status is `active`;
    // - reads committed data at the time of the call (a fresh query, never a
    //   cache): the tracker relies on it to cover writes it skipped;
    // - runs on the tracker's background thread, possibly concurrently with
    //   request threads using the same pool; may throw (the rebuild is then
    //   retried ~500 ms later); should finish within a few seconds.
    using Loader = std::function<std::vector<LiveSession>()>;
    // Set before start(). Until a loader is set the tracker stays dirty and
    // writes nothing.
    void set_loader(Loader loader);

    struct Impl;
    Impl& impl() { return *impl_; }
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace telemed
