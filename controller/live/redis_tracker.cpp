// RedisTracker: best-effort live state in Redis (docs/DESIGN.md "Redis").
//
// One redisContext, created only by the background thread with a ~200 ms
// connect timeout and a ~200 ms socket timeout, so a request thread never
// connects and never waits on a down or hung Redis for longer than one
// socket timeout. Any error frees the context and marks the tracker dirty;
// while dirty, writes are skipped and the background thread reconnects every
// ~500 ms, then rebuilds the keys it owns from Postgres (through the Loader).
// While clean, the thread checks every ~2 s that the `sessions:rebuilt_at`
// marker of the last rebuild still exists: a Redis that lost its data
// (FLUSHALL, a restart without persistence, eviction) is rebuilt even when
// no write fails.
//
// The rebuild works in bounded batches, so Redis is never blocked by it for
// long (each MULTI/EXEC, UNLINK or SCAN is at most kRebuildBatch commands or
// keys; ~1-2 ms each), and request threads never wait for it (the I/O lock
// is released between batches):
//  1. load the snapshot (open sessions, their active participants);
//  2. per session, in one MULTI/EXEC with the others of its batch: UNLINK
//     its two keys, write them again, add its id to rebuild:open /
//     rebuild:active (sets built beside the live ones, emptied first);
//  3. one MULTI/EXEC: UNLINK sessions:open and sessions:active, RENAME the
//     built sets onto them, SET sessions:rebuilt_at "rebuilding";
//  4. SCAN <prefix>session:* and UNLINK, in batches, the per-session keys
//     (exactly <prefix>session:<sid> and <prefix>session:<sid>:participants)
//     of sessions not in the snapshot. Other keys under the prefix (presence
//     keys with their own TTL, anything else) are left alone;
//  5. replay the writes queued meanwhile (below), in batches, each write's
//     commands in one MULTI/EXEC; then SET sessions:rebuilt_at <now> XX (the
//     marker missing there: Redis lost its data since step 3, start over).
// The end state is the one-transaction rebuild's: every owned key is the
// snapshot plus the writes made since. While it runs a reader may see a mix
// (each session's keys are whole; the sets switch at step 3; keys of
// sessions closed before the snapshot linger until step 4).
//
// Writes racing a rebuild (the choice, and why it is safe):
// - A write call always happens after its Postgres commit. A write skipped
//   *before* the rebuild takes its snapshot is therefore in the snapshot.
// - From the moment the rebuild starts loading (`rebuilding`), skipped writes
//   are queued instead of dropped. Only the rebuild thread writes while the
//   tracker is dirty, so nothing of this controller lands between the
//   batches. After step 4 the thread replays the queue in call order, and
//   clears `dirty` only when it finds the queue empty under the state lock
//   (holding the I/O lock), so no write can fall between the replay and the
//   flag. Replaying a write the snapshot already contains rewrites the same
//   value; a session closed after the snapshot is written by step 2 and
//   deleted again by its queued close; one closed before it is not in the
//   snapshot and its keys go in step 4. A queue that overflows forces
//   another rebuild instead. This keeps request threads from ever waiting on
//   a rebuild (they only take the state lock) and avoids the livelock a
//   "writes during rebuild make it dirty again" counter has under steady
//   traffic.
// - A write that passed the dirty check, then waited for the I/O lock while
//   another write failed, either gets the lock during the rebuild (dirty: it
//   queues itself) or after it (a new generation: it drops itself, its
//   commit precedes that rebuild's snapshot).
// Limitations (inherent to writing after commit): two writes for the same
// session from different threads may reach Redis in another order than their
// commits; another controller sharing the prefix may have a write made
// between our snapshot and our batch of that session overwritten (as with
// the one-transaction rebuild, where the window was the whole EXEC); the
// next rebuild corrects both.
#include "controller/live/redis_tracker.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <utility>

