// The transactional outbox: rows written in the same transaction as the
// change they report, delivered at least once by the dispatcher with
// event_id as the idempotency key (sql/001_init.sql).
#pragma once
#include <libpq-fe.h>

#include <optional>
#include <string>

#include "common/json.hpp"

namespace telemed::db {

// Topics are mostly the change's audit action (db::record_change):
// session.started|ended|cancelled, participant.added|updated|removed; a
// creation is audited as session.created but its topic is session.scheduled
// (routes/sessions.cpp); recording.started and recording.available are
// written by controller/db/recordings_repo.cpp.

// Inserts one event and returns its event_id (a new UUID). The stored
// payload is `payload` (borrowed object) plus "event_id", "topic" and
// "occurred_at" (RFC 3339, the transaction's time). Callers put ids and
// enum values only in `payload`: no names, titles or metadata. A
// "session_id" member that is a UUID also fills outbox.session_id: the
// webhook dispatcher keeps the events of one session in order (sql/010).
std::string outbox_enqueue(PGconn* c, const char* topic, const json_t* payload);

// The values outbox_enqueue inserts, for a statement that writes the row
// itself (db::create_session_recorded: one statement for a whole change).
// payload_json: `payload` plus "event_id" and "topic" (compact JSON; the
// statement adds "occurred_at" with kOutboxOccurredAtSql); session_id: the
// payload's "session_id" when it is a UUID (normalised), else none.
struct OutboxRow {
    std::string event_id;
    std::string payload_json;
    Json payload;  // the same, as an object (db::create_sessions_recorded)
    std::optional<std::string> session_id;
};
OutboxRow outbox_row(const char* topic, const json_t* payload);

// SQL text of the stored payload of an outbox row: `param` (the
// payload_json parameter) plus "occurred_at", the transaction's time in RFC
// 3339 UTC.
#define TELEMED_SQL_OUTBOX_PAYLOAD(param)                                  \
    param "::jsonb || jsonb_build_object('occurred_at',"                   \
          " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"

}  // namespace telemed::db
