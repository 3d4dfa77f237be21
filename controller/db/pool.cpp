// Fixed-size libpq connection pool (see pool.hpp / lease.hpp).
//
// - Connections are opened lazily, up to `size`, with a non-blocking connect
//   bounded by a deadline (connect_timeout for requests, 1 s for ping()),
//   with TCP keepalives, tcp_user_timeout, statement_timeout and
//   lock_timeout, in non-blocking mode, and with the client-side call
//   timeout registered (db/pg.cpp).
// - acquire() waits on a condition variable for a free connection, at most
//   the given bound, then throws db::Unavailable (routes: 503
//   "database-unavailable").
// - Every wait (pool, connect) also ends by the thread's request deadline
//   (controller/deadline.hpp).
// - A connection whose call timed out (db::abandoned) is never reused: it
//   is closed alone (a client-side timeout says nothing about the other
//   connections; under overload, dropping them all would only add a
//   reconnect storm).
// - A connection handed back with a dead socket (CONNECTION_BAD: server
//   restart, network) is closed together with every idle connection (after
//   a Postgres restart they are all dead); the next acquire() reconnects. A
//   connection handed back inside a transaction is rolled back first.
// - The conninfo is never logged.
#include "controller/db/pool.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <string_view>
#include <mutex>
#include <vector>

#include "controller/db/lease.hpp"
#include "controller/db/pg.hpp"
#include "controller/deadline.hpp"
#include "controller/log.hpp"

namespace telemed::db {

using Clock = std::chrono::steady_clock;

void quiet_notices(PGconn* c);

namespace {

// Every pooled connection is closed through here so its prepared-statement
// bookkeeping (pg.cpp) goes with it.
void finish_conn(PGconn* c) noexcept {
    forget_connection(c);
    PQfinish(c);
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    return left > 60000 ? 60000 : static_cast<int>(left);
}

// Non-blocking connect with a deadline. nullptr on failure (reason logged
// without the conninfo: a warning, or at debug level when `quiet`, for the
// readiness prober, whose state changes readiness logs itself). `options`:
// the libpq "options" value (server settings), "" for none.
PGconn* connect_until(const std::string& conninfo, Clock::time_point deadline, const std::string& options = "",
                      bool quiet = false) {
    auto fail = [quiet](const char* why) {
        if (quiet)
            log_debug("postgres: %s", why);
        else
            log_warn("postgres: %s", why);
    };
    deadline = clamp_to_thread_deadline(deadline);
    // Keywords before "dbname" are defaults the conninfo may override
    // (expand_dbname: later values win). Keepalives notice a peer that is
    // gone (host down, network cut) within about 20 s even on an idle
    // connection; tcp_user_timeout bounds unacknowledged sends to 10 s.
    const char* keys[] = {"fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout", "options", "dbname", nullptr};
    const char* vals[] = {"telemed-controller", "1", "10", "3", "3", "10000", options.c_str(), conninfo.c_str(),
                          nullptr};
    PGconn* c = PQconnectStartParams(keys, vals, 1);
    if (!c) return nullptr;
    if (PQstatus(c) == CONNECTION_BAD) {
        fail("connect failed (bad connection parameters)");
        finish_conn(c);
        return nullptr;
    }
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        if (st == PGRES_POLLING_OK) break;
        if (st == PGRES_POLLING_FAILED) {
            fail("connect failed");
            finish_conn(c);
            return nullptr;
        }
        int ms = remaining_ms(deadline);
        if (ms <= 0) {
            fail("connect timed out");
            finish_conn(c);
            return nullptr;
        }
        struct pollfd p {};
        p.fd = PQsocket(c);
        p.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        int n = ::poll(&p, 1, ms);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) continue;  // deadline re-checked above
        if (n < 0) {
            finish_conn(c);
            return nullptr;
        }
        st = PQconnectPoll(c);
    }
    quiet_notices(c);
    return c;
}

// The libpq "options" value carrying the server-side timeouts.
std::string server_options(const PoolOptions& o) {
    std::string out;
    if (o.statement_timeout.count() > 0)
        out += "-c statement_timeout=" + std::to_string(o.statement_timeout.count());
    if (o.lock_timeout.count() > 0)
        out += std::string(out.empty() ? "" : " ") + "-c lock_timeout=" + std::to_string(o.lock_timeout.count());
    return out;
}

}  // namespace

