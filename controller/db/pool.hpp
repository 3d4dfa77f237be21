// Postgres connection pool (libpq). Owned by the data layer; the HTTP layer
// only constructs it and uses the calls below.
// The data-layer owner may add members; these signatures are fixed.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace telemed::db {

// Deadlines of pooled connections (issue 11; config keys db_*_ms).
struct PoolOptions {
    std::chrono::milliseconds call_timeout{3000};       // client side, per call (db/pg.hpp)
    std::chrono::milliseconds connect_timeout{3000};    // per connect
    std::chrono::milliseconds statement_timeout{2500};  // server side; 0 = none
    std::chrono::milliseconds lock_timeout{1000};       // server side; 0 = none
};

class Pool {
public:
    // Opens `size` connections lazily (first use); never logs the conninfo.
    // Every connection gets TCP keepalives, tcp_user_timeout, and the
    // statement_timeout / lock_timeout of `options` as connection defaults
    // (values in the conninfo win), and `options.call_timeout` as the
    // client-side deadline of each call.
    Pool(std::string conninfo, unsigned size, PoolOptions options = PoolOptions());
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // SELECT 1 on a pooled connection within ~1 s; false on any error.
    bool ping();
    const PoolOptions& options() const;

    struct Impl;
    Impl& impl() { return *impl_; }
private:
    std::unique_ptr<Impl> impl_;
};

// A connection of its own (never a pooled one, so a busy pool does not make
// Postgres look down) for the readiness prober (controller/readiness.hpp):
// ping() answers within `timeout` whatever the server does; the connection
// is kept between pings and re-opened after a failure.
class Pinger {
public:
    Pinger(std::string conninfo, std::chrono::milliseconds timeout);
    ~Pinger();
    Pinger(const Pinger&) = delete;
    Pinger& operator=(const Pinger&) = delete;
    bool ping();
private:
    std::string conninfo_;
    std::chrono::milliseconds timeout_;
    void* conn_ = nullptr;  // PGconn* (libpq stays out of this header)
};

// Applies sql/NNN_*.sql migrations embedded in the binary, in order, under
// pg_advisory_lock so concurrent controllers do not race. Throws
// std::runtime_error on failure.
void run_migrations(Pool& pool);

// Checks without changing anything (telemed-controller --recordings-only,
// which leaves the schema to the main controller): the number of this
// binary's migrations not yet applied (0: the schema is ready for us).
// Throws std::runtime_error when an applied migration's checksum differs
// (as run_migrations would) or the database cannot be read.
std::size_t pending_migrations(Pool& pool);

// ("scheduled", n), ("active", n), ("ended", n), ("cancelled", n): every
// status present, zeros included. Throws on database error.
std::vector<std::pair<std::string, long>> sessions_by_status(Pool& pool);

}  // namespace telemed::db
