// controller/live/room_reconciler.hpp.
#include "controller/live/room_reconciler.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/recordings_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/db/pg.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/live/redis_raii.hpp"
#include "controller/live/session_locks.hpp"
#include "controller/log.hpp"
#include "controller/routes/janus_step.hpp"
#include "controller/routes/support.hpp"

namespace telemed {
namespace {

constexpr long kQuickIntervalMs = 500;                   // pass period while rooms may be missing
constexpr int kRestoreAttempts = 3;                      // per room and pass, when the session changes meanwhile
constexpr long long kSnapshotTtlS = 7 * 86400;           // Redis keys of rooms not seen again expire
constexpr auto kRewriteEvery = std::chrono::hours(1);    // refreshes the TTL of an unchanged snapshot
constexpr std::size_t kMaxOrphansPerPass = 100;          // rooms of no session destroyed per pass
// A recording the processor found lost (4040 from the new instance) up to
// one pass interval plus this before the reconciler saw the restart still
// counts as cut by that restart (resume_recording).
constexpr long long kLostMarginMs = 10000;

}  // namespace

struct RoomReconciler::Impl {
    std::string host;
    int port;
    std::string prefix;
    RedisContext ctx;

    // In memory: the last snapshot of each room, and when it was written to Redis.
    struct Kept {
        admin_api::RoomSnapshot snap;
        std::string text;
        std::chrono::steady_clock::time_point written{};
    };
    std::map<std::string, Kept> kept;
    std::string instance;  // last plugin instance whose restore completed

    // The restore after a Janus restart, over one or more passes:
    // restore_instance is the new plugin instance; `restored` its rooms
    // that create_room already carried the kept admitted ids and mute states
    // to (at most once per room and instance: the plugin ORs them into the
    // live state, so sending them again would undo a moderator's unmute);
    // `fresh` its rooms whose kept snapshot was taken from that instance
    // since (a room missing again is re-created from it, else plain).
    std::string restore_instance;
    std::set<std::string> restored;
    std::set<std::string> fresh;
    // When this reconciler first saw restore_instance (Unix microseconds):
    // a recording found lost since then (less a margin) was cut by that
    // restart, and an `optional` room that had it records again.
    int64_t restart_seen_us = 0;

    std::string instance_key() const { return prefix + "janus:instance"; }
    std::string snapshot_key(const std::string& sid) const { return prefix + "room:" + sid + ":snapshot"; }

    redisContext* redis() {
        if (ctx && ctx->err == 0) return ctx.get();
        ctx.reset(redisConnectWithTimeout(host.c_str(), port, redis_timeval(std::chrono::milliseconds(1000))));
        if (!ctx || ctx->err != 0 || redisSetTimeout(ctx.get(), redis_timeval(std::chrono::milliseconds(1000))) != REDIS_OK) {
            ctx.reset();
            return nullptr;
        }
        return ctx.get();
    }
    // GET: the value, "" when absent or Redis is unavailable.
    std::string get(const std::string& key) {
        redisContext* c = redis();
        if (!c) return {};
        RedisReply r(static_cast<redisReply*>(redisCommand(c, "GET %b", key.data(), key.size())));
        if (!r) {
            ctx.reset();
            return {};
        }
        return r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
    }
    bool set(const std::string& key, const std::string& value) {
        redisContext* c = redis();
        if (!c) return false;
        RedisReply r(static_cast<redisReply*>(
            redisCommand(c, "SET %b %b EX %lld", key.data(), key.size(), value.data(), value.size(), kSnapshotTtlS)));
        if (!r) ctx.reset();
        return r && r->type == REDIS_REPLY_STATUS;
    }
    void del(const std::string& key) {
        redisContext* c = redis();
        if (!c) return;
        RedisReply r(static_cast<redisReply*>(redisCommand(c, "DEL %b", key.data(), key.size())));
        if (!r) ctx.reset();
    }

    // The last snapshot of room `sid`: memory, else Redis.
    std::optional<admin_api::RoomSnapshot> last_snapshot(const std::string& sid) {
        auto it = kept.find(sid);
        if (it != kept.end()) return it->second.snap;
        const std::string text = get(snapshot_key(sid));
        if (text.empty()) return std::nullopt;
        json_error_t e;
        Json j(json_loadb(text.data(), text.size(), 0, &e));
        return admin_api::parse_room_snapshot(j.get());
    }

