// One database transaction around a function, with retries.
//
//   db::transact(pool, [&](PGconn* c) {
//       ... reads, writes, side effects ...
//       return db::TxnEnd::Commit;      // or Rollback: nothing is kept
//   });
//
// Runs BEGIN (READ COMMITTED); fn; COMMIT or ROLLBACK. `fn` is run again
// (from scratch, on a new transaction) when
//   - a statement or the COMMIT fails with 40001 serialization_failure or
//     40P01 deadlock_detected (up to kMaxAttempts in all, with a short
//     randomised back-off), or
//   - the connection turns out to be dead before COMMIT was sent (stale
//     pooled connection after a Postgres restart): retried on a fresh one.
// So `fn` must reset whatever it captured at its start, and its outside
// effects (Janus calls) must be idempotent: they are here (create_room is an
// upsert, destroy_room / kick / set_permissions are idempotent).
//
// Throws:
//   - db::CommitFailed when COMMIT itself failed (transaction rolled back or
//     outcome unknown): callers compensate outside effects, answer 503;
//   - db::Unavailable / db::Error (unavailable()) when the database cannot
//     serve: 503;
//   - db::Error for other database errors (a bug): 500;
//   - anything `fn` throws (after rolling back).
#pragma once
#include <libpq-fe.h>

#include <functional>
#include <stdexcept>

#include "controller/db/pool.hpp"

namespace telemed::db {

enum class TxnEnd { Commit, Rollback };

inline constexpr int kMaxAttempts = 4;

class CommitFailed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

void transact(Pool& pool, const std::function<TxnEnd(PGconn*)>& fn);

// One write that is a single statement (e.g. a data-modifying WITH), run on
// a pooled connection in autocommit mode: the statement is its own
// transaction, so no BEGIN and no COMMIT round trips. `fn(c, attempt)` runs
// again (attempt 2, 3, ...) on a fresh connection when
//   - the connection was lost: the statement of the lost attempt may have
//     committed or not, so a later attempt must find out (e.g. INSERT ...
//     ON CONFLICT DO NOTHING, and read the row when it did nothing);
//   - the statement failed with 40001 / 40P01 (short randomised back-off);
// up to kMaxAttempts in all. A timed-out statement is not retried (outcome
// unknown, the request's budget is spent): db::Error with timed_out(), 503.
// Anything else `fn` throws propagates at once. Reads in `fn` before the
// write are fine (each statement is then its own transaction).
void autocommit(Pool& pool, const std::function<void(PGconn*, int attempt)>& fn);

}  // namespace telemed::db
