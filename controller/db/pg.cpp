#include "controller/db/pg.hpp"

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

ResultPtr exec(PGconn* conn, const char* sql, const Params& params) {
    const auto& values = params.values();
    std::vector<const char*> ptrs;
    ptrs.reserve(values.size());
    for (const auto& v : values) ptrs.push_back(v ? v->c_str() : nullptr);
    ResultPtr res(PQexecParams(conn, sql, static_cast<int>(ptrs.size()), nullptr, ptrs.empty() ? nullptr : ptrs.data(),
                               nullptr, nullptr, 0));
    if (!res) throw make_error(conn, nullptr);
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw make_error(conn, res.get());
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
