// libpq building blocks for the data layer: move-only RAII owners for
// PGconn* / PGresult*, bound-parameter lists, one exec() that turns every
// failure into a typed exception, and typed column readers.
//
// Rule (docs/STYLE.md 8): SQL text is always a constant; every value goes
// through Params as a bound parameter (PQexecParams, text format).
//
// Deadlines (issue 11): every call here is libpq's asynchronous protocol
// (PQsendPrepare / PQsendQueryPrepared / PQsendQuery, then PQconsumeInput
// and poll()) and ends by a deadline: the connection's call timeout (set by
// the pool, db_call_timeout_ms) capped by the thread's request deadline
// (controller/deadline.hpp). On expiry the statement is cancelled (PQcancel,
// on a helper thread: a stopped server never answers it) and the connection
// is marked abandoned: the pool drops it instead of reusing it, and the call
// throws db::Error with timed_out() (unavailable(): 503).
#pragma once
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"

namespace telemed::db {

struct PGconnDeleter {
    void operator()(PGconn* c) const noexcept {
        if (c) PQfinish(c);
    }
};
using ConnPtr = std::unique_ptr<PGconn, PGconnDeleter>;

struct PGresultDeleter {
    void operator()(PGresult* r) const noexcept {
        if (r) PQclear(r);
    }
};
using ResultPtr = std::unique_ptr<PGresult, PGresultDeleter>;

// A database error. what() carries the SQLSTATE, the constraint name when
// there is one and, for error classes that never quote data (syntax,
// connection, resources, locking, internal), the server's primary message.
// Messages of data/integrity errors (classes 22, 23) are left out because
// they may quote parameter values.
class Error : public std::runtime_error {
public:
    Error(std::string what, std::string sqlstate, bool connection_lost, bool timed_out = false)
        : std::runtime_error(std::move(what)),
          sqlstate_(std::move(sqlstate)),
          connection_lost_(connection_lost),
          timed_out_(timed_out) {}
    const std::string& sqlstate() const { return sqlstate_; }
    // The connection is gone (server restart, network): the statement did not
    // run or its transaction is lost.
    bool connection_lost() const { return connection_lost_; }
    // The client-side deadline passed: the statement may or may not have run
    // (its connection is abandoned). Not retried.
    bool timed_out() const { return timed_out_; }
    // 40001 serialization_failure, 40P01 deadlock_detected.
    bool retryable() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }
    // Classes meaning "the database cannot serve now" (→ 503): 08 connection,
    // 53 insufficient resources, 57P01..57P03 shutdown / cannot connect now,
    // 57014 query_canceled (statement_timeout), 55P03 lock_not_available
    // (lock_timeout), and a client-side timeout.
    bool unavailable() const;
private:
    std::string sqlstate_;
    bool connection_lost_;
    bool timed_out_;
};

// No connection could be had: the pool stayed exhausted past its wait bound,
// or connecting failed. Routes answer 503 "database-unavailable".
class Unavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Bound parameters in text format. Values are copied; NULL is std::nullopt.
class Params {
public:
    Params() = default;
    Params& add(std::string_view v) {
        v_.emplace_back(std::string(v));
        return *this;
    }
    Params& add(const char* v) { return add(std::string_view(v)); }
    Params& add(const std::string& v) { return add(std::string_view(v)); }
    Params& add(const std::optional<std::string>& v) {
        v_.push_back(v);
        return *this;
    }
    Params& add(int64_t v) {
        v_.emplace_back(std::to_string(v));
        return *this;
    }
    Params& add(int v) { return add(static_cast<int64_t>(v)); }
    Params& add(const std::optional<int64_t>& v) {
        if (v) return add(*v);
        return add_null();
    }
    Params& add_bool(bool v) {
        v_.emplace_back(v ? "true" : "false");
        return *this;
    }
    // Compact JSON text (for jsonb parameters). `j` is borrowed.
    Params& add_json(const json_t* j);
    // bytea in hex input form ("\x...").
    Params& add_bytea(std::string_view raw);
    Params& add_null() {
        v_.emplace_back(std::nullopt);
        return *this;
    }
    std::size_t size() const { return v_.size(); }
    const std::vector<std::optional<std::string>>& values() const { return v_; }
private:
    std::vector<std::optional<std::string>> v_;
};

// Runs one statement with bound parameters. Returns the result when the
// status is PGRES_COMMAND_OK or PGRES_TUPLES_OK; throws db::Error otherwise.
// `sql` must be a string literal: its address keys a per-connection named
// prepared statement (parsed and planned once per connection).
ResultPtr exec(PGconn* conn, const char* sql, const Params& params = Params());
// Drops the bookkeeping (prepared statements, call timeout, abandoned mark)
// of a connection about to be closed.
void forget_connection(const PGconn* conn) noexcept;
// Runs constant SQL text that may hold several statements (simple query
// protocol; no parameters). Only for migrations and transaction control.
void exec_script(PGconn* conn, const char* sql);

// The client-side deadline of each call on `conn` (0 = none: the thread's
// deadline only). The pool sets it on every connection it opens.
void set_call_timeout(const PGconn* conn, std::chrono::milliseconds timeout) noexcept;
// True once a call on `conn` passed its deadline (or the connection broke):
// it must be closed, never reused.
bool abandoned(const PGconn* conn) noexcept;
// ROLLBACK when the connection is usable and inside a transaction, within a
// deadline of its own (250 ms, or the call timeout if shorter), not the
// thread's request deadline, which has often passed by then; never throws.
// false when the connection must be dropped.
bool rollback_quietly(PGconn* conn) noexcept;

// Column readers (row, column by index). Text results.
inline bool is_null(const PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }
inline std::string_view text(const PGresult* r, int row, int col) {
    return std::string_view(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}
inline std::string str(const PGresult* r, int row, int col) { return std::string(text(r, row, col)); }
std::optional<std::string> opt_str(const PGresult* r, int row, int col);
int64_t int64(const PGresult* r, int row, int col);  // throws std::runtime_error if not an integer
std::optional<int64_t> opt_int64(const PGresult* r, int row, int col);
bool boolean(const PGresult* r, int row, int col);     // 't' / 'f'
Json json(const PGresult* r, int row, int col);        // jsonb column; throws if it does not parse
std::string bytea(const PGresult* r, int row, int col);  // raw bytes of a bytea column (hex output)

// SQL snippet helpers, kept next to the readers that decode them:
// timestamptz -> integer microseconds since the Unix epoch (exact).
#define TELEMED_SQL_MICROS(col) "(extract(epoch from " col ") * 1000000)::int8"
// integer microseconds parameter -> timestamptz (exact; NULL stays NULL).
#define TELEMED_SQL_FROM_MICROS(param) "('epoch'::timestamptz + (" param ")::int8 * interval '1 microsecond')"

}  // namespace telemed::db