#include "common/timeutil.hpp"
#include "controller/log.hpp"
#include "controller/live/redis_keys.hpp"
#include "controller/live/redis_raii.hpp"

namespace telemed {
namespace {

using namespace std::chrono_literals;
using redis::Command;

constexpr auto kConnectTimeout = 200ms;
constexpr auto kCommandTimeout = 200ms;
// The rebuild's exchanges are small (kRebuildBatch) but run on the tracker's
// own thread while request threads skip their writes (dirty); a loaded
// machine must not make a large rebuild time out and restart forever, so
// they get a longer socket timeout of their own.
constexpr auto kRebuildTimeout = 5s;
constexpr auto kRetryInterval = 500ms;
// Every 2 s while clean: does the last rebuild's marker still exist?
constexpr auto kCheckInterval = 2s;
// Commands per MULTI/EXEC of a rebuild (a session's commands are never split,
// so a batch may exceed it by one session's), keys per UNLINK. ~500 small
// commands execute in ~1 ms: far below the 50 ms Redis may be blocked for.
constexpr std::size_t kRebuildBatch = 500;
constexpr std::size_t kUnlinkBatch = 500;
constexpr std::size_t kMaxQueued = 100000;      // commands queued during one rebuild
constexpr const char* kScanCount = "500";

std::string now_rfc3339() { return format_rfc3339_micros(unix_now() * 1000000); }

// hiredis writes with write(2): a peer that closed the socket raises SIGPIPE,
// which would kill the daemon unless it is ignored process-wide. This guard
// blocks SIGPIPE in the calling thread for the duration of the I/O and
// consumes one raised meanwhile, whatever the process disposition is.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
    }
    ~SigpipeGuard() {
        if (!blocked_) return;
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                const timespec zero{0, 0};
                while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t pipe_{};
    sigset_t old_{};
    bool was_pending_ = false;
    bool blocked_ = false;
};

// First word of a Redis error ("WRONGTYPE", "ERR", "EXECABORT"): Redis may
// echo arguments after it, and arguments are not logged.
std::string error_word(const redisReply* r) {
    std::string s(r->str ? r->str : "", r->str ? r->len : 0);
    std::size_t sp = s.find(' ');
    if (sp != std::string::npos) s.resize(sp);
    if (s.size() > 32) s.resize(32);
    return s.empty() ? "error reply" : s;
}

std::string context_error(const redisContext* c) {
    if (!c->err) return "no reply";
    // The socket timeout surfaces as EAGAIN's text.
    if (c->err == REDIS_ERR_IO && std::strstr(c->errstr, "temporarily unavailable")) return "timeout";
    return c->errstr;
}

RedisContext connect_redis(const std::string& host, int port, std::string* err) {
    RedisContext c(redisConnectWithTimeout(host.c_str(), port, redis_timeval(kConnectTimeout)));
    if (!c) {
        *err = "cannot allocate context";
        return {};
    }
    if (c->err) {
        *err = c->errstr;
        return {};
    }
    if (redisSetTimeout(c.get(), redis_timeval(kCommandTimeout)) != REDIS_OK) {
        *err = "cannot set socket timeout";
        return {};
    }
    redisEnableKeepAlive(c.get());
    return c;
}

// MULTI, cmds…, EXEC in one pipeline. True when every command was queued and
// EXEC ran them all without an error reply. On false the context must be
// dropped (replies may be left unread).
bool exec_atomically(redisContext* c, const std::vector<Command>& cmds, std::string* err) {
    if (cmds.empty()) return true;
    SigpipeGuard guard;
    bool appended = redis_append(c, {"MULTI"});
    for (const Command& cmd : cmds) appended = appended && redis_append(c, cmd);
    appended = appended && redis_append(c, {"EXEC"});
    if (!appended) {
        *err = "cannot queue command";
        return false;
    }
    const std::size_t replies = cmds.size() + 2;
    for (std::size_t i = 0; i < replies; ++i) {
        RedisReply r = redis_read_reply(c);
        if (!r) {
            *err = context_error(c);
            return false;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            *err = error_word(r.get());
            return false;
        }
        if (i + 1 < replies) continue;
        // EXEC: one reply per command, none an error.
        if (r->type != REDIS_REPLY_ARRAY || r->elements != cmds.size()) {
            *err = "transaction aborted";
            return false;
        }
        for (std::size_t j = 0; j < r->elements; ++j) {
            if (r->element[j]->type == REDIS_REPLY_ERROR) {
                *err = error_word(r->element[j]);
                return false;
            }
        }
    }
    return true;
}

// One SCAN page: the keys matching `pattern` from `*cursor`, which is updated
// ("0" when the iteration is complete). Each page is one bounded command.
bool scan_page(redisContext* c, const std::string& pattern, std::string* cursor, std::vector<std::string>* keys,
               std::string* err) {
    SigpipeGuard guard;
    if (!redis_append(c, {"SCAN", *cursor, "MATCH", pattern, "COUNT", kScanCount})) {
        *err = "cannot queue command";
        return false;
    }
    RedisReply r = redis_read_reply(c);
    if (!r) {
        *err = context_error(c);
        return false;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        *err = error_word(r.get());
        return false;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
        *err = "unexpected SCAN reply";
        return false;
    }
    cursor->assign(r->element[0]->str, r->element[0]->len);
    const redisReply* list = r->element[1];
    for (std::size_t i = 0; i < list->elements; ++i) {
        const redisReply* k = list->element[i];
        if (k->type == REDIS_REPLY_STRING) keys->emplace_back(k->str, k->len);
    }
    return true;
}

// SET key value XX: 1 set, 0 not set (the key did not exist), -1 on an error.
int set_marker_if_exists(redisContext* c, const std::string& key, const std::string& value, std::string* err) {
    SigpipeGuard guard;
    if (!redis_append(c, {"SET", key, value, "XX"})) {
        *err = "cannot queue command";
        return -1;
    }
    RedisReply r = redis_read_reply(c);
    if (!r) {
        *err = context_error(c);
        return -1;
    }
    if (r->type == REDIS_REPLY_NIL) return 0;
    if (r->type == REDIS_REPLY_STATUS) return 1;
    *err = r->type == REDIS_REPLY_ERROR ? error_word(r.get()) : "unexpected SET reply";
    return -1;
}

// EXISTS key: 1 / 0, or -1 on an error (*err set).
int key_exists(redisContext* c, const std::string& key, std::string* err) {
    SigpipeGuard guard;
    if (!redis_append(c, {"EXISTS", key})) {
        *err = "cannot queue command";
        return -1;
    }
    RedisReply r = redis_read_reply(c);
    if (!r) {
        *err = context_error(c);
        return -1;
    }
    if (r->type != REDIS_REPLY_INTEGER) {
        *err = r->type == REDIS_REPLY_ERROR ? error_word(r.get()) : "unexpected EXISTS reply";
        return -1;
    }
    return r->integer > 0 ? 1 : 0;
}

}  // namespace