    void keep(const admin_api::RoomSnapshot& s) {
        Json j = admin_api::room_snapshot_json(s);
        std::string text = json_dump(j.get());
        if (text.empty()) return;
        auto now = std::chrono::steady_clock::now();
        Kept& k = kept[s.room];
        if (k.text == text && now - k.written < kRewriteEvery) return;
        k.snap = s;
        k.text = std::move(text);
        if (set(snapshot_key(s.room), k.text)) k.written = now;
    }

    void forget(const std::string& sid) {
        if (kept.erase(sid) != 0) del(snapshot_key(sid));
    }
};

RoomReconciler::RoomReconciler(db::Pool& pool, JanusAdmin& janus, std::string redis_host, int redis_port,
                               std::string redis_prefix, unsigned interval_ms)
    : pool_(pool), janus_(janus), interval_ms_(interval_ms == 0 ? 2000 : interval_ms), impl_(std::make_unique<Impl>()) {
    impl_->host = std::move(redis_host);
    impl_->port = redis_port;
    impl_->prefix = std::move(redis_prefix);
}

RoomReconciler::~RoomReconciler() { stop(); }

void RoomReconciler::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void RoomReconciler::stop() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

RoomReconciler::State RoomReconciler::state() const {
    if (state_.load(std::memory_order_acquire) != State::Ok) return State::Restoring;
    if (janus_.transport_failures() != failures_seen_.load(std::memory_order_acquire)) return State::Restoring;
    return current_instance() ? State::Ok : State::Restoring;
}

// False when a pong or snapshot showed a plugin instance other than the one
// whose rooms the last good pass checked: Janus restarted since.
bool RoomReconciler::current_instance() const {
    const std::string seen = janus_.last_instance();
    std::lock_guard lk(mu_);
    return seen.empty() || seen == instance_ok_;
}

void RoomReconciler::run() {
    std::unique_lock lk(mu_);
    while (!stopping_) {
        lk.unlock();
        bool ok = false;
        const uint64_t failures = janus_.transport_failures();
        try {
            ok = pass();
        } catch (const std::exception& e) {
            std::string what(e.what());
            log_warn("room reconciler: %s", what.substr(0, what.find('\n')).substr(0, 200).c_str());
        } catch (...) {
            log_warn("room reconciler: unknown error");
        }
        if (ok) failures_seen_.store(failures, std::memory_order_release);
        if (ok) {
            std::lock_guard ilk(mu_);
            instance_ok_ = impl_->instance;
        }
        const State before = state_.exchange(ok ? State::Ok : State::Restoring, std::memory_order_acq_rel);
        if (before != State::Ok && ok) log_info("room reconciler: every room in place or tried");
        lk.lock();
        // Sooner while rooms may be missing, or when Janus failed meanwhile.
        const auto full = std::chrono::milliseconds(interval_ms_);
        const auto quick = std::min(full, std::chrono::milliseconds(kQuickIntervalMs));
        const auto until = std::chrono::steady_clock::now() + (ok ? full : quick);
        while (!stopping_ && std::chrono::steady_clock::now() < until) {
            const bool wake_early = ok && (janus_.transport_failures() != failures_seen_.load(std::memory_order_acquire) ||
                                           janus_.last_instance() != instance_ok_);
            if (wake_early) break;
            cv_.wait_for(lk, std::min(quick, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 until - std::chrono::steady_clock::now())),
                         [this] { return stopping_; });
        }
    }
}

bool RoomReconciler::stopping() const {
    std::lock_guard lk(mu_);
    return stopping_;
}

void RoomReconciler::request_resync(const std::string& session_id) {
    std::lock_guard lk(mu_);
    if (resync_.size() >= kMaxResync) {
        log_warn("room reconciler: resync list full; session %s not queued", session_id.c_str());
        return;
    }
    resync_.insert(session_id);
}

