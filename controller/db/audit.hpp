// The hash-chained, append-only audit_log (sql/001_init.sql documents the
// chain and its canonical text; audit_verify() checks it): appending, and
// reading it back for GET /sessions/{id}/audit with the chain check of
// sql/004_audit_read.sql.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"

namespace telemed::db {

// Appends one row in the caller's transaction and returns its id. The
// database trigger computes prev_hash/hash under the session row lock.
// actor: the API key id ("key0"), "system", ...; action: "session.created",
// "participant.removed", ... `data` (borrowed, may be null = {}) carries ids
// and enum values only, never names, titles or metadata.
int64_t audit_append(PGconn* c, const std::string& session_id, const std::string& actor, const char* action,
                     const json_t* data);

// For a statement that writes an audit row itself (db::create_session_recorded):
// the actor audit_append stores ("unknown" for an empty one), and the SQL
// text of the placeholder prev_hash / hash it supplies (the BEFORE INSERT
// trigger computes the real ones).
std::string audit_actor(const std::string& actor);
#define TELEMED_SQL_AUDIT_HASH_PLACEHOLDER "decode(repeat('00', 32), 'hex')"

// One stored row, as read back.
struct AuditRow {
    int64_t id = 0;
    std::string actor;
    std::string action;
    int64_t created_at = 0;  // microseconds since the Unix epoch (exact)
    Json data;               // object
    std::string prev_hash;   // 64 lower-case hex digits
    std::string hash;        // 64 lower-case hex digits
};

struct AuditPage {
    std::vector<AuditRow> items;       // chain order (id ascending)
    std::optional<int64_t> next_after;  // id to continue after; none on the last page
};

// Rows of the session with id > after (all when none), at most `limit`.
AuditPage list_audit(PGconn* c, const std::string& session_id, std::optional<int64_t> after, int limit);

// Opaque cursor text of GET /sessions/{id}/audit: base64url("a1:<id>").
std::string encode_audit_cursor(int64_t after);
std::optional<int64_t> decode_audit_cursor(std::string_view text);

// audit_chain_check() (sql/004_audit_read.sql) over the whole chain.
struct ChainCheck {
    int64_t checked = 0;                 // rows examined (up to the first broken one)
    std::optional<int64_t> first_broken;  // none when the chain verifies
};
ChainCheck audit_chain_check(PGconn* c, const std::string& session_id);

}  // namespace telemed::db
