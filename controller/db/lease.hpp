// Borrowing a connection from db::Pool (controller/db/pool.hpp).
//
//   db::Lease c = db::acquire(pool);      // waits at most the pool's bound
//   db::exec(c.get(), "SELECT 1");
//
// The lease gives the connection back when it goes out of scope. A lease
// whose connection broke (db::Error::connection_lost, or PQstatus() bad) is
// closed instead of pooled, and the idle connections are closed with it:
// after a Postgres restart they are all dead, and the next acquire()
// reconnects. Throws db::Unavailable when no connection can be had.
#pragma once
#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <string>

#include "controller/db/pool.hpp"

namespace telemed::db {

class Lease {
public:
    Lease() = default;
    Lease(Pool::Impl* pool, PGconn* conn) : pool_(pool), conn_(conn) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(o.conn_), broken_(o.broken_) {
        o.pool_ = nullptr;
        o.conn_ = nullptr;
    }
    Lease& operator=(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { release(); }

    PGconn* get() const { return conn_; }
    // Close this connection on release instead of pooling it.
    void mark_broken() { broken_ = true; }
    void release() noexcept;
private:
    Pool::Impl* pool_ = nullptr;
    PGconn* conn_ = nullptr;
    bool broken_ = false;
};

// Default bound on waiting for a free connection.
inline constexpr std::chrono::milliseconds kAcquireWait{2000};

Lease acquire(Pool& pool, std::chrono::milliseconds wait = kAcquireWait);

// Runs a read-only `fn` on a pooled connection. If the connection turns out
// to be dead (stale after a Postgres restart), retries on a fresh one (up to
// 3 attempts), so `fn` must have no effect outside the database.
void run_read(Pool& pool, const std::function<void(PGconn*)>& fn);

// Routes the connection's server NOTICE messages to the debug log.
void quiet_notices(PGconn* c);

// The pool's connection string (for the migrations runner's own
// connection). Never log it: it may hold a password.
const std::string& pool_conninfo(Pool& pool);

}  // namespace telemed::db
