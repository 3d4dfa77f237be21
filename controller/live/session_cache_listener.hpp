// Keeps a SessionCache in step with changes made by any writer (other
// controllers, psql): a background thread with its own Postgres connection
// runs LISTEN telemed_session_changed (sql/002_session_notify.sql: triggers on
// sessions and participants notify the session id; "*" = everything) and
// invalidates each id it is told about.
//
// - The cache is bypassed (SessionCache::set_connected(false)) until LISTEN
//   succeeds and whenever the connection is lost; on every (re)connect it is
//   flushed before being enabled, so notifications missed while down cannot
//   leave stale entries.
// - Liveness: after kIdlePing without input the thread notifies a probe
//   ("ping:<pid>:<n>") on the channel itself; the query's result and the
//   probe's own notification must both arrive within kPingTimeout, else the
//   connection counts as lost (cache bypassed, reconnect). This proves the
//   whole delivery path (also catching a silent network loss, or a proxy
//   that does not forward notifications), so a change committed anywhere
//   reaches this cache, or the cache stops serving, within about
//   kIdlePing + kPingTimeout (2 s) of its commit. Payloads "ping:*" from
//   other controllers are ignored; any other non-UUID payload flushes all.
// - Reconnects back off from 100 ms to 1 s. stop() wakes the thread at once.
#pragma once
#include <chrono>
#include <memory>
#include <string>

namespace telemed {

class SessionCache;

class SessionCacheListener {
public:
    static constexpr const char* kChannel = "telemed_session_changed";
    static constexpr std::chrono::milliseconds kIdlePing{1000};
    static constexpr std::chrono::milliseconds kPingTimeout{1000};

    // `conninfo` as db::pool_conninfo() gives it (never logged).
    SessionCacheListener(SessionCache& cache, std::string conninfo);
    ~SessionCacheListener();  // stop()
    SessionCacheListener(const SessionCacheListener&) = delete;
    SessionCacheListener& operator=(const SessionCacheListener&) = delete;

    // Starts the thread; does nothing when the cache is disabled
    // (max_entries 0). Call once.
    void start();
    // Stops and joins the thread (the cache is left bypassed). Idempotent.
    void stop();

    struct Impl;
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace telemed