void quiet_notices(PGconn* c) {
    // Server NOTICEs ("relation ... already exists, skipping") would go to
    // stderr unformatted; keep them at debug level, first line only.
    PQsetNoticeProcessor(
        c,
        [](void*, const char* message) {
            std::string_view m(message ? message : "");
            m = m.substr(0, m.find('\n'));
            log_debug("postgres notice: %.*s", static_cast<int>(m.size() > 200 ? 200 : m.size()), m.data());
        },
        nullptr);
}

struct Pool::Impl {
    std::string conninfo;
    unsigned size;
    PoolOptions options;
    std::string server_opts;  // server_options(options)
    std::mutex mu;
    std::condition_variable cv;
    std::vector<PGconn*> idle;  // owned
    unsigned open = 0;          // idle + leased + being opened

    ~Impl() {
        for (PGconn* c : idle) finish_conn(c);
    }

    void forget_one() {
        std::lock_guard<std::mutex> lk(mu);
        --open;
        cv.notify_one();
    }

    // A new pooled connection, or nullptr.
    PGconn* open_conn(std::chrono::milliseconds connect_timeout) {
        PGconn* c = connect_until(conninfo, Clock::now() + connect_timeout, server_opts);
        if (!c) return nullptr;
        // Sends never block (db/pg.cpp flushes with poll and a deadline).
        if (PQsetnonblocking(c, 1) != 0) {
            finish_conn(c);
            return nullptr;
        }
        set_call_timeout(c, options.call_timeout);
        return c;
    }

    PGconn* take(std::chrono::milliseconds wait, std::chrono::milliseconds connect_timeout) {
        const auto deadline = clamp_to_thread_deadline(Clock::now() + wait);
        if (Clock::now() >= deadline) throw Unavailable("request deadline passed before a database connection");
        std::unique_lock<std::mutex> lk(mu);
        for (;;) {
            if (!idle.empty()) {
                PGconn* c = idle.back();
                idle.pop_back();
                if (PQstatus(c) == CONNECTION_OK) return c;
                // Known broken: replace it by a fresh connection.
                lk.unlock();
                finish_conn(c);
                PGconn* fresh = open_conn(connect_timeout);
                if (fresh) return fresh;
                forget_one();
                throw Unavailable("database connection failed");
            }
            if (open < size) {
                ++open;
                lk.unlock();
                PGconn* fresh = open_conn(connect_timeout);
                if (fresh) return fresh;
                forget_one();
                throw Unavailable("database connection failed");
            }
            if (cv.wait_until(lk, deadline) == std::cv_status::timeout && idle.empty() && open >= size)
                throw Unavailable("database pool exhausted");
        }
    }

    // `broken`: the lease was marked not reusable (a lost connection, a
    // client-side timeout, a failed rollback).
    void give_back(PGconn* c, bool broken) noexcept {
        if (!broken && (PQstatus(c) != CONNECTION_OK || abandoned(c))) broken = true;
        if (!broken && !rollback_quietly(c)) broken = true;  // inside a transaction: rolled back first
        // Only a dead socket says the server went away (restart, network):
        // then the idle connections are most likely dead too. A connection
        // dropped for any other reason (abandoned after a client-side
        // timeout, a rollback that did not finish in time) goes alone.
        const bool dead = broken && PQstatus(c) != CONNECTION_OK;
        std::vector<PGconn*> to_close;
        {
            std::lock_guard<std::mutex> lk(mu);
            if (dead) {
                to_close.swap(idle);
                to_close.push_back(c);
                open -= static_cast<unsigned>(to_close.size());
                cv.notify_all();
            } else if (broken) {
                to_close.push_back(c);
                --open;
                cv.notify_one();
            } else {
                idle.push_back(c);
                cv.notify_one();
            }
        }
        if (dead)
            log_warn("postgres: dropping %zu pooled connection(s) after a lost one", to_close.size());
        else if (broken)
            log_debug("postgres: dropping one pooled connection (abandoned after a client-side timeout, or not "
                      "rolled back)");
        for (PGconn* x : to_close) finish_conn(x);
    }
};

Pool::Pool(std::string conninfo, unsigned size, PoolOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->conninfo = std::move(conninfo);
    impl_->size = size == 0 ? 1 : size;
    impl_->options = options;
    impl_->server_opts = server_options(options);
}

const PoolOptions& Pool::options() const { return impl_->options; }

