// The transactional outbox: rows written in the same transaction as the
// change they report, delivered at least once by the dispatcher with
// event_id as the idempotency key (sql/001_init.sql).
#pragma once
#include <libpq-fe.h>

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

}  // namespace telemed::db
