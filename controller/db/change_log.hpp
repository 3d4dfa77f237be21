// One change to a session, put on record in the caller's transaction, in
// one call: the participant's event history (when the change is about a
// participant), the hash-chained audit log and the transactional outbox.
// Route handlers describe the change; this file writes its rows, so the
// three records cannot drift apart.
#pragma once
#include <libpq-fe.h>

#include <string>

#include "common/json.hpp"

namespace telemed::db {

// A change to the session itself: its audit row, and an outbox row with
// `outbox` as payload and `action` as topic unless `outbox` is null.
// actor: API key id ("key0"), "system", ...; action: "session.started", ...
// `audit` (borrowed, null = {}) and `outbox` carry ids and enum values only.
// Returns the audit row's id. Throws on database error (the caller's
// transaction then rolls back).
int64_t record_change(PGconn* c, const std::string& session_id, const std::string& actor, const char* action,
                      const json_t* audit, const json_t* outbox);

// A change about one participant: the same, plus its participant_events row
// `event` ("added", "removed", ...) with `event_data` (borrowed, null = {}).
int64_t record_participant_change(PGconn* c, const std::string& session_id, const std::string& actor,
                                  const char* action, const json_t* audit, const json_t* outbox,
                                  const std::string& participant_id, const char* event, const json_t* event_data);

}  // namespace telemed::db
