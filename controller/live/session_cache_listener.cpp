// SessionCacheListener (controller/live/session_cache_listener.hpp).
//
// One thread, one PGconn of its own (never a pooled one: LISTEN is
// per-connection state). All waits are poll() on the connection's socket
// together with the read end of a self-pipe that stop() writes to, so stop()
// never waits on Postgres.
#include "controller/live/session_cache_listener.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <cerrno>
#include <thread>

#include "common/ids.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/pg.hpp"
#include "controller/log.hpp"
#include "controller/live/session_cache.hpp"

namespace telemed {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kConnectTimeout{5000};
constexpr milliseconds kBackoffMin{100};
constexpr milliseconds kBackoffMax{1000};

// SQL text is constant (STYLE 8); the channel name is not a parameter in
// LISTEN, it is spelt here once.
constexpr const char* kListenSql = "LISTEN telemed_session_changed";
constexpr const char* kPingSql = "SELECT pg_notify('telemed_session_changed', $1)";

int ms_until(Clock::time_point t) {
    auto left = std::chrono::duration_cast<milliseconds>(t - Clock::now()).count();
    if (left <= 0) return 0;
    return left > 60000 ? 60000 : static_cast<int>(left);
}

// Lower-case copy of a UUID text (payloads are uuid::text, already lower).
std::string lower(std::string_view s) {
    std::string out(s);
    for (char& ch : out)
        if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
    return out;
}

}  // namespace

struct SessionCacheListener::Impl {
    SessionCache& cache;
    std::string conninfo;
    std::atomic<bool> stopping{false};
    bool started = false;
    int wake_rd = -1;
    int wake_wr = -1;
    std::thread thread;

    Impl(SessionCache& c, std::string ci) : cache(c), conninfo(std::move(ci)) {}
    ~Impl() {
        if (wake_rd >= 0) ::close(wake_rd);
        if (wake_wr >= 0) ::close(wake_wr);
    }

    enum class Wait { Ready, Timeout, Stop, Error };

    // Waits for `events` on the connection's socket (fd < 0: only for stop
    // or the timeout).
    Wait wait(int fd, short events, int timeout_ms) {
        for (;;) {
            if (stopping.load()) return Wait::Stop;
            struct pollfd p[2] {};
            p[0].fd = wake_rd;
            p[0].events = POLLIN;
            p[1].fd = fd;
            p[1].events = events;
            int n = ::poll(p, fd >= 0 ? 2 : 1, timeout_ms);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Wait::Error;
            if (stopping.load() || (p[0].revents & POLLIN)) return Wait::Stop;
            if (n == 0) return Wait::Timeout;
            return Wait::Ready;  // readable, writable, or POLLHUP/POLLERR: libpq tells which
        }
    }

    db::ConnPtr connect() {
        const auto deadline = Clock::now() + kConnectTimeout;
        // TCP keepalives and tcp_user_timeout as for pooled connections
        // (db/pool.cpp); every wait here is bounded by its own deadline
        // already (connect, LISTEN, the liveness probe).
        const char* keys[] = {"fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
                              "keepalives_count", "tcp_user_timeout", "dbname", nullptr};
        const char* vals[] = {"telemed-controller-listener", "1", "10", "3", "3", "10000", conninfo.c_str(), nullptr};
        db::ConnPtr c(PQconnectStartParams(keys, vals, 1));
        if (!c || PQstatus(c.get()) == CONNECTION_BAD) return nullptr;
        PostgresPollingStatusType st = PGRES_POLLING_WRITING;
        while (st != PGRES_POLLING_OK) {
            if (st == PGRES_POLLING_FAILED) return nullptr;
            int ms = ms_until(deadline);
            if (ms <= 0) return nullptr;
            Wait w = wait(PQsocket(c.get()), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, ms);
            if (w == Wait::Stop || w == Wait::Error) return nullptr;
            if (w == Wait::Timeout) continue;
            st = PQconnectPoll(c.get());
        }
        db::quiet_notices(c.get());
        return c;
    }

    // Waits until the query sent last has all its results; true when each
    // has status `want`.
    bool finish_query(PGconn* c, ExecStatusType want, Clock::time_point deadline) {
        while (PQisBusy(c)) {
            int ms = ms_until(deadline);
            if (ms <= 0) return false;
            Wait w = wait(PQsocket(c), POLLIN, ms);
            if (w == Wait::Stop || w == Wait::Error) return false;
            if (w == Wait::Ready && !PQconsumeInput(c)) return false;
        }
        bool ok = true;
        while (PGresult* r = PQgetResult(c)) {
            if (PQresultStatus(r) != want) ok = false;
            PQclear(r);
        }
        return ok && PQstatus(c) == CONNECTION_OK;
    }

    // The probe of the current ping: a notification on our own channel
    // whose arrival proves the whole delivery path works, not just the socket.
    std::string probe;
    bool probe_seen = false;
    uint64_t probes_sent = 0;

