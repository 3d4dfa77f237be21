#include "controller/db/pg.hpp"

#include <poll.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/crypto.hpp"
#include "controller/deadline.hpp"

namespace telemed::db {

bool Error::unavailable() const {
    if (connection_lost_ || timed_out_) return true;
    if (sqlstate_.size() != 5) return false;
    if (sqlstate_.compare(0, 2, "08") == 0 || sqlstate_.compare(0, 2, "53") == 0) return true;
    return sqlstate_ == "57P01" || sqlstate_ == "57P02" || sqlstate_ == "57P03" || sqlstate_ == "57014" ||
           sqlstate_ == "55P03";
}

Params& Params::add_json(const json_t* j) {
    v_.emplace_back(json_dump(j));
    return *this;
}

Params& Params::add_bytea(std::string_view raw) {
    v_.emplace_back("\\x" + hex_encode(raw));
    return *this;
}

namespace {

// Builds the message of an Error without quoting data (see pg.hpp).
Error make_error(PGconn* conn, const PGresult* res) {
    std::string state;
    std::string message;
    std::string constraint;
    if (res) {
        if (const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE)) state = s;
        if (const char* m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) message = m;
        if (const char* c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)) constraint = c;
    }
    bool lost = PQstatus(conn) != CONNECTION_OK;
    if (state.empty() && lost) state = "08006";  // connection_failure (client side)
    if (message.empty() && lost) message = "connection lost";
    std::string what = "postgres error " + (state.empty() ? std::string("?????") : state);
    if (!constraint.empty()) what += " constraint=" + constraint;
    bool quotes_data = state.size() == 5 && (state.compare(0, 2, "22") == 0 || state.compare(0, 2, "23") == 0);
    if (!quotes_data && !message.empty()) {
        // One line, bounded.
        if (message.size() > 200) message.resize(200);
        for (char& ch : message)
            if (ch == '\n' || ch == '\r') ch = ' ';
        what += ": " + message;
    }
    return Error(std::move(what), std::move(state), lost);
}

}  // namespace