struct RedisTracker::Impl {
    Impl(std::string h, int p, std::string prefix) : host(std::move(h)), port(p), keys{std::move(prefix)} {}

    const std::string host;
    const int port;
    const redis::Keys keys;

    // State lock: flags, queue, loader, thread control. Never held across I/O.
    mutable std::mutex state_mu;
    std::condition_variable cv;
    bool dirty_ = true;        // starts dirty: the first thing the thread does is a rebuild
    bool rebuilding_ = false;  // snapshot taken or being taken: queue skipped writes
    bool overflow_ = false;    // queue overflowed during this rebuild
    uint64_t generation_ = 0;  // completed rebuilds
    std::deque<std::vector<Command>> queued_;  // one entry per skipped write, in call order
    std::size_t queued_commands_ = 0;
    Loader loader_;
    bool stop_requested_ = false;
    std::thread thread_;

    // I/O lock: owns ctx_ and every exchange on it. Taken before state_mu
    // when both are needed, never the other way round.
    std::mutex io_mu;
    RedisContext ctx_;

    // Called with io_mu held after a failed exchange.
    void fail_locked_io(const char* what, const std::string& err) {
        ctx_.reset();
        bool was_dirty;
        {
            std::lock_guard<std::mutex> st(state_mu);
            was_dirty = dirty_;
            dirty_ = true;
        }
        cv.notify_all();
        if (!was_dirty) log_warn("redis: %s failed (%s); live state marked dirty until rebuilt", what, err.c_str());
    }