void RoomReconciler::resync_pending() {
    std::set<std::string> todo;
    {
        std::lock_guard lk(mu_);
        todo.swap(resync_);
    }
    bool janus_gone = false;
    bool db_failed = false;
    for (const std::string& sid : todo) {
        if (janus_gone || db_failed || stopping()) {
            request_resync(sid);  // the rest waits for the next pass
            continue;
        }
        bool ok = true;
        try {
            std::optional<db::Session> s;
            std::vector<db::Participant> parts;
            db::run_read(pool_, [&](PGconn* c) {
                s = db::find_session(c, sid);
                if (s) parts = db::list_active_participants(c, sid);
            });
            if (!s || !is_open(s->status)) continue;
            for (const db::Participant& p : parts) {
                Json set = admin_api::build_request(admin_api::SetPermissionsRequest{
                    sid, p.id, effective_permissions(p.role, s->kind, p.overrides), p.role});
                JanusAdmin::Result r = janus_.message_plugin(set.get());
                if (!r.ok && !r.refused_with(PluginError::NoSuchRoom)) {
                    ok = false;
                    if (r.unreachable) janus_gone = true;  // the rest waits for the next pass
                    break;
                }
            }
        } catch (const std::exception& e) {
            // Postgres failed: this session and the rest wait for the next pass.
            std::string what(e.what());
            log_warn("room reconciler: resync of session %s: %s", sid.c_str(),
                     what.substr(0, what.find('\n')).substr(0, 200).c_str());
            ok = false;
            db_failed = true;
        } catch (...) {
            log_warn("room reconciler: resync of session %s: unknown error", sid.c_str());
            ok = false;
            db_failed = true;
        }
        if (ok) {
            log_info("room reconciler: permissions of session %s re-sent after a failed Janus call", sid.c_str());
        } else {
            request_resync(sid);
        }
    }
}

std::optional<std::string> RoomReconciler::mark_lost_recording(const std::string& sid, bool room_present) {
    std::optional<std::string> lost;
    try {
        std::optional<db::RecordingRow> live;
        db::run_read(pool_, [&](PGconn* c) { live = db::find_live_recording(c, sid); });
        // `starting`: a REST start that never got its answer; it holds the
        // session lock shared, we hold it exclusively: none is in flight, the
        // row is that request's to fail (or the processor's).
        if (!live || live->state != "recording") return std::nullopt;
        if (room_present) {
            // Re-created on the new instance already: lost unless it records this id.
            Json body = admin_api::build_request(admin_api::RoomInfoRequest{sid});
            JanusAdmin::Result res = janus_.message_plugin(body.get());
            if (!res.ok || !res.response) return std::nullopt;  // no answer: no conclusion
            const json_t* rec = json_object_get(res.response.get(), "recording");
            const json_t* id = rec ? json_object_get(rec, "recording_id") : nullptr;
            const json_t* state = rec ? json_object_get(rec, "state") : nullptr;
            if (json_is_string(state) && std::string_view(json_string_value(state)) == "on" && json_is_string(id) &&
                is_uuid(json_string_value(id)) && normalize_uuid(json_string_value(id)) == live->id)
                return std::nullopt;
        }
        db::transact(pool_, [&](PGconn* c) {
            lost.reset();
            if (!db::lock_session(c, sid)) return db::TxnEnd::Rollback;
            if (db::stop_lost_recording(c, sid, live->id)) lost = live->id;  // still `recording`
            return lost ? db::TxnEnd::Commit : db::TxnEnd::Rollback;
        });
    } catch (const std::exception& e) {
        std::string what(e.what());
        log_warn("room reconciler: lost recording of session %s: %s", sid.c_str(),
                 what.substr(0, what.find('\n')).substr(0, 200).c_str());
        return std::nullopt;
    }
    if (lost) log_warn("room reconciler: recording %s of session %s lost with the media server", lost->c_str(), sid.c_str());
    return lost;
}