namespace {

using Clock = std::chrono::steady_clock;

// Per-connection bookkeeping, keyed by the PGconn. Named prepared
// statements: every SQL text given to exec() is a string literal (STYLE.md
// 8), so its address identifies it: each text gets a small id and a
// statement name "tm<id>"; a connection prepares a text once (Parse/plan
// once) and afterwards only binds and executes it. Entries for a closed
// connection are dropped by forget_connection(); if one is missed and the
// address is reused, the server answers 26000 (unknown statement) and
// exec() prepares again.
struct ConnState {
    std::unordered_set<unsigned> prepared;
    std::chrono::milliseconds call_timeout{0};
    bool abandoned = false;
};
struct Registry {
    std::mutex mu;
    std::unordered_map<const char*, unsigned> ids;
    std::unordered_map<const PGconn*, ConnState> conns;
};
Registry& registry() {
    static Registry r;
    return r;
}

// Cancels run on short-lived helper threads: PQcancel opens a connection to
// the server and waits for it to close it, which a stopped server never
// does. At most kMaxCancels at once; beyond that the connection is only
// dropped (the server's statement_timeout ends the statement).
constexpr int kMaxCancels = 4;
std::atomic<int> g_cancels{0};

void cancel_in_background(PGconn* conn) noexcept {
    if (g_cancels.fetch_add(1) >= kMaxCancels) {
        g_cancels.fetch_sub(1);
        return;
    }
    PGcancel* cancel = PQgetCancel(conn);
    if (!cancel) {
        g_cancels.fetch_sub(1);
        return;
    }
    try {
        std::thread([cancel] {
            char err[256];
            PQcancel(cancel, err, sizeof err);
            PQfreeCancel(cancel);
            g_cancels.fetch_sub(1);
        }).detach();
    } catch (...) {  // no thread: just drop the connection
        PQfreeCancel(cancel);
        g_cancels.fetch_sub(1);
    }
}

void mark_abandoned(PGconn* conn) noexcept {
    auto& reg = registry();
    std::lock_guard<std::mutex> lk(reg.mu);
    reg.conns[conn].abandoned = true;
}

// The deadline of a call starting now on `conn`: its call timeout capped by
// the thread's deadline; nullopt when neither is set.
std::optional<Clock::time_point> call_deadline(const PGconn* conn) {
    std::chrono::milliseconds timeout{0};
    {
        auto& reg = registry();
        std::lock_guard<std::mutex> lk(reg.mu);
        auto it = reg.conns.find(conn);
        if (it != reg.conns.end()) timeout = it->second.call_timeout;
    }
    std::optional<Clock::time_point> d = thread_deadline();
    if (timeout.count() > 0) {
        const Clock::time_point own = Clock::now() + timeout;
        if (!d || own < *d) d = own;
    }
    return d;
}

int ms_left(const std::optional<Clock::time_point>& deadline) {
    if (!deadline) return -1;  // poll(): no timeout
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
    if (left <= 0) return 0;
    return left > 60000 ? 60000 : static_cast<int>(left);
}

[[noreturn]] void timed_out(PGconn* conn, const char* what) {
    cancel_in_background(conn);
    mark_abandoned(conn);
    throw Error(std::string("postgres call timed out (client deadline) during ") + what, "", false, true);
}

// Waits for `events` on the connection's socket until the deadline; false
// when it passed first. The socket is polled at least once (with a zero
// timeout when the deadline has passed, or is less than 1 ms away), so an
// answer that is already there is never reported as a timeout.
bool wait_socket(PGconn* conn, short events, const std::optional<Clock::time_point>& deadline) {
    for (;;) {
        const int ms = ms_left(deadline);
        struct pollfd p {};
        p.fd = PQsocket(conn);
        p.events = events;
        int n = ::poll(&p, 1, ms);
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return true;  // let libpq report the socket error
        if (n == 0 && ms == 0) return false;
    }
}

// After a PQsend*: flushes the query (non-blocking connections), then reads
// every result. Returns the first error result, else the last result;
// nullptr only when the connection failed (the caller throws make_error).
ResultPtr await_results(PGconn* conn, const std::optional<Clock::time_point>& deadline, const char* what) {
    for (;;) {
        int f = PQflush(conn);
        if (f == 0) break;
        if (f < 0) return nullptr;
        if (!wait_socket(conn, POLLIN | POLLOUT, deadline)) timed_out(conn, what);
        if (!PQconsumeInput(conn)) return nullptr;
    }
    ResultPtr kept;
    for (;;) {
        while (PQisBusy(conn)) {
            if (!wait_socket(conn, POLLIN, deadline)) timed_out(conn, what);
            if (!PQconsumeInput(conn)) return nullptr;
        }
        PGresult* r = PQgetResult(conn);
        if (!r) break;
        const bool kept_error = kept && (PQresultStatus(kept.get()) == PGRES_FATAL_ERROR ||
                                         PQresultStatus(kept.get()) == PGRES_BAD_RESPONSE);
        if (kept_error)
            PQclear(r);  // the first error wins
        else
            kept.reset(r);
    }
    if (!kept && PQstatus(conn) != CONNECTION_OK) return nullptr;
    return kept;
}

// exec_script() with an explicit deadline.
void exec_script_until(PGconn* conn, const char* sql, const std::optional<Clock::time_point>& deadline);

// The ROLLBACK of rollback_quietly() has a deadline of its own, independent
// of the request's (which has often passed when a failed request hands its
// connection back): at most this, or the connection's call timeout if
// shorter.
constexpr std::chrono::milliseconds kRollbackTimeout{250};

ResultPtr exec_prepared_once(PGconn* conn, const char* sql, const std::vector<const char*>& ptrs, bool* unknown) {
    auto& reg = registry();
    unsigned id;
    bool have;
    {
        std::lock_guard<std::mutex> lk(reg.mu);
        auto it = reg.ids.find(sql);
        if (it == reg.ids.end()) it = reg.ids.emplace(sql, static_cast<unsigned>(reg.ids.size())).first;
        id = it->second;
        auto pc = reg.conns.find(conn);
        have = pc != reg.conns.end() && pc->second.prepared.count(id) != 0;
    }
    char name[24];
    std::snprintf(name, sizeof name, "tm%u", id);
    const int n = static_cast<int>(ptrs.size());
    const std::optional<Clock::time_point> deadline = call_deadline(conn);
    if (!have) {
        if (!PQsendPrepare(conn, name, sql, n, nullptr)) throw make_error(conn, nullptr);
        ResultPtr prep = await_results(conn, deadline, "prepare");
        if (!prep) throw make_error(conn, nullptr);
        if (PQresultStatus(prep.get()) != PGRES_COMMAND_OK) {
            const char* state = PQresultErrorField(prep.get(), PG_DIAG_SQLSTATE);
            // 42P05 duplicate_prepared_statement: prepared before a lost entry.
            if (!state || std::strcmp(state, "42P05") != 0) throw make_error(conn, prep.get());
        }
        std::lock_guard<std::mutex> lk(reg.mu);
        reg.conns[conn].prepared.insert(id);
    }
    if (!PQsendQueryPrepared(conn, name, n, n ? ptrs.data() : nullptr, nullptr, nullptr, 0))
        throw make_error(conn, nullptr);
    ResultPtr res = await_results(conn, deadline, "statement");
    if (!res) throw make_error(conn, nullptr);
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
        if (state && std::strcmp(state, "26000") == 0) {  // invalid_sql_statement_name
            std::lock_guard<std::mutex> lk(reg.mu);
            reg.conns[conn].prepared.erase(id);
            *unknown = true;
            return nullptr;
        }
        throw make_error(conn, res.get());
    }
    return res;
}

}  // namespace