    void enqueue_locked_state(std::vector<Command>& cmds) {
        if (overflow_) return;
        if (queued_commands_ + cmds.size() > kMaxQueued) {
            overflow_ = true;
            queued_.clear();
            queued_commands_ = 0;
            return;
        }
        queued_commands_ += cmds.size();
        queued_.push_back(std::move(cmds));
    }

    void write(std::vector<Command> cmds) noexcept {
        try {
            if (cmds.empty()) return;
            uint64_t gen;
            {
                std::lock_guard<std::mutex> st(state_mu);
                if (dirty_) {
                    if (rebuilding_) enqueue_locked_state(cmds);
                    return;
                }
                gen = generation_;
            }
            std::lock_guard<std::mutex> io(io_mu);
            {
                // Only I/O failures (made under io_mu, which we hold) set
                // dirty, so what is read here stays true during our exchange.
                std::lock_guard<std::mutex> st(state_mu);
                if (dirty_) {
                    if (rebuilding_) enqueue_locked_state(cmds);
                    return;
                }
                if (generation_ != gen) return;  // a rebuild ran since the check: its snapshot has this write
            }
            if (!ctx_) {  // not reachable while clean; stay safe anyway
                fail_locked_io("write", "not connected");
                return;
            }
            std::string err;
            if (!exec_atomically(ctx_.get(), cmds, &err)) fail_locked_io("write", err);
        } catch (...) {
            mark_dirty();  // allocation failure: the rebuild covers this write
        }
    }

    // For writes that could not even be built (allocation failure).
    void mark_dirty() noexcept {
        {
            std::lock_guard<std::mutex> st(state_mu);
            dirty_ = true;
        }
        cv.notify_all();
    }

    void end_rebuild_locked_state() {
        rebuilding_ = false;
        overflow_ = false;
        queued_.clear();
        queued_commands_ = 0;
    }

    // One MULTI/EXEC of `cmds` on ctx_ under the I/O lock, released after:
    // request threads that need it meanwhile see `dirty` and queue themselves.
    bool exec_batch(const std::vector<Command>& cmds, std::string* err) {
        std::lock_guard<std::mutex> io(io_mu);
        if (!ctx_) {
            *err = "not connected";
            return false;
        }
        return exec_atomically(ctx_.get(), cmds, err);
    }