Pool::~Pool() = default;

const std::string& pool_conninfo(Pool& pool) { return pool.impl().conninfo; }

Lease& Lease::operator=(Lease&& o) noexcept {
    if (this != &o) {
        release();
        pool_ = o.pool_;
        conn_ = o.conn_;
        broken_ = o.broken_;
        o.pool_ = nullptr;
        o.conn_ = nullptr;
    }
    return *this;
}

void Lease::release() noexcept {
    if (pool_ && conn_) pool_->give_back(conn_, broken_);
    pool_ = nullptr;
    conn_ = nullptr;
    broken_ = false;
}

Lease acquire(Pool& pool, std::chrono::milliseconds wait) {
    Pool::Impl& impl = pool.impl();
    PGconn* c = impl.take(wait, impl.options.connect_timeout);
    return Lease(&impl, c);
}

void run_read(Pool& pool, const std::function<void(PGconn*)>& fn) {
    for (int attempt = 1;; ++attempt) {
        Lease lease = acquire(pool);
        try {
            fn(lease.get());
            return;
        } catch (const Error& e) {
            if (e.timed_out()) lease.mark_broken();
            if (!e.connection_lost() || attempt >= 3) throw;
            lease.mark_broken();
            log_info("postgres: connection lost during a read; retrying on a fresh connection");
        }
    }
}

namespace {

// One SELECT 1 on `c` answered before `deadline`, without blocking in libpq.
// *broken: the connection must not be reused.
bool ping_once(PGconn* c, Clock::time_point deadline, bool* broken) {
    *broken = false;
    if (!PQsendQuery(c, "SELECT 1")) {
        *broken = true;
        return false;
    }
    for (;;) {
        if (!PQconsumeInput(c)) {
            *broken = true;
            return false;
        }
        if (!PQisBusy(c)) break;
        int ms = remaining_ms(deadline);
        if (ms <= 0) {
            *broken = true;  // a late answer would desynchronise the connection
            return false;
        }
        struct pollfd p {};
        p.fd = PQsocket(c);
        p.events = POLLIN;
        int n = ::poll(&p, 1, ms);
        if (n < 0 && errno != EINTR) {
            *broken = true;
            return false;
        }
    }
    bool ok = false;
    while (PGresult* r = PQgetResult(c)) {
        if (PQresultStatus(r) == PGRES_TUPLES_OK) ok = true;
        PQclear(r);
    }
    if (!ok && PQstatus(c) != CONNECTION_OK) *broken = true;
    return ok;
}

}  // namespace

bool Pool::ping() {
    const auto deadline = Clock::now() + std::chrono::milliseconds(1000);
    // A pooled connection may be stale (Postgres restarted): then its
    // replacement gets one more try within the same second.
    for (int attempt = 0; attempt < 2; ++attempt) {
        int left = remaining_ms(deadline);
        if (left <= 0) return false;
        PGconn* c = nullptr;
        try {
            c = impl_->take(std::chrono::milliseconds(left), std::chrono::milliseconds(left));
        } catch (const std::exception&) {
            return false;
        }
        Lease lease(impl_.get(), c);
        bool broken = false;
        if (ping_once(c, deadline, &broken)) return true;
        if (!broken) return false;
        lease.mark_broken();
    }
    return false;
}

Pinger::Pinger(std::string conninfo, std::chrono::milliseconds timeout)
    : conninfo_(std::move(conninfo)), timeout_(timeout) {}

Pinger::~Pinger() {
    if (conn_) finish_conn(static_cast<PGconn*>(conn_));
}

bool Pinger::ping() {
    const auto deadline = Clock::now() + timeout_;
    PGconn* c = static_cast<PGconn*>(conn_);
    if (c && PQstatus(c) != CONNECTION_OK) {
        finish_conn(c);
        c = nullptr;
    }
    if (!c) {
        c = connect_until(conninfo_, deadline, "", /*quiet=*/true);  // readiness logs down/up itself
        if (!c) {
            conn_ = nullptr;
            return false;
        }
    }
    conn_ = c;
    bool broken = false;
    if (ping_once(c, deadline, &broken)) return true;
    // No answer in time (or an error): a fresh connection next time. A
    // server that is stopped never answers; closing our socket is enough.
    finish_conn(c);
    conn_ = nullptr;
    return false;
}

}  // namespace telemed::db
