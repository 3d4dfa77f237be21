#include "controller/db/txn.hpp"

#include <chrono>
#include <random>
#include <thread>

#include "controller/db/lease.hpp"
#include "controller/db/pg.hpp"
#include "controller/log.hpp"

namespace telemed::db {

namespace {

void backoff(int attempt) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    int base = 5 << attempt;  // 10, 20, 40 ms
    std::uniform_int_distribution<int> jitter(0, base);
    std::this_thread::sleep_for(std::chrono::milliseconds(base + jitter(rng)));
}

}  // namespace

void transact(Pool& pool, const std::function<TxnEnd(PGconn*)>& fn) {
    for (int attempt = 1;; ++attempt) {
        Lease lease = acquire(pool);
        PGconn* c = lease.get();
        bool commit_sent = false;
        try {
            exec(c, "BEGIN ISOLATION LEVEL READ COMMITTED");
            TxnEnd end;
            try {
                end = fn(c);
            } catch (const Error&) {
                throw;  // handled below
            } catch (...) {
                // Not a database error: roll back (the lease would too) and propagate.
                if (!rollback_quietly(c)) lease.mark_broken();
                throw;
            }
            if (end == TxnEnd::Rollback) {
                try {
                    exec(c, "ROLLBACK");
                } catch (const Error& e) {
                    // A lost connection rolls back by itself: the decision stands.
                    lease.mark_broken();
                    if (!e.connection_lost()) throw;
                }
                return;
            }
            commit_sent = true;
            exec(c, "COMMIT");
            return;
        } catch (const Error& e) {
            if (e.connection_lost() || e.timed_out()) lease.mark_broken();
            // A timed-out call is not retried: the request's budget is spent.
            bool retry = attempt < kMaxAttempts && !e.timed_out() &&
                         (e.retryable() || (e.connection_lost() && !commit_sent));
            if (!e.connection_lost() && !e.timed_out() && !rollback_quietly(c)) lease.mark_broken();
            if (retry) {
                log_info("postgres: transaction attempt %d failed (%s); retrying", attempt, e.sqlstate().c_str());
                lease.release();
                if (e.retryable()) backoff(attempt);
                continue;
            }
            if (commit_sent) throw CommitFailed(e.what());
            throw;
        }
    }
}

void autocommit(Pool& pool, const std::function<void(PGconn*, int)>& fn) {
    for (int attempt = 1;; ++attempt) {
        Lease lease = acquire(pool);
        PGconn* c = lease.get();
        try {
            fn(c, attempt);
            return;
        } catch (const Error& e) {
            if (e.connection_lost() || e.timed_out()) lease.mark_broken();
            const bool retry = attempt < kMaxAttempts && !e.timed_out() && (e.retryable() || e.connection_lost());
            if (!retry) throw;
            log_info("postgres: statement attempt %d failed (%s); retrying", attempt, e.sqlstate().c_str());
            lease.release();
            if (e.retryable()) backoff(attempt);
        }
    }
}

}  // namespace telemed::db
