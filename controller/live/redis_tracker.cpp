// RedisTracker: best-effort live state in Redis (docs/DESIGN.md "Redis").
//
// One redisContext, created only by the background thread with a ~200 ms
// connect timeout and a ~200 ms socket timeout, so a request thread never
// connects and never waits on a down or hung Redis for longer than one
// socket timeout. Any error frees the context and marks the tracker dirty;
// while dirty, writes are skipped and the background thread reconnects every
// ~500 ms, then rebuilds every key under the prefix from Postgres (through
// the Loader) in one MULTI/EXEC: UNLINK of every key SCAN finds under the
// prefix, then the snapshot.
//
// Writes racing a rebuild (the choice, and why it is safe):
// - A write call always happens after its Postgres commit. A write skipped
//   *before* the rebuild takes its snapshot is therefore in the snapshot.
// - From the moment the rebuild starts loading (`rebuilding`), skipped writes
//   are queued instead of dropped. After the snapshot has been written, the
//   thread replays the queue in call order, under the I/O lock, and clears
//   `dirty` only when it finds the queue empty under the state lock, so no
//   write can fall between the replay and the flag. Replaying a write the
//   snapshot already contains rewrites the same value. A queue that
//   overflows forces another rebuild instead. This keeps request threads from
//   ever waiting on a rebuild (they only take the state lock) and avoids the
//   livelock a "writes during rebuild make it dirty again" counter has under
//   steady traffic.
// - A write that passed the dirty check, then waited for the I/O lock while
//   another write failed and a whole rebuild ran, sees a new generation and
//   drops itself: its commit precedes that rebuild's snapshot.
// Limitation (inherent to writing after commit): two writes for the same
// session from different threads may reach Redis in another order than their
// commits; the next rebuild corrects it.
#include "controller/live/redis_tracker.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>
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
// The rebuild's MULTI/EXEC grows with the number of open sessions (~0.6 s for
// 20k sessions here). It runs on the tracker's own thread while request
// threads skip their writes (dirty), so it gets a long socket timeout of its
// own; with the short one a large rebuild timed out and restarted forever.
constexpr auto kRebuildTimeout = 30s;
constexpr auto kRetryInterval = 500ms;
constexpr std::size_t kUnlinkBatch = 500;       // keys per UNLINK
constexpr std::size_t kMaxQueued = 100000;      // commands queued during one rebuild
constexpr const char* kScanCount = "1000";

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

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
    RedisContext c(redisConnectWithTimeout(host.c_str(), port, to_timeval(kConnectTimeout)));
    if (!c) {
        *err = "cannot allocate context";
        return {};
    }
    if (c->err) {
        *err = c->errstr;
        return {};
    }
    if (redisSetTimeout(c.get(), to_timeval(kCommandTimeout)) != REDIS_OK) {
        *err = "cannot set socket timeout";
        return {};
    }
    redisEnableKeepAlive(c.get());
    return c;
}

bool append(redisContext* c, const Command& cmd) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(cmd.size());
    lens.reserve(cmd.size());
    for (const std::string& a : cmd) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) == REDIS_OK;
}

RedisReply read_reply(redisContext* c) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK) return {};
    return RedisReply(static_cast<redisReply*>(r));
}

