// The session lifecycle job (controller/jobs/session_lifecycle.hpp).
#include "controller/jobs/session_lifecycle.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "common/admin_api.hpp"
#include "common/json.hpp"
#include "common/session_state.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/config.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/pg.hpp"
#include "controller/db/pool.hpp"
#include "controller/db/recordings_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/live/redis_tracker.hpp"
#include "controller/live/session_cache.hpp"
#include "controller/live/session_locks.hpp"
#include "controller/log.hpp"
#include "controller/routes/views.hpp"

namespace telemed {
namespace {

constexpr const char* kActor = "system";

LifecyclePolicy policy_of(const ControllerConfig& cfg) {
    LifecyclePolicy p;
    p.expire_after_s = cfg.session_expire_after_s;
    p.max_duration_s = cfg.session_max_duration_s;
    p.idle_end_s = cfg.session_idle_end_s;
    return p;
}

// The database's clock, so that the decision and the candidate queries
// (which use now()) agree whatever the controller's clock says.
int64_t db_now_us(PGconn* c) {
    db::ResultPtr r = db::exec(c, "SELECT " TELEMED_SQL_MICROS("now()"));
    return db::int64(r.get(), 0, 0);
}

std::vector<std::string> ids_of(const db::ResultPtr& r) {
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(db::str(r.get(), i, 0));
    return out;
}

std::string first_line(const std::exception& e) {
    std::string what(e.what());
    return what.substr(0, what.find('\n')).substr(0, 200);
}

}  // namespace

SessionLifecycle::SessionLifecycle(db::Pool& pool, JanusAdmin& janus, RedisTracker& redis, SessionCache& cache,
                                   const ControllerConfig& cfg)
    : pool_(pool),
      janus_(janus),
      redis_(redis),
      cache_(cache),
      policy_(policy_of(cfg)),
      interval_s_(std::max(1u, cfg.lifecycle_sweep_interval_s)),
      key_retention_h_(cfg.idempotency_key_retention_h),
      outbox_retention_h_(cfg.outbox_retention_h) {}

SessionLifecycle::~SessionLifecycle() { stop(); }

void SessionLifecycle::start() {
    if ((!policy_.any() && key_retention_h_ == 0 && outbox_retention_h_ == 0) || thread_.joinable()) return;
    thread_ = std::thread([this] { loop(); });
}

void SessionLifecycle::stop() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool SessionLifecycle::close_if_due(const std::string& sid, Occupancy occupancy, int64_t empty_for_us,
                                    Counts& counts) {
    // Same order as a REST transition (session lock, then row lock), but
    // never waiting: a session in a REST change is the next sweep's.
    std::unique_lock<std::shared_mutex> owned(session_locks().of(sid), std::try_to_lock);
    if (!owned.owns_lock()) return false;
    SessionCacheInvalidation invalidate(cache_, sid);  // after the transaction, whatever its outcome
    LifecycleDecision done{};
    SessionStatus from = SessionStatus::Scheduled;
    db::transact(pool_, [&](PGconn* c) {
        done = {};
        std::optional<db::Session> s = db::lock_session(c, sid);
        if (!s) return db::TxnEnd::Rollback;
        // Decided again from the row as it is under the lock.
        LifecycleFacts f;
        f.status = s->status;
        f.now_us = db_now_us(c);
        f.created_at_us = s->created_at;
        f.scheduled_at_us = s->scheduled_at;
        f.started_at_us = s->started_at;
        f.occupancy = occupancy;
        f.empty_for_us = empty_for_us;
        const LifecycleDecision d = decide_lifecycle(policy_, f);
        if (d.action == LifecycleAction::None) return db::TxnEnd::Rollback;
        const SessionAction a = d.action == LifecycleAction::Cancel ? SessionAction::Cancel : SessionAction::End;
        const SessionTransition tr = session_transition(s->status, a);
        if (!tr.allowed || !tr.changes) return db::TxnEnd::Rollback;
        from = s->status;
        db::Session now = db::set_session_status(c, sid, tr.to);
        db::stop_live_recordings(c, sid, kActor);
        const char* reason = to_string(d.reason);
        Json audit = transition_audit_data(from, tr.to, reason);
        Json payload = session_event_payload(now, reason);
        db::record_change(c, sid, kActor, change_topic(a), audit.get(), payload.get());
        done = d;
        return db::TxnEnd::Commit;
    });
    if (done.action == LifecycleAction::None) return false;
    redis_.session_closed(sid);
    // The room goes now (everyone in it gets "ended"); if Janus does not
    // answer, the room reconciler destroys it at its next pass.
    Json destroy = admin_api::build_request(admin_api::DestroyRoomRequest{sid});
    JanusAdmin::Result r = janus_.message_plugin(destroy.get());
    if (!r.ok && !r.refused_with(PluginError::NoSuchRoom))
        log_warn("session lifecycle: destroy_room of session %s failed (%s); left to the room reconciler", sid.c_str(),
                 r.error.substr(0, 120).c_str());
    switch (done.reason) {
    case LifecycleReason::Expired: ++counts.expired; break;
    case LifecycleReason::MaxDuration: ++counts.max_duration; break;
    case LifecycleReason::Idle: ++counts.idle; break;
    case LifecycleReason::None: break;
    }
    log_info("session lifecycle: session %s %s by system (reason %s)", sid.c_str(),
             done.action == LifecycleAction::Cancel ? "cancelled" : "ended", to_string(done.reason));
    return true;
}

bool SessionLifecycle::try_close(const std::string& sid, Occupancy occupancy, int64_t empty_for_us,
                                 Counts& counts) {
    try {
        return close_if_due(sid, occupancy, empty_for_us, counts);
    } catch (const std::exception& e) {
        if (++failures_ >= kMaxFailuresPerSweep) throw;
        log_warn("session lifecycle: session %s: %s; tried again at the next sweep", sid.c_str(),
                 first_line(e).c_str());
        return false;
    }
}

void SessionLifecycle::sweep_idle(std::size_t& budget, Counts& counts) {
    const auto now = std::chrono::steady_clock::now();
    Json req = admin_api::build_request(admin_api::ListRoomsRequest{});
    JanusAdmin::Result r = janus_.message_plugin(req.get());
    std::optional<std::vector<admin_api::RoomSummary>> rooms;
    if (r.ok) rooms = admin_api::parse_rooms_reply(r.response.get());
    if (!rooms) {
        // Presence unknown: nothing ends, and every clock starts again
        // (later, never earlier) once Janus answers.
        if (!empty_since_.empty())
            log_info("session lifecycle: room presence unknown (%s); idle clocks restarted",
                     r.ok ? "unreadable list_rooms answer" : "Janus did not answer");
        empty_since_.clear();
        return;
    }
    std::string empty_rooms = "{";
    for (const admin_api::RoomSummary& rs : *rooms) {
        if (rs.participants != 0) continue;
        if (empty_rooms.size() > 1) empty_rooms += ',';
        empty_rooms += rs.room;  // a UUID (parse_rooms_reply checked it)
    }
    empty_rooms += '}';
    std::vector<std::string> empty_active;
    if (empty_rooms.size() > 2)
        db::run_read(pool_, [&](PGconn* c) {
            empty_active = ids_of(db::exec(c,
                                           "SELECT id::text FROM sessions WHERE status = 'active' "
                                           "AND id = ANY($1::uuid[])",
                                           db::Params().add(empty_rooms)));
        });
    // Keep the clocks of rooms still empty; forget every other one (occupied,
    // gone from Janus, or its session no longer active).
    std::map<std::string, std::chrono::steady_clock::time_point> next;
    for (const std::string& sid : empty_active) {
        auto it = empty_since_.find(sid);
        next.emplace(sid, it != empty_since_.end() ? it->second : now);
    }
    empty_since_ = std::move(next);
    // Longest empty first.
    std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> due;
    for (const auto& [sid, since] : empty_since_)
        if (now - since >= std::chrono::seconds(policy_.idle_end_s)) due.emplace_back(since, sid);
    std::sort(due.begin(), due.end());
    for (const auto& [since, sid] : due) {
        if (budget == 0) break;
        const int64_t empty_for_us = std::chrono::duration_cast<std::chrono::microseconds>(now - since).count();
        if (try_close(sid, Occupancy::Empty, empty_for_us, counts)) {
            --budget;
            empty_since_.erase(sid);
        }
    }
}

std::size_t SessionLifecycle::prune_idempotency_keys() {
    std::size_t total = 0;
    for (int batch = 0; batch < kMaxPruneBatches; ++batch) {
        long n = 0;
        db::transact(pool_, [&](PGconn* c) {
            // Oldest first through idempotency_keys_created_idx; one short
            // transaction per batch keeps locks and WAL bursts small.
            db::ResultPtr r = db::exec(c,
                                       "DELETE FROM idempotency_keys WHERE (api_key_id, key) IN ("
                                       " SELECT api_key_id, key FROM idempotency_keys"
                                       " WHERE created_at < now() - $1::int8 * interval '1 hour'"
                                       " ORDER BY created_at LIMIT $2::int)",
                                       db::Params().add(static_cast<int64_t>(key_retention_h_)).add(kPruneBatch));
            n = std::strtol(PQcmdTuples(r.get()), nullptr, 10);
            return db::TxnEnd::Commit;
        });
        total += static_cast<std::size_t>(std::max(0L, n));
        if (n < kPruneBatch) break;
    }
    return total;
}

std::size_t SessionLifecycle::prune_outbox() {
    std::size_t total = 0;
    for (int batch = 0; batch < kMaxPruneBatches; ++batch) {
        long n = 0;
        db::transact(pool_, [&](PGconn* c) {
            // Oldest delivery first through outbox_delivered_idx (sql/012).
            // The rows are locked first, so their deliveries and the events
            // go in one short transaction, and a second controller pruning
            // at the same time skips them instead of waiting.
            db::ResultPtr ids = db::exec(c,
                                         "SELECT coalesce(array_agg(id)::text, '{}') FROM ("
                                         " SELECT o.id FROM outbox o"
                                         " WHERE o.delivered_at IS NOT NULL"
                                         " AND o.delivered_at < now() - $1::int8 * interval '1 hour'"
                                         " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d"
                                         "  WHERE d.outbox_id = o.id AND d.state <> 'delivered')"
                                         " ORDER BY o.delivered_at LIMIT $2::int"
                                         " FOR UPDATE OF o SKIP LOCKED) doomed",
                                         db::Params().add(static_cast<int64_t>(outbox_retention_h_)).add(kPruneBatch));
            const std::string list = PQgetvalue(ids.get(), 0, 0);
            if (list == "{}") return db::TxnEnd::Commit;
            db::exec(c, "DELETE FROM webhook_deliveries WHERE outbox_id = ANY($1::int8[])", db::Params().add(list));
            db::ResultPtr r = db::exec(c, "DELETE FROM outbox WHERE id = ANY($1::int8[])", db::Params().add(list));
            n = std::strtol(PQcmdTuples(r.get()), nullptr, 10);
            return db::TxnEnd::Commit;
        });
        total += static_cast<std::size_t>(std::max(0L, n));
        if (n < kPruneBatch) break;
    }
    return total;
}

SessionLifecycle::Counts SessionLifecycle::sweep_once() {
    Counts counts;
    failures_ = 0;
    std::size_t budget = kMaxTransitionsPerSweep;
    // 1. Too long.
    if (policy_.max_duration_s > 0) {
        std::vector<std::string> due;
        db::run_read(pool_, [&](PGconn* c) {
            due = ids_of(db::exec(c,
                                  // Qualified names: a bare `id` in ORDER BY would be the
                                  // text output column, and defeat the index order.
                                  "SELECT s.id::text FROM sessions s WHERE s.status = 'active'"
                                  " AND s.started_at <= now() - $1::int8 * interval '1 second'"
                                  " ORDER BY s.started_at, s.id LIMIT $2::int",
                                  db::Params().add(policy_.max_duration_s).add(static_cast<int64_t>(budget))));
        });
        for (const std::string& sid : due)
            if (budget > 0 && try_close(sid, Occupancy::Unknown, 0, counts)) --budget;
    }
    // 2. Nobody in the room.
    if (policy_.idle_end_s > 0 && budget > 0) sweep_idle(budget, counts);
    // 3. Never started.
    if (policy_.expire_after_s > 0 && budget > 0) {
        std::vector<std::string> due;
        db::run_read(pool_, [&](PGconn* c) {
            due = ids_of(db::exec(c,
                                  "SELECT s.id::text FROM sessions s WHERE s.status = 'scheduled'"
                                  " AND coalesce(s.scheduled_at, s.created_at) <= now() - $1::int8 * interval '1 second'"
                                  " ORDER BY coalesce(s.scheduled_at, s.created_at), s.id LIMIT $2::int",
                                  db::Params().add(policy_.expire_after_s).add(static_cast<int64_t>(budget))));
        });
        for (const std::string& sid : due)
            if (budget > 0 && try_close(sid, Occupancy::Unknown, 0, counts)) --budget;
    }
    // 4. Idempotency keys past their replay window.
    if (key_retention_h_ > 0) counts.keys_pruned = prune_idempotency_keys();
    // 5. Outbox events delivered longer ago than their retention.
    if (outbox_retention_h_ > 0) counts.outbox_pruned = prune_outbox();
    if (counts.expired + counts.max_duration + counts.idle + counts.keys_pruned > 0)
        log_info("session lifecycle: %zu expired, %zu over max duration, %zu idle, %zu idempotency keys pruned",
                 counts.expired, counts.max_duration, counts.idle, counts.keys_pruned);
    if (counts.outbox_pruned > 0)
        log_info("session lifecycle: %zu delivered outbox events pruned", counts.outbox_pruned);
    if (budget == 0) log_info("session lifecycle: %zu transitions this sweep (the limit); the rest at the next",
                              kMaxTransitionsPerSweep);
    return counts;
}

void SessionLifecycle::loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
        lk.unlock();
        try {
            sweep_once();
        } catch (const std::exception& e) {
            log_warn("session lifecycle: sweep failed: %s", first_line(e).c_str());
        } catch (...) {
            log_warn("session lifecycle: sweep failed: unknown error");
        }
        lk.lock();
        cv_.wait_for(lk, std::chrono::seconds(interval_s_), [this] { return stop_; });
    }
}

}  // namespace telemed
