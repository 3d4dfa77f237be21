// The session lifecycle job (issue 15 "Self-healing state"; docs/OPERATIONS.md
// "Session lifecycle policies"): one thread that, every
// lifecycle_sweep_interval_s (and once at start), closes the sessions nobody
// closed and prunes old idempotency keys. Never on an HTTP thread.
//
// Policies (each off when its limit is 0; the decision is the pure table of
// jobs/lifecycle_policy.hpp):
//  - session_max_duration_s: an active session started longer ago is ended,
//    reason max_duration;
//  - session_idle_end_s: an active session whose room has been seen empty
//    for that long is ended, reason idle. Presence: one admin `list_rooms`
//    per sweep (each room's joined count, lobby included). "Empty since"
//    lives in memory and only ever moves later: it starts at the first sweep
//    that saw the room empty, and is forgotten when the room is occupied,
//    missing from the list, or Janus does not answer (an unreachable Janus
//    ends nothing). A controller restart restarts every clock. A visit
//    shorter than one sweep between two empty samples is not seen.
//  - session_expire_after_s: a scheduled session not started that long
//    after its scheduled_at (else created_at) is cancelled, reason expired;
//  - idempotency_key_retention_h: idempotency_keys rows older than that are
//    deleted, in batches of kPruneBatch, at most kMaxPruneBatches a sweep.
//  - outbox_retention_h: outbox events delivered (outbox.delivered_at, set
//    once every endpoint got the event) longer ago than that are deleted
//    with their webhook_deliveries rows, oldest delivery first, in batches
//    of kPruneBatch (one transaction each), at most kMaxPruneBatches a
//    sweep. Events not delivered everywhere (pending, dead, never fanned
//    out) are kept whatever their age; an event with any delivery row not
//    `delivered` is kept too, even if delivered_at were set. Rows another
//    controller is pruning at the same moment are skipped (SKIP LOCKED).
//
// A transition is what POST /sessions/{id}/end or /cancel writes, in one
// transaction: the session row locked, the decision taken again from the
// row as it is under the lock (a session started, ended or re-occupied
// meanwhile is left alone), the status set, live recordings stopped
// (db::stop_live_recordings), audit + outbox via db::record_change with
// actor "system" and the reason in the audit data and the outbox payload.
// After the commit: Redis session_closed, the read-cache entry invalidated,
// and the room destroyed at once with destroy_room (4040 tolerated); if
// Janus does not answer, the room reconciler destroys it at its next pass
// (it destroys the room of every closed session). The per-session lock of
// REST transitions (live/session_locks.hpp) is taken without waiting: a
// session in a REST change is left to the next sweep.
// At most kMaxTransitionsPerSweep sessions change per sweep, oldest first;
// the candidate queries use the partial indexes of sql/011_lifecycle.sql.
// Safe with several controllers: the row lock and the re-check make a
// second controller's attempt a no-op.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "controller/jobs/lifecycle_policy.hpp"

namespace telemed {
namespace db { class Pool; }
class JanusAdmin;
class RedisTracker;
class SessionCache;
struct ControllerConfig;

class SessionLifecycle {
public:
    static constexpr std::size_t kMaxTransitionsPerSweep = 100;
    static constexpr int kPruneBatch = 1000;
    static constexpr int kMaxPruneBatches = 10;

    SessionLifecycle(db::Pool& pool, JanusAdmin& janus, RedisTracker& redis, SessionCache& cache,
                     const ControllerConfig& cfg);
    ~SessionLifecycle();  // stop()
    void start();         // no-op when every policy and the key retention are off
    void stop();

    struct Counts {
        std::size_t expired = 0, max_duration = 0, idle = 0, keys_pruned = 0;
    std::size_t outbox_pruned = 0;  // outbox events deleted (their deliveries with them)
    };
    // One sweep. Throws on database errors (the loop logs and goes on).
    Counts sweep_once();

private:
    void loop();
    // Ends or cancels `sid` if the policy still says so under its row lock;
    // true when it changed. `occupancy`/`empty_for_us`: the idle facts.
    bool close_if_due(const std::string& sid, Occupancy occupancy, int64_t empty_for_us, Counts& counts);
    // close_if_due, with a failure of this one session (e.g. its row lock
    // not granted within db_lock_timeout_ms) logged and left to the next
    // sweep; after kMaxFailuresPerSweep failures the sweep gives up (throws).
    bool try_close(const std::string& sid, Occupancy occupancy, int64_t empty_for_us, Counts& counts);
    static constexpr int kMaxFailuresPerSweep = 3;
    int failures_ = 0;  // in the current sweep
    void sweep_idle(std::size_t& budget, Counts& counts);
    std::size_t prune_idempotency_keys();
    std::size_t prune_outbox();

    db::Pool& pool_;
    JanusAdmin& janus_;
    RedisTracker& redis_;
    SessionCache& cache_;
    const LifecyclePolicy policy_;
    const unsigned interval_s_;
    const unsigned key_retention_h_;
    const unsigned outbox_retention_h_;
    // Active sessions whose room was seen empty, and since when (job thread only).
    std::map<std::string, std::chrono::steady_clock::time_point> empty_since_;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
};

}  // namespace telemed
