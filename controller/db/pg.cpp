#include "controller/db/pg.hpp"

#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "common/crypto.hpp"

namespace telemed::db {

bool Error::unavailable() const {
    if (connection_lost_) return true;
    if (sqlstate_.size() != 5) return false;
    if (sqlstate_.compare(0, 2, "08") == 0 || sqlstate_.compare(0, 2, "53") == 0) return true;
    return sqlstate_ == "57P01" || sqlstate_ == "57P02" || sqlstate_ == "57P03";
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

// Named prepared statements, per connection. Every SQL text given to exec()
// is a string literal (STYLE.md 8), so its address identifies it: each text
// gets a small id and a statement name "tm<id>"; a connection prepares a
// text once (Parse/plan once) and afterwards only binds and executes it.
// Entries for a closed connection are dropped by forget_connection(); if
// one is missed and the address is reused, the server answers 26000
// (unknown statement) and exec() prepares again.
struct PreparedRegistry {
    std::mutex mu;
    std::unordered_map<const char*, unsigned> ids;
    std::unordered_map<const PGconn*, std::unordered_set<unsigned>> prepared;
};
PreparedRegistry& registry() {
    static PreparedRegistry r;
    return r;
}

ResultPtr exec_prepared_once(PGconn* conn, const char* sql, const std::vector<const char*>& ptrs, bool* unknown) {
    auto& reg = registry();
    unsigned id;
    bool have;
    {
        std::lock_guard<std::mutex> lk(reg.mu);
        auto it = reg.ids.find(sql);
        if (it == reg.ids.end()) it = reg.ids.emplace(sql, static_cast<unsigned>(reg.ids.size())).first;
        id = it->second;
        auto pc = reg.prepared.find(conn);
        have = pc != reg.prepared.end() && pc->second.count(id) != 0;
    }
    char name[24];
    std::snprintf(name, sizeof name, "tm%u", id);
    const int n = static_cast<int>(ptrs.size());
    if (!have) {
        ResultPtr prep(PQprepare(conn, name, sql, n, nullptr));
        if (!prep) throw make_error(conn, nullptr);
        if (PQresultStatus(prep.get()) != PGRES_COMMAND_OK) {
            const char* state = PQresultErrorField(prep.get(), PG_DIAG_SQLSTATE);
            // 42P05 duplicate_prepared_statement: prepared before a lost entry.
            if (!state || std::strcmp(state, "42P05") != 0) throw make_error(conn, prep.get());
        }
        std::lock_guard<std::mutex> lk(reg.mu);
        reg.prepared[conn].insert(id);
    }
    ResultPtr res(PQexecPrepared(conn, name, n, n ? ptrs.data() : nullptr, nullptr, nullptr, 0));
    if (!res) throw make_error(conn, nullptr);
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
        if (state && std::strcmp(state, "26000") == 0) {  // invalid_sql_statement_name
            std::lock_guard<std::mutex> lk(reg.mu);
            reg.prepared[conn].erase(id);
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
    reg.prepared.erase(conn);
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

void exec_script(PGconn* conn, const char* sql) {
    // PQexec returns only the last result; an error stops the script there.
    ResultPtr res(PQexec(conn, sql));
    if (!res) throw make_error(conn, nullptr);
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) throw make_error(conn, res.get());
}

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