void RoomReconciler::resume_recording(const std::string& sid, const std::optional<std::string>& lost_now) {
    // Only an `optional` room that was recording when Janus went away: a
    // `required` one records by itself once restored (the plugin's rule), a
    // `disabled` one never; a recording stopped on purpose (no fault) or
    // lost before this restart is not resumed; one started since (REST, a
    // moderator) is left alone.
    const int64_t margin_us = (static_cast<int64_t>(interval_ms_) + kLostMarginMs) * 1000;
    const std::string rid = new_uuid_v4();
    bool asked = false;
    try {
        db::transact(pool_, [&](PGconn* c) {
            asked = false;
            std::optional<db::Session> s = db::lock_session(c, sid);
            if (!s || s->status != SessionStatus::Active || s->recording_policy != RecordingPolicy::Optional)
                return db::TxnEnd::Rollback;
            if (db::find_live_recording(c, sid)) return db::TxnEnd::Rollback;
            std::optional<db::RecordingRow> last = db::latest_recording(c, sid);
            if (!last || last->fault != std::optional<std::string>("media_server_lost") || !last->stopped_at)
                return db::TxnEnd::Rollback;
            const bool cut_by_this_restart =
                (lost_now && *lost_now == last->id) || *last->stopped_at + margin_us >= impl_->restart_seen_us;
            if (!cut_by_this_restart) return db::TxnEnd::Rollback;
            db::insert_starting(c, rid, sid, "system");
            asked = true;
            return db::TxnEnd::Commit;
        });
        if (!asked) return;
        Json body = admin_api::build_request(admin_api::AdminRecordRequest{sid, true, rid});
        JanusAdmin::Result r = janus_.message_plugin(body.get());
        std::optional<admin_api::RecordingState> st;
        if (r.ok) st = admin_api::parse_recording_reply(r.response.get());
        const bool started = st && st->on && st->recording_id == rid;
        db::transact(pool_, [&](PGconn* c) {
            std::optional<db::Session> s = db::lock_session(c, sid);
            if (!s) return db::TxnEnd::Rollback;
            if (started) {
                const bool open = s->status == SessionStatus::Scheduled || s->status == SessionStatus::Active;
                db::note_started(c, sid, open, rid, unix_now_micros(), std::nullopt, "system");
            } else {
                db::mark_failed(c, rid, sid,
                                r.unreachable ? "media server unreachable" : "refused by the media server",
                                r.plugin_error, "system");
            }
            return db::TxnEnd::Commit;
        });
        if (started)
            log_info("room reconciler: session %s records again (recording %s; the one Janus lost is incomplete)",
                     sid.c_str(), rid.c_str());
        else
            log_warn("room reconciler: recording of session %s not resumed: %s (plugin error %d)", sid.c_str(),
                     r.unreachable ? "unreachable" : "refused", r.plugin_error);
    } catch (const std::exception& e) {
        std::string what(e.what());
        log_warn("room reconciler: resuming the recording of session %s: %s", sid.c_str(),
                 what.substr(0, what.find('\n')).substr(0, 200).c_str());
    }
}