// MULTI, cmds…, EXEC in one pipeline. True when every command was queued and
// EXEC ran them all without an error reply. On false the context must be
// dropped (replies may be left unread).
bool exec_atomically(redisContext* c, const std::vector<Command>& cmds, std::string* err) {
    if (cmds.empty()) return true;
    SigpipeGuard guard;
    bool appended = append(c, {"MULTI"});
    for (const Command& cmd : cmds) appended = appended && append(c, cmd);
    appended = appended && append(c, {"EXEC"});
    if (!appended) {
        *err = "cannot queue command";
        return false;
    }
    const std::size_t replies = cmds.size() + 2;
    for (std::size_t i = 0; i < replies; ++i) {
        RedisReply r = read_reply(c);
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

// Every key matching `pattern` (SCAN, never KEYS). Duplicates SCAN may return
// are harmless to UNLINK.
bool scan_keys(redisContext* c, const std::string& pattern, std::vector<std::string>* keys, std::string* err) {
    std::string cursor = "0";
    do {
        SigpipeGuard guard;
        if (!append(c, {"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount})) {
            *err = "cannot queue command";
            return false;
        }
        RedisReply r = read_reply(c);
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
        cursor.assign(r->element[0]->str, r->element[0]->len);
        const redisReply* list = r->element[1];
        for (std::size_t i = 0; i < list->elements; ++i) {
            const redisReply* k = list->element[i];
            if (k->type == REDIS_REPLY_STRING) keys->emplace_back(k->str, k->len);
        }
    } while (cursor != "0");
    return true;
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
    std::vector<Command> queued_;
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
        if (queued_.size() + cmds.size() > kMaxQueued) {
            overflow_ = true;
            queued_.clear();
            return;
        }
        for (Command& c : cmds) queued_.push_back(std::move(c));
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
    }

    // One attempt: connect, load, wipe + write, replay. False = wait before
    // retrying, with the reason in *why (logged by run() once per outage).
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
        std::vector<Command> cmds;
        std::vector<std::string> old_keys;
        std::size_t open_sessions = 0;
        std::lock_guard<std::mutex> io(io_mu);
        if (!ctx_) err = "not connected";
        bool ok = ctx_ != nullptr;
        if (ok && redisSetTimeout(ctx_.get(), to_timeval(kRebuildTimeout)) != REDIS_OK) {
            err = "cannot set socket timeout";
            ok = false;
        }
        ok = ok && scan_keys(ctx_.get(), keys.scan_pattern(), &old_keys, &err);
        if (ok) {
            for (std::size_t i = 0; i < old_keys.size(); i += kUnlinkBatch) {
                Command unlink{"UNLINK"};
                for (std::size_t j = i; j < old_keys.size() && j < i + kUnlinkBatch; ++j) unlink.push_back(old_keys[j]);
                cmds.push_back(std::move(unlink));
            }
            for (const LiveSession& s : snapshot) open_sessions += redis::is_open_status(s.status) ? 1 : 0;
            std::vector<Command> writes = redis::snapshot_commands(keys, snapshot, now_rfc3339());
            for (Command& c : writes) cmds.push_back(std::move(c));
            ok = exec_atomically(ctx_.get(), cmds, &err);
        }
        // Replay what was skipped since `rebuilding_` was set, until the queue
        // is empty at the moment dirty is cleared (both under state_mu).
        while (ok) {
            std::vector<Command> batch;
            {
                std::lock_guard<std::mutex> st(state_mu);
                if (overflow_) {
                    end_rebuild_locked_state();
                    log_warn("redis: too many writes during rebuild; rebuilding again");
                    return true;  // still dirty: the loop rebuilds again at once
                }
                if (queued_.empty()) {
                    end_rebuild_locked_state();
                    dirty_ = false;
                    ++generation_;
                    break;
                }
                batch.swap(queued_);
            }
            ok = exec_atomically(ctx_.get(), batch, &err);
        }
        // Back to the short timeout before any request thread can write again:
        // they need io_mu, held here until the end.
        if (ok && redisSetTimeout(ctx_.get(), to_timeval(kCommandTimeout)) != REDIS_OK) {
            err = "cannot set socket timeout";
            ok = false;
            std::lock_guard<std::mutex> st(state_mu);
            dirty_ = true;
        }
        if (!ok) {
            ctx_.reset();
            std::lock_guard<std::mutex> st(state_mu);
            end_rebuild_locked_state();
            *why = "rebuild: " + err;
            return false;
        }
        log_info("redis: live state rebuilt (%zu open sessions, %zu stale keys removed)", open_sessions,
                 old_keys.size());
        return true;
    }

    void run() noexcept {
        std::string failing;  // reason of the current run of failed attempts, "" if none
        std::unique_lock<std::mutex> lk(state_mu);
        while (!stop_requested_) {
            if (!dirty_) {
                cv.wait(lk, [&] { return stop_requested_ || dirty_; });
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
        if (!append(c.get(), {"PING"})) return false;
        RedisReply r = read_reply(c.get());
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
