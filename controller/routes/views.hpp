// JSON representations of sessions and participants, shared by
// routes/sessions.cpp and routes/participants.cpp. The shapes are the
// Session / SessionListItem / Participant schemas of docs/openapi.yaml:
// every member always present (null when unset), timestamps RFC 3339 UTC.
#pragma once
#include <vector>

#include "common/json.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/live/session_cache.hpp"

namespace telemed {

// id, session_id, user_id, role, display_name, permissions (effective, in
// canonical order, for the session's kind), permission_overrides, status,
// created_at, updated_at.
Json participant_view(const db::Participant& p, SessionKind kind);

// The session members without "participants" / "participant_count".
Json session_base_view(const db::Session& s);

// Single-session responses: base + "participants" (the active ones).
Json session_view(const db::Session& s, const std::vector<db::Participant>& participants);

// session_view serialised (exactly json_dump(session_view(s, participants)))
// with the offset of each participant object's closing '}': the read cache's
// entry, into which GET /sessions/{id} splices presence (presence_view.hpp).
// Our serialiser (common/json.hpp) is compact and keeps insertion order, so
// the text is composed from the base view's and each participant's.
SessionCache::Entry session_view_entry(const db::Session& s, const std::vector<db::Participant>& participants);

// List items: base + "participant_count".
Json session_list_item_view(const db::Session& s);

// The records of a session change (db::record_change), shared by the REST
// transitions (routes/sessions.cpp) and the lifecycle job
// (jobs/session_lifecycle.cpp) so that both write the same shapes; ids and
// enum values only. `reason` (an automatic transition's, e.g. "expired") is
// added when not null.
// Outbox payload of session.* topics: {session_id, status, kind, reason?}.
Json session_event_payload(const db::Session& s, const char* reason = nullptr);
// Audit data of a status transition: {from, to, reason?}.
Json transition_audit_data(SessionStatus from, SessionStatus to, const char* reason = nullptr);

}  // namespace telemed