    // One attempt: connect, load, write in batches, drop stale keys, replay
    // (the file comment). False = wait before retrying, with the reason in
    // *why (logged by run() once per outage).
    bool rebuild_once(std::string* why) {
        std::string err;
        {
            std::lock_guard<std::mutex> io(io_mu);
            if (!ctx_) {
                ctx_ = connect_redis(host, port, &err);
                if (!ctx_) {
                    *why = "connect: " + err;
                    return false;
                }
            }
        }
        Loader loader;
        {
            std::lock_guard<std::mutex> st(state_mu);
            if (stop_requested_) return false;
            if (!loader_) {
                *why = "no loader set";
                return false;
            }
            loader = loader_;
            end_rebuild_locked_state();
            rebuilding_ = true;  // from here on, skipped writes are queued
        }
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<LiveSession> snapshot;
        try {
            snapshot = loader();
        } catch (...) {
            // The loader's message may quote data; it logs its own errors.
            *why = "loading open sessions from Postgres failed";
            std::lock_guard<std::mutex> st(state_mu);
            end_rebuild_locked_state();
            return false;
        }
        const auto t_loaded = std::chrono::steady_clock::now();
        auto fail = [&](const std::string& e) {
            {
                std::lock_guard<std::mutex> io(io_mu);
                ctx_.reset();
            }
            std::lock_guard<std::mutex> st(state_mu);
            end_rebuild_locked_state();
            *why = "rebuild: " + e;
            return false;
        };
        {
            std::unique_lock<std::mutex> io(io_mu);
            const char* e = !ctx_ ? "not connected"
                            : redisSetTimeout(ctx_.get(), redis_timeval(kRebuildTimeout)) != REDIS_OK
                                ? "cannot set socket timeout"
                                : nullptr;
            io.unlock();
            if (e) return fail(e);
        }
        const std::string now = now_rfc3339();
        // 2. The sessions, a batch at a time, into fresh rebuild sets.
        std::unordered_set<std::string> open_ids;
        bool any_active = false;
        std::size_t batches = 0;
        std::vector<Command> batch{{"UNLINK", keys.rebuild_open(), keys.rebuild_active()}};
        for (const LiveSession& ls : snapshot) {
            std::vector<Command> cmds = redis::rebuild_session_commands(keys, ls, now);
            if (cmds.empty()) continue;
            open_ids.insert(ls.id);
            any_active = any_active || ls.status == "active";
            for (Command& c : cmds) batch.push_back(std::move(c));
            if (batch.size() >= kRebuildBatch) {
                if (!exec_batch(batch, &err)) return fail(err);
                ++batches;
                batch.clear();
            }
        }
        // 3. The sets switch at once, with the marker.
        for (Command& c : redis::rebuild_swap_commands(keys, !open_ids.empty(), any_active))
            batch.push_back(std::move(c));
        if (!exec_batch(batch, &err)) return fail(err);
        ++batches;
        // 4. Per-session keys of sessions not in the snapshot, a SCAN page
        // and an UNLINK of at most kUnlinkBatch keys at a time.
        std::size_t stale = 0;
        {
            std::string cursor = "0";
            std::vector<std::string> page;
            Command unlink{"UNLINK"};
            do {
                page.clear();
                {
                    std::unique_lock<std::mutex> io(io_mu);
                    bool ok = ctx_ != nullptr;
                    if (!ok) err = "not connected";
                    ok = ok && scan_page(ctx_.get(), keys.session_scan_pattern(), &cursor, &page, &err);
                    io.unlock();
                    if (!ok) return fail(err);
                }
                for (std::string& k : page) {
                    const std::string sid = keys.owned_session_id(k);
                    if (sid.empty() || open_ids.count(sid)) continue;
                    unlink.push_back(std::move(k));
                    if (unlink.size() > kUnlinkBatch) {
                        stale += unlink.size() - 1;
                        if (!exec_batch({unlink}, &err)) return fail(err);
                        unlink.resize(1);
                    }
                }
            } while (cursor != "0");
            if (unlink.size() > 1) {
                stale += unlink.size() - 1;
                if (!exec_batch({unlink}, &err)) return fail(err);
            }
        }
        // 5. Replay what was skipped since `rebuilding_` was set, a batch of
        // whole writes at a time, until the queue is empty at the moment
        // dirty is cleared (state_mu, with io_mu held so that no request
        // thread uses the context before its short timeout is back).
        std::size_t replayed = 0;
        bool marker_written = false;
        for (;;) {
            std::vector<Command> cmds;
            std::unique_lock<std::mutex> io(io_mu);
            if (!ctx_) {
                io.unlock();
                return fail("not connected");
            }
            {
                std::lock_guard<std::mutex> st(state_mu);
                if (overflow_) {
                    end_rebuild_locked_state();
                    log_warn("redis: too many writes during rebuild; rebuilding again");
                    return true;  // still dirty: the loop rebuilds again at once
                }
                while (!queued_.empty() && cmds.size() < kRebuildBatch) {
                    for (Command& c : queued_.front()) cmds.push_back(std::move(c));
                    queued_commands_ -= queued_.front().size();
                    queued_.pop_front();
                }
            }
            if (!cmds.empty()) {
                replayed += cmds.size();
                const bool ok = exec_atomically(ctx_.get(), cmds, &err);
                io.unlock();
                if (!ok) return fail(err);
                continue;
            }
            // The marker says the rebuild finished (SET XX: if Redis lost
            // its data since step 3 the marker is missing, stays missing, and
            // this rebuild starts over).
            if (!marker_written) {
                const int set = set_marker_if_exists(ctx_.get(), keys.rebuilt_at(), now_rfc3339(), &err);
                if (set < 0) {
                    io.unlock();
                    return fail(err);
                }
                if (set == 0) {
                    io.unlock();
                    log_warn("redis: live state lost during the rebuild; rebuilding again");
                    std::lock_guard<std::mutex> st(state_mu);
                    end_rebuild_locked_state();
                    return true;  // still dirty: the loop rebuilds again at once
                }
                marker_written = true;
            }
            // Back to the short timeout before any request thread can write again.
            if (redisSetTimeout(ctx_.get(), redis_timeval(kCommandTimeout)) != REDIS_OK) {
                io.unlock();
                return fail("cannot set socket timeout");
            }
            std::lock_guard<std::mutex> st(state_mu);
            if (!queued_.empty() || overflow_) {
                // Queued between the two looks: long timeout again, go on.
                if (redisSetTimeout(ctx_.get(), redis_timeval(kRebuildTimeout)) != REDIS_OK) {
                    ctx_.reset();
                    end_rebuild_locked_state();
                    *why = "rebuild: cannot set socket timeout";
                    return false;
                }
                continue;
            }
            end_rebuild_locked_state();
            dirty_ = false;
            ++generation_;
            break;
        }
        const auto ms = [](auto d) {
            return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
        };
        const auto t_end = std::chrono::steady_clock::now();
        log_info("redis: live state rebuilt (%zu open sessions, %zu stale keys removed, %zu batches, %zu replayed "
                 "commands; %lld ms: %lld ms loading, %lld ms writing)",
                 open_ids.size(), stale, batches, replayed, ms(t_end - t0), ms(t_loaded - t0), ms(t_end - t_loaded));
        return true;
    }

