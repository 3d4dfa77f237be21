// Appending to the hash-chained, append-only audit_log (sql/001_init.sql
// documents the chain and its canonical text; audit_verify() checks it).
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <string>

#include "common/json.hpp"

namespace telemed::db {

// Appends one row in the caller's transaction and returns its id. The
// database trigger computes prev_hash/hash under the session row lock.
// actor: the API key id ("key0"), "system", ...; action: "session.created",
// "participant.removed", ... `data` (borrowed, may be null = {}) carries ids
// and enum values only, never names, titles or metadata.
int64_t audit_append(PGconn* c, const std::string& session_id, const std::string& actor, const char* action,
                     const json_t* data);

// Id of the first row of the session's chain that fails verification, or 0
// when the chain verifies (also when it is empty).
int64_t audit_verify(PGconn* c, const std::string& session_id);

}  // namespace telemed::db