    void drain_notifications(PGconn* c) {
        while (PGnotify* n = PQnotifies(c)) {
            std::string_view payload(n->extra ? n->extra : "");
            if (is_uuid(payload)) {
                cache.invalidate(lower(payload));
            } else if (payload.substr(0, 5) == "ping:") {
                if (!probe.empty() && payload == probe) probe_seen = true;  // others' probes: ignored
            } else {
                // "*" (TRUNCATE) or anything unexpected: drop everything.
                cache.flush_all();
            }
            PQfreemem(n);
        }
    }

    // Serves notifications until the connection is lost or stop().
    // After kIdlePing without input, sends a probe notification to itself
    // (SELECT pg_notify(channel, 'ping:...')): the query's result AND the
    // probe must come back within kPingTimeout, else the connection is
    // treated as lost.
    void serve(PGconn* c) {
        auto last_input = Clock::now();
        bool ping_out = false;       // probe sent, result or notification still due
        bool result_done = false;
        Clock::time_point ping_deadline;
        for (;;) {
            int ms = ms_until(ping_out ? ping_deadline : last_input + SessionCacheListener::kIdlePing);
            Wait w = wait(PQsocket(c), POLLIN, ms);
            if (w == Wait::Stop) return;
            if (w == Wait::Error) {
                log_warn("session cache: listener poll failed");
                return;
            }
            if (w == Wait::Ready) {
                if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) {
                    log_warn("session cache: change listener lost its database connection");
                    return;
                }
                last_input = Clock::now();
                if (ping_out && !result_done && !PQisBusy(c)) {
                    bool ok = true;
                    while (PGresult* r = PQgetResult(c)) {
                        if (PQresultStatus(r) != PGRES_TUPLES_OK) ok = false;
                        PQclear(r);
                    }
                    if (!ok) {
                        log_warn("session cache: change listener probe failed");
                        return;
                    }
                    result_done = true;
                }
                drain_notifications(c);
                if (ping_out && result_done && probe_seen) {
                    ping_out = false;
                    probe.clear();
                }
                continue;
            }
            // Timeout.
            if (ping_out) {
                log_warn("session cache: change listener probe not answered within %lld ms",
                         static_cast<long long>(SessionCacheListener::kPingTimeout.count()));
                return;
            }
            probe = "ping:" + std::to_string(::getpid()) + ":" + std::to_string(++probes_sent);
            const char* values[] = {probe.c_str()};
            if (!PQsendQueryParams(c, kPingSql, 1, nullptr, values, nullptr, nullptr, 0)) {
                log_warn("session cache: change listener lost its database connection");
                return;
            }
            ping_out = true;
            result_done = false;
            probe_seen = false;
            ping_deadline = Clock::now() + SessionCacheListener::kPingTimeout;
        }
    }

    void run() {
        milliseconds backoff = kBackoffMin;
        bool warned = false;
        while (!stopping.load()) {
            db::ConnPtr c = connect();
            if (c && PQsendQuery(c.get(), kListenSql) &&
                finish_query(c.get(), PGRES_COMMAND_OK, Clock::now() + kConnectTimeout)) {
                // LISTEN is active: every later commit will be notified, and
                // everything committed before is visible to reads begun now.
                cache.set_connected(true);
                log_info("session cache: listening for changes; cache in service");
                backoff = kBackoffMin;
                warned = false;
                drain_notifications(c.get());
                serve(c.get());
                cache.set_connected(false);
                if (stopping.load()) break;
                log_warn("session cache: bypassed until the change listener reconnects");
            } else if (!stopping.load() && !warned) {
                log_warn("session cache: change listener cannot connect; cache bypassed, retrying");
                warned = true;
            }
            c.reset();
            if (wait(-1, 0, static_cast<int>(backoff.count())) == Wait::Stop) break;
            backoff = std::min(backoff * 2, kBackoffMax);
        }
        cache.set_connected(false);
    }
};

SessionCacheListener::SessionCacheListener(SessionCache& cache, std::string conninfo)
    : impl_(std::make_unique<Impl>(cache, std::move(conninfo))) {}

SessionCacheListener::~SessionCacheListener() { stop(); }

void SessionCacheListener::start() {
    Impl& m = *impl_;
    if (m.started || m.cache.max_entries() == 0) return;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        log_error("session cache: cannot create the listener's wake pipe; cache stays bypassed");
        return;
    }
    m.wake_rd = fds[0];
    m.wake_wr = fds[1];
    m.started = true;
    m.thread = std::thread([&m] {
        try {
            m.run();
        } catch (const std::exception& e) {
            m.cache.set_connected(false);
            log_error("session cache: change listener stopped (%s); cache bypassed", e.what());
        }
    });
}

void SessionCacheListener::stop() {
    Impl& m = *impl_;
    if (!m.started) return;
    m.stopping.store(true);
    const char byte = 1;
    ssize_t ignored = ::write(m.wake_wr, &byte, 1);
    (void)ignored;
    if (m.thread.joinable()) m.thread.join();
    m.started = false;
}

}  // namespace telemed