bool RoomReconciler::pass() {
    Impl& im = *impl_;
    // 1. What Janus has.
    Json req = admin_api::build_request(admin_api::SnapshotRequest{});
    JanusAdmin::Result r = janus_.message_plugin(req.get());
    if (!r.ok) return false;
    std::optional<admin_api::Snapshot> snap = admin_api::parse_snapshot_reply(r.response.get());
    if (!snap) {
        log_warn("room reconciler: unreadable snapshot from the plugin");
        return false;
    }
    janus_.note_instance(snap->instance);
    std::map<std::string, const admin_api::RoomSnapshot*> present;
    for (const admin_api::RoomSnapshot& rs : snap->rooms) present.emplace(rs.room, &rs);

    // 2. What must exist, and which present rooms belong to closed sessions.
    std::set<std::string> expected;
    std::vector<std::string> closed;
    std::vector<std::string> orphans;
    db::run_read(pool_, [&](PGconn* c) {
        expected.clear();
        closed.clear();
        orphans.clear();
        db::ResultPtr res = db::exec(c,
                                     "SELECT s.id::text FROM sessions s WHERE s.status = 'active' OR "
                                     "(s.status = 'scheduled' AND EXISTS (SELECT 1 FROM participants p "
                                     "WHERE p.session_id = s.id AND p.status = 'active'))");
        for (int i = 0; i < PQntuples(res.get()); ++i) expected.insert(db::str(res.get(), i, 0));
        if (!present.empty()) {
            std::string arr = "{";
            for (const auto& [id, rs] : present) {
                if (arr.size() > 1) arr += ',';
                arr += id;
            }
            arr += '}';
            db::ResultPtr cl = db::exec(c,
                                        "SELECT id::text FROM sessions WHERE id = ANY($1::uuid[]) "
                                        "AND status IN ('ended', 'cancelled')",
                                        db::Params().add(arr));
            for (int i = 0; i < PQntuples(cl.get()); ++i) closed.push_back(db::str(cl.get(), i, 0));
            // Rooms of no session at all (made by hand through the Admin
            // API, or by a foreign tool): nothing may live in the media path
            // that Postgres does not know. Safe against a session being
            // created meanwhile: sessions are committed before their room
            // is ever created (routes: the room comes with the first
            // participant or the start), and the snapshot above was taken
            // before this read. Bounded per pass; the rest go next time.
            db::ResultPtr orph = db::exec(c,
                                          "SELECT u::text FROM unnest($1::uuid[]) AS u WHERE NOT EXISTS "
                                          "(SELECT 1 FROM sessions s WHERE s.id = u) LIMIT $2::int",
                                          db::Params().add(arr).add(static_cast<int64_t>(kMaxOrphansPerPass)));
            for (int i = 0; i < PQntuples(orph.get()); ++i) orphans.push_back(db::str(orph.get(), i, 0));
        }
    });

    // 3. A new plugin instance: Janus restarted.
    std::string stored = im.instance.empty() ? im.get(im.instance_key()) : im.instance;
    const bool restarted = !stored.empty() && stored != snap->instance;
    if (restarted && im.restore_instance != snap->instance) {
        log_warn("room reconciler: Janus restarted (new plugin instance); restoring %zu rooms", expected.size());
        im.restore_instance = snap->instance;
        im.restart_seen_us = unix_now_micros();
        im.restored.clear();
        im.fresh.clear();
    }
    if (restarted) {
        // Rooms restored on the new instance by an earlier pass: their kept
        // snapshot is now the new instance's.
        for (const admin_api::RoomSnapshot& rs : snap->rooms) {
            if (expected.count(rs.room) == 0 || im.restored.count(rs.room) == 0) continue;
            im.keep(rs);
            im.fresh.insert(rs.room);
        }
    }

    // 4. Restore. Every room needing it is attempted; one that Janus refuses
    // (e.g. the plugin's room limit) or that keeps changing is logged and
    // tried again at the next pass, without holding the pass back (only
    // Janus unreachable does).
    bool complete = true;
    std::size_t restored = 0;
    std::size_t failed = 0;
    std::size_t busy = 0;  // in a REST change: the next pass
    bool janus_gone = false;
    for (const std::string& sid : expected) {
        // Its live state already went to this instance: only re-created if missing.
        const bool again = restarted && im.restored.count(sid) != 0;
        if ((!restarted || again) && present.count(sid) != 0) continue;
        if (janus_gone || stopping()) {
            complete = false;  // Janus went away (or we stop): the next pass goes on
            break;
        }
        // No REST change to this session's room meanwhile (an end's
        // destroy_room must not be undone by a restore that read the session
        // open: session_locks.hpp). A session in a change is that change's
        // to put right (an add creates the room, an end removes it); still
        // missing afterwards, the next pass restores it. Never wait here.
        std::unique_lock<std::shared_mutex> owned(session_locks().of(sid), std::try_to_lock);
        if (!owned.owns_lock()) {
            ++busy;
            continue;
        }
        std::optional<admin_api::RoomSnapshot> last = im.last_snapshot(sid);
        // The kept admitted ids and mutes: at most once per room and instance
        // (then from the new instance's own snapshot, if one was taken since).
        bool with_state = last && (!again || im.fresh.count(sid) != 0);
        bool done = false;
        bool created = false;  // a create_room of this pass reached Janus
        // Janus restarted: a recording the session had on died with the old
        // instance (unless the new one records that very id: checked when a
        // REST call re-created the room first). Marked lost (fault
        // media_server_lost) before the room comes back, so that a recording
        // the restored room starts (a required room's own, or resume_recording)
        // does not supersede it as if it had been stopped on purpose.
        std::optional<std::string> lost_now;
        if (restarted) lost_now = mark_lost_recording(sid, present.count(sid) != 0);
        for (int attempt = 0; attempt < kRestoreAttempts && !done; ++attempt) {
            std::string before;
            std::optional<db::Session> s;
            std::vector<db::Participant> parts;
            std::vector<std::string> revoked;
            std::vector<db::ConsentRow> consents;
            db::run_read(pool_, [&](PGconn* c) {
                before = session_fingerprint(c, sid);
                s = db::find_session(c, sid);
                if (!s) return;
                parts = db::list_active_participants(c, sid);
                revoked = db::removed_participant_ids(c, sid, admin_api::kMaxRevokedInRequest);
                consents = db::latest_consents_of_active(c, sid, static_cast<int>(admin_api::kMaxGrantsInRequest));
            });
            if (!s || !is_open(s->status)) {
                // Closed meanwhile: nothing to restore. If our create_room
                // landed after the end's destroy_room, the room goes at once
                // (step 5 of this pass), not at the next pass.
                if (created) closed.push_back(sid);
                done = true;
                break;
            }
            if (last) {
                std::set<std::string> have(revoked.begin(), revoked.end());
                for (const std::string& pid : last->revoked)
                    if (revoked.size() < admin_api::kMaxRevokedInRequest && have.insert(pid).second)
                        revoked.push_back(pid);
            }
            Json body = create_room_request(*s, s->status == SessionStatus::Active ? "active" : "scheduled", revoked,
                                            parts);
            if (with_state || !consents.empty()) {
                // create_room_request's body plus the live state and the
                // stored consents: re-built typed.
                auto parsed = admin_api::parse_request(body.get());
                if (parsed.ok()) {
                    auto& cr = std::get<admin_api::CreateRoomRequest>(*parsed.value);
                    if (with_state) {
                        cr.admitted = last->admitted;
                        cr.muted = last->muted;
                    }
                    for (const db::ConsentRow& k : consents)
                        cr.consents.push_back({k.participant_id, k.recording, k.id});
                    body = admin_api::build_request(cr);
                    if (!cr.consents.empty() && json_dump(body.get()).size() > admin_api::kMaxRequestBytes) {
                        // A very large room: the room first; its participants
                        // answer again (their SDK repeats its answer on rejoin).
                        log_warn("room reconciler: session %s: consents left out of the restore (request too large)",
                                 sid.c_str());
                        cr.consents.clear();
                        body = admin_api::build_request(cr);
                    }
                }
            }
            JanusAdmin::Result cr = janus_.message_plugin(body.get());
            if (!cr.ok) {
                log_warn("room reconciler: create_room for session %s failed: %s", sid.c_str(), cr.error.c_str());
                if (cr.unreachable) janus_gone = true;
                break;
            }
            created = true;
            with_state = false;  // applied: a further attempt sends the Postgres state only
            if (restarted) im.restored.insert(sid);
            std::string after;
            db::run_read(pool_, [&](PGconn* c) { after = session_fingerprint(c, sid); });
            done = after == before;  // changed meanwhile: again, with the current state
        }
        if (done) {
            ++restored;
            if (created && restarted && !stopping()) resume_recording(sid, lost_now);
        } else if (janus_gone) {
            complete = false;
        } else {
            ++failed;  // Janus answered: retried at the next pass
        }
    }
    if (restored) log_info("room reconciler: %zu rooms restored", restored);
    if (failed) log_warn("room reconciler: %zu rooms not restored; tried again at the next pass", failed);
    if (busy) log_debug("room reconciler: %zu rooms in a change; restored at the next pass if still missing", busy);

    // 5. Rooms of closed sessions go.
    for (const std::string& sid : closed) {
        Json d = admin_api::build_request(admin_api::DestroyRoomRequest{sid});
        JanusAdmin::Result dr = janus_.message_plugin(d.get());
        if (dr.ok) log_info("room reconciler: room of closed session %s destroyed", sid.c_str());
        im.forget(sid);
    }

    // 5b. Rooms of no session go too (their admitted participants get "ended").
    std::size_t orphaned = 0;
    for (const std::string& room : orphans) {
        if (janus_gone || stopping()) break;
        Json d = admin_api::build_request(admin_api::DestroyRoomRequest{room});
        JanusAdmin::Result dr = janus_.message_plugin(d.get());
        if (dr.ok) ++orphaned;
        if (dr.unreachable) janus_gone = true;
        im.forget(room);
    }
    if (orphaned) log_warn("room reconciler: %zu room(s) of no session destroyed (made outside the controller)", orphaned);

    // 6. Permission sets a failed REST call may have left different.
    resync_pending();

    // 7. Keep the live state of rooms in place (after a restart, those
    // restored by an earlier pass were kept in 3; those restored just now
    // are kept at the next pass, with the restored state).
    if (!restarted)
        for (const admin_api::RoomSnapshot& rs : snap->rooms)
            if (expected.count(rs.room) != 0) im.keep(rs);
    for (auto it = im.kept.begin(); it != im.kept.end();) {
        const std::string sid = it->first;
        ++it;
        if (expected.count(sid) == 0) im.forget(sid);
    }
    // Every room was attempted on this instance and Janus answered each:
    // the restore is over (rooms it refused are tried again as missing ones).
    if (complete) {
        if (im.instance != snap->instance) {
            if (!im.set(im.instance_key(), snap->instance))
                log_warn("room reconciler: cannot store the plugin instance in Redis");
            im.instance = snap->instance;
        }
        im.restore_instance.clear();
        im.restored.clear();
        im.fresh.clear();
    }
    return complete;
}

const char* AppContext::rooms_state() const { return rooms ? rooms->state_name() : "ok"; }

}  // namespace telemed