    // While clean: is the last rebuild's marker still there? A Redis that
    // lost it (FLUSHALL, restart without persistence) lost the rest too.
    void check_marker() {
        std::lock_guard<std::mutex> io(io_mu);
        {
            std::lock_guard<std::mutex> st(state_mu);
            if (dirty_ || stop_requested_) return;
        }
        if (!ctx_) {
            fail_locked_io("check", "not connected");
            return;
        }
        std::string err;
        const int exists = key_exists(ctx_.get(), keys.rebuilt_at(), &err);
        if (exists < 0) {
            fail_locked_io("check", err);
        } else if (exists == 0) {
            {
                std::lock_guard<std::mutex> st(state_mu);
                dirty_ = true;
            }
            cv.notify_all();
            log_warn("redis: live state lost (no %s marker); rebuilding", "sessions:rebuilt_at");
        }
    }

    void run() noexcept {
        std::string failing;  // reason of the current run of failed attempts, "" if none
        std::unique_lock<std::mutex> lk(state_mu);
        while (!stop_requested_) {
            if (!dirty_) {
                if (!cv.wait_for(lk, kCheckInterval, [&] { return stop_requested_ || dirty_; })) {
                    lk.unlock();
                    try {
                        check_marker();
                    } catch (...) {
                        mark_dirty();
                    }
                    lk.lock();
                }
                continue;
            }
            lk.unlock();
            bool ok = false;
            std::string why;
            try {
                ok = rebuild_once(&why);
            } catch (...) {
                why = "internal error";
                ok = false;
                std::lock_guard<std::mutex> io(io_mu);
                ctx_.reset();
                std::lock_guard<std::mutex> st(state_mu);
                end_rebuild_locked_state();
            }
            lk.lock();
            if (!ok && !stop_requested_) {
                // Once per outage (and per new reason) at warn, then debug.
                if (why != failing) {
                    log_warn("redis: %s:%d not usable (%s); retrying every %lld ms", host.c_str(), port, why.c_str(),
                             static_cast<long long>(kRetryInterval.count()));
                } else {
                    log_debug("redis: still not usable (%s)", why.c_str());
                }
                failing = why;
            } else if (ok) {
                failing.clear();
            }
            if (!ok) cv.wait_for(lk, kRetryInterval, [&] { return stop_requested_; });
        }
    }
};

