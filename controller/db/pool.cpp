// Fixed-size libpq connection pool (see pool.hpp / lease.hpp).
//
// - Connections are opened lazily, up to `size`, with a non-blocking connect
//   bounded by a deadline (3 s for requests, 1 s for ping()).
// - acquire() waits on a condition variable for a free connection, at most
//   the given bound, then throws db::Unavailable (routes: 503
//   "database-unavailable").
// - A connection handed back broken is closed together with every idle
//   connection (after a Postgres restart they are all dead); the next
//   acquire() reconnects. A connection handed back inside a transaction is
//   rolled back first.
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
// without the conninfo).
PGconn* connect_until(const std::string& conninfo, Clock::time_point deadline) {
    // Keywords before "dbname" are defaults the conninfo may override
    // (expand_dbname: later values win).
    const char* keys[] = {"fallback_application_name", "dbname", nullptr};
    const char* vals[] = {"telemed-controller", conninfo.c_str(), nullptr};
    PGconn* c = PQconnectStartParams(keys, vals, 1);
    if (!c) return nullptr;
    if (PQstatus(c) == CONNECTION_BAD) {
        log_warn("postgres: connect failed (bad connection parameters)");
        finish_conn(c);
        return nullptr;
    }
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        if (st == PGRES_POLLING_OK) break;
        if (st == PGRES_POLLING_FAILED) {
            log_warn("postgres: connect failed");
            finish_conn(c);
            return nullptr;
        }
        int ms = remaining_ms(deadline);
        if (ms <= 0) {
            log_warn("postgres: connect timed out");
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

    PGconn* take(std::chrono::milliseconds wait, std::chrono::milliseconds connect_timeout) {
        const auto deadline = Clock::now() + wait;
        std::unique_lock<std::mutex> lk(mu);
        for (;;) {
            if (!idle.empty()) {
                PGconn* c = idle.back();
                idle.pop_back();
                if (PQstatus(c) == CONNECTION_OK) return c;
                // Known broken: replace it by a fresh connection.
                lk.unlock();
                finish_conn(c);
                PGconn* fresh = connect_until(conninfo, Clock::now() + connect_timeout);
                if (fresh) return fresh;
                forget_one();
                throw Unavailable("database connection failed");
            }
            if (open < size) {
                ++open;
                lk.unlock();
                PGconn* fresh = connect_until(conninfo, Clock::now() + connect_timeout);
                if (fresh) return fresh;
                forget_one();
                throw Unavailable("database connection failed");
            }
            if (cv.wait_until(lk, deadline) == std::cv_status::timeout && idle.empty() && open >= size)
                throw Unavailable("database pool exhausted");
        }
    }

    void give_back(PGconn* c, bool broken) noexcept {
        if (!broken && PQstatus(c) != CONNECTION_OK) broken = true;
        if (!broken) {
            PGTransactionStatusType ts = PQtransactionStatus(c);
            if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
                ResultPtr r(PQexec(c, "ROLLBACK"));
                if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) broken = true;
                ts = PQtransactionStatus(c);
            }
            if (ts != PQTRANS_IDLE) broken = true;
        }
        std::vector<PGconn*> to_close;
        {
            std::lock_guard<std::mutex> lk(mu);
            if (broken) {
                to_close.swap(idle);
                to_close.push_back(c);
                open -= static_cast<unsigned>(to_close.size());
                cv.notify_all();
            } else {
                idle.push_back(c);
                cv.notify_one();
            }
        }
        if (broken) log_warn("postgres: dropping %zu pooled connection(s) after a broken one", to_close.size());
        for (PGconn* x : to_close) finish_conn(x);
    }
};

Pool::Pool(std::string conninfo, unsigned size) : impl_(std::make_unique<Impl>()) {
    impl_->conninfo = std::move(conninfo);
    impl_->size = size == 0 ? 1 : size;
}

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
    PGconn* c = impl.take(wait, std::chrono::milliseconds(3000));
    return Lease(&impl, c);
}

void run_read(Pool& pool, const std::function<void(PGconn*)>& fn) {
    for (int attempt = 1;; ++attempt) {
        Lease lease = acquire(pool);
        try {
            fn(lease.get());
            return;
        } catch (const Error& e) {
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

}  // namespace telemed::db