void forget_connection(const PGconn* conn) noexcept {
    auto& reg = registry();
    std::lock_guard<std::mutex> lk(reg.mu);
    reg.conns.erase(conn);
}

void set_call_timeout(const PGconn* conn, std::chrono::milliseconds timeout) noexcept {
    try {
        auto& reg = registry();
        std::lock_guard<std::mutex> lk(reg.mu);
        reg.conns[conn].call_timeout = timeout;
    } catch (...) {  // out of memory: the connection keeps the thread deadline only
    }
}

bool abandoned(const PGconn* conn) noexcept {
    auto& reg = registry();
    std::lock_guard<std::mutex> lk(reg.mu);
    auto it = reg.conns.find(conn);
    return it != reg.conns.end() && it->second.abandoned;
}

bool rollback_quietly(PGconn* conn) noexcept {
    if (PQstatus(conn) != CONNECTION_OK || abandoned(conn)) return false;
    const PGTransactionStatusType ts = PQtransactionStatus(conn);
    if (ts == PQTRANS_IDLE) return true;
    if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR) return false;  // busy or unknown
    std::chrono::milliseconds timeout = kRollbackTimeout;
    {
        auto& reg = registry();
        std::lock_guard<std::mutex> lk(reg.mu);
        auto it = reg.conns.find(conn);
        if (it != reg.conns.end() && it->second.call_timeout.count() > 0 && it->second.call_timeout < timeout)
            timeout = it->second.call_timeout;
    }
    try {
        exec_script_until(conn, "ROLLBACK", Clock::now() + timeout);
    } catch (...) {
        return false;
    }
    return PQtransactionStatus(conn) == PQTRANS_IDLE;
}

ResultPtr exec(PGconn* conn, const char* sql, const Params& params) {
    const auto& values = params.values();
    std::vector<const char*> ptrs;
    ptrs.reserve(values.size());
    for (const auto& v : values) ptrs.push_back(v ? v->c_str() : nullptr);
    bool unknown = false;
    ResultPtr res = exec_prepared_once(conn, sql, ptrs, &unknown);
    if (unknown) {
        unknown = false;
        res = exec_prepared_once(conn, sql, ptrs, &unknown);
        if (unknown) throw Error("postgres error 26000: prepared statement vanished", "26000", false);
    }
    return res;
}

namespace {

void exec_script_until(PGconn* conn, const char* sql, const std::optional<Clock::time_point>& deadline) {
    // Simple query protocol; the first error result wins (the server stops
    // the script there).
    if (!PQsendQuery(conn, sql)) throw make_error(conn, nullptr);
    ResultPtr res = await_results(conn, deadline, "script");
    if (!res) throw make_error(conn, nullptr);
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) throw make_error(conn, res.get());
}

}  // namespace

void exec_script(PGconn* conn, const char* sql) { exec_script_until(conn, sql, call_deadline(conn)); }

std::optional<std::string> opt_str(const PGresult* r, int row, int col) {
    if (is_null(r, row, col)) return std::nullopt;
    return str(r, row, col);
}

int64_t int64(const PGresult* r, int row, int col) {
    if (is_null(r, row, col)) throw std::runtime_error("unexpected NULL integer column");
    const char* s = PQgetvalue(r, row, col);
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') throw std::runtime_error("integer column does not parse");
    return static_cast<int64_t>(v);
}

std::optional<int64_t> opt_int64(const PGresult* r, int row, int col) {
    if (is_null(r, row, col)) return std::nullopt;
    return int64(r, row, col);
}

bool boolean(const PGresult* r, int row, int col) { return !is_null(r, row, col) && text(r, row, col) == "t"; }

Json json(const PGresult* r, int row, int col) {
    if (is_null(r, row, col)) return Json(json_null());
    std::string err;
    Json j = json_parse(text(r, row, col), &err);
    if (!j) throw std::runtime_error("jsonb column does not parse");
    return j;
}

std::string bytea(const PGresult* r, int row, int col) {
    if (is_null(r, row, col)) return {};
    std::size_t len = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col)), &len);
    if (!raw) throw std::runtime_error("bytea column does not decode");
    std::string out(reinterpret_cast<const char*>(raw), len);
    PQfreemem(raw);
    return out;
}

}  // namespace telemed::db
