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

}  // namespace telemed::db