RedisTracker::RedisTracker(std::string host, int port, std::string prefix, db::Pool& /*pool*/) {
    if (prefix.empty()) throw std::invalid_argument("redis prefix must not be empty");
    impl_ = std::make_unique<Impl>(std::move(host), port, std::move(prefix));
}

RedisTracker::~RedisTracker() { stop(); }

void RedisTracker::set_loader(Loader loader) {
    std::lock_guard<std::mutex> st(impl_->state_mu);
    impl_->loader_ = std::move(loader);
}

void RedisTracker::start() {
    std::lock_guard<std::mutex> st(impl_->state_mu);
    if (impl_->thread_.joinable()) return;
    impl_->stop_requested_ = false;
    impl_->thread_ = std::thread([impl = impl_.get()] { impl->run(); });
}

void RedisTracker::stop() {
    std::thread t;
    {
        std::lock_guard<std::mutex> st(impl_->state_mu);
        if (!impl_->thread_.joinable()) return;
        impl_->stop_requested_ = true;
        t = std::move(impl_->thread_);
    }
    impl_->cv.notify_all();
    t.join();
}

bool RedisTracker::ping() {
    // A private short-lived connection: never waits behind writes or a rebuild.
    try {
        std::string err;
        RedisContext c = connect_redis(impl_->host, impl_->port, &err);
        if (!c) return false;
        SigpipeGuard guard;
        if (!redis_append(c.get(), {"PING"})) return false;
        RedisReply r = redis_read_reply(c.get());
        return r && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "PONG";
    } catch (...) {
        return false;
    }
}

bool RedisTracker::dirty() const {
    std::lock_guard<std::mutex> st(impl_->state_mu);
    return impl_->dirty_;
}

void RedisTracker::session_changed(const std::string& session_id, const std::string& status,
                                   const std::string& kind) {
    try {
        impl_->write(redis::session_changed_commands(impl_->keys, session_id, status, kind, now_rfc3339()));
    } catch (...) {
        impl_->mark_dirty();
    }
}

void RedisTracker::session_closed(const std::string& session_id) {
    try {
        impl_->write(redis::session_closed_commands(impl_->keys, session_id));
    } catch (...) {
        impl_->mark_dirty();
    }
}

void RedisTracker::participant_upserted(const std::string& session_id, const std::string& participant_id,
                                        const std::string& user_id, const std::string& role) {
    try {
        impl_->write(redis::participant_upserted_commands(impl_->keys, session_id, participant_id, user_id, role));
    } catch (...) {
        impl_->mark_dirty();
    }
}

void RedisTracker::participant_removed(const std::string& session_id, const std::string& participant_id) {
    try {
        impl_->write(redis::participant_removed_commands(impl_->keys, session_id, participant_id));
    } catch (...) {
        impl_->mark_dirty();
    }
}

}  // namespace telemed
