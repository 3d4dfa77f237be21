// Postgres connection pool (libpq). Owned by the data layer; the HTTP layer
// only constructs it and uses the calls below.
// The data-layer owner may add members; these signatures are fixed.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace telemed::db {

class Pool {
public:
    // Opens `size` connections lazily (first use); never logs the conninfo.
    Pool(std::string conninfo, unsigned size);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // SELECT 1 on a pooled connection within ~1 s; false on any error.
    bool ping();

    struct Impl;
    Impl& impl() { return *impl_; }
private:
    std::unique_ptr<Impl> impl_;
};

// Applies sql/NNN_*.sql migrations embedded in the binary, in order, under
// pg_advisory_lock so concurrent controllers do not race. Throws
// std::runtime_error on failure.
void run_migrations(Pool& pool);

// ("scheduled", n), ("active", n), ("ended", n), ("cancelled", n): every
// status present, zeros included. Throws on database error.
std::vector<std::pair<std::string, long>> sessions_by_status(Pool& pool);

}  // namespace telemed::db
