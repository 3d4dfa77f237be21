// db::run_migrations: applies the sql/NNN_name.sql files embedded in the
// binary (controller/generated/migrations.cpp, see embedded.hpp).
//
// - Runs on a dedicated connection (not a pooled one) that holds a
//   session-level pg_advisory_lock for the whole run, so concurrently
//   starting controllers apply each migration exactly once.
// - schema_migrations(version, name, checksum, applied_at) records each
//   applied file with the hex SHA-256 of its text.
// - A migration file is run as one simple-protocol script: it must not
//   contain BEGIN/COMMIT nor statements that refuse to run in a transaction
//   (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE before PG 12).
// - Each pending migration runs in its own transaction together with its
//   schema_migrations row: a failure leaves nothing half-applied.
// - Every start verifies the checksums of already applied migrations: an
//   applied file that was edited afterwards stops the controller (migrations
//   are only ever added to). Versions present in the database but unknown to
//   this binary (a newer controller ran) are logged and tolerated.
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "common/crypto.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/pg.hpp"
#include "controller/db/pool.hpp"
#include "controller/embedded.hpp"
#include "controller/log.hpp"

namespace telemed::db {

namespace {

// pg_advisory_lock key: the ASCII bytes of "telemed" as a big-endian bigint.
constexpr const char* kLockKey = "32762613530977636";

// A connection of its own, with no statement timeout, closed at scope end.
struct DedicatedConn {
    ConnPtr conn;
    explicit DedicatedConn(const std::string& conninfo) {
        const char* keys[] = {"fallback_application_name", "connect_timeout", "dbname", nullptr};
        const char* vals[] = {"telemed-controller-migrations", "10", conninfo.c_str(), nullptr};
        conn.reset(PQconnectdbParams(keys, vals, 1));
        if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
            throw std::runtime_error("migrations: cannot connect to the database");
        quiet_notices(conn.get());
    }
};

}  // namespace

void run_migrations(Pool& pool) {
    DedicatedConn d(pool_conninfo(pool));
    PGconn* c = d.conn.get();
    exec(c, "SET statement_timeout = 0");
    exec(c, "SELECT pg_advisory_lock($1::int8)", Params().add(kLockKey));
    try {
        exec(c,
             "CREATE TABLE IF NOT EXISTS schema_migrations ("
             " version integer PRIMARY KEY,"
             " name text NOT NULL,"
             " checksum text NOT NULL,"
             " applied_at timestamptz NOT NULL DEFAULT now())");
        std::unordered_map<int, std::pair<std::string, std::string>> applied;  // version -> (name, checksum)
        {
            ResultPtr r = exec(c, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
            for (int i = 0; i < PQntuples(r.get()); ++i)
                applied[static_cast<int>(int64(r.get(), i, 0))] = {str(r.get(), i, 1), str(r.get(), i, 2)};
        }
        int known_max = 0;
        int count_applied = 0;
        for (std::size_t i = 0; i < kMigrationCount; ++i) {
            const EmbeddedMigration& m = kMigrations[i];
            if (m.version > known_max) known_max = m.version;
            const std::string checksum = hex_encode(sha256(m.sql));
            auto it = applied.find(m.version);
            if (it != applied.end()) {
                if (it->second.second != checksum)
                    throw std::runtime_error(std::string("migrations: ") + m.name +
                                             " was changed after it was applied (checksum mismatch); "
                                             "add a new migration instead");
                continue;
            }
            log_info("migrations: applying %s", m.name);
            exec(c, "BEGIN");
            try {
                exec_script(c, m.sql);
                exec(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     Params().add(m.version).add(m.name).add(checksum));
                exec(c, "COMMIT");
            } catch (const Error& e) {
                if (PQstatus(c) == CONNECTION_OK) {
                    ResultPtr r(PQexec(c, "ROLLBACK"));
                }
                throw std::runtime_error(std::string("migrations: ") + m.name + " failed: " + e.what());
            }
            ++count_applied;
        }
        for (const auto& [version, info] : applied)
            if (version > known_max)
                log_warn("migrations: database has migration %d (%s) unknown to this binary", version,
                         info.first.c_str());
        log_info("migrations: %d applied now, schema at version %d", count_applied, known_max);
    } catch (...) {
        if (PQstatus(c) == CONNECTION_OK) {
            try {
                exec(c, "SELECT pg_advisory_unlock($1::int8)", Params().add(kLockKey));
            } catch (const std::exception&) {
            }
        }
        throw;
    }
    exec(c, "SELECT pg_advisory_unlock($1::int8)", Params().add(kLockKey));
}

std::size_t pending_migrations(Pool& pool) {
    DedicatedConn d(pool_conninfo(pool));
    PGconn* c = d.conn.get();
    // Each migration commits together with its schema_migrations row, so a
    // concurrent run_migrations shows either both or neither.
    ResultPtr t = exec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!boolean(t.get(), 0, 0)) return kMigrationCount;
    std::unordered_map<int, std::string> applied;  // version -> checksum
    ResultPtr r = exec(c, "SELECT version, checksum FROM schema_migrations");
    for (int i = 0; i < PQntuples(r.get()); ++i) applied[static_cast<int>(int64(r.get(), i, 0))] = str(r.get(), i, 1);
    std::size_t pending = 0;
    for (std::size_t i = 0; i < kMigrationCount; ++i) {
        const EmbeddedMigration& m = kMigrations[i];
        auto it = applied.find(m.version);
        if (it == applied.end()) {
            ++pending;
        } else if (it->second != hex_encode(sha256(m.sql))) {
            throw std::runtime_error(std::string("migrations: ") + m.name +
                                     " in the database differs from this binary's (checksum mismatch)");
        }
    }
    return pending;
}

}  // namespace telemed::db
