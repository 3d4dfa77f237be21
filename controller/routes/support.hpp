// Helpers shared by the route files (sessions, participants, participant access, files, messages):
// problem shortcuts, the exception guard around a handler body, Janus
// outcome rules, the create_room body of a session and the audit actor.
// Admin API bodies, codes and limits come from common/admin_api.hpp.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/admin_api.hpp"
#include "common/ids.hpp"
#include "controller/app.hpp"
#include "controller/db/participants_repo.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/http/participant_auth.hpp"
#include "controller/http/types.hpp"
#include "controller/clients/janus_admin.hpp"

namespace telemed {

Response not_found(std::string_view detail);                    // 404 not-found
Response session_closed(std::string_view status);               // 409 session-closed
Response invalid_transition(std::string_view from, std::string_view action);  // 409 invalid-state-transition
Response janus_unavailable();                                   // 503 janus-unavailable
Response database_unavailable();                                // 503 database-unavailable
Response internal_error();                                      // 500 internal-error

// A query value that is a decimal integer in [lo, hi] (no sign, no spaces,
// at most 19 digits): *out set, true. For since / limit of the chat routes.
bool parse_query_int(const std::string& text, int64_t lo, int64_t hi, int64_t* out);

// Runs `body`; maps data-layer exceptions to problems and logs them (ids
// only): db::Unavailable, db::CommitFailed and "database cannot serve"
// errors -> 503 database-unavailable; other db::Error and exceptions -> 500.
Response guarded(const char* route, const std::function<Response()>& body);

// True when Janus accepted the request, or answered 4040 "no such room"
// (PluginError::NoSuchRoom) and `tolerate_missing_room`. Logs refusals (op and ids only).
bool janus_accepted(const JanusAdmin::Result& r, bool tolerate_missing_room, const char* op,
                    const std::string& session_id);

// The Janus room of session `s` exists (upsert) in `state` ("scheduled" or
// "active"), with `revoked` participant ids banned and the effective
// permissions and role of every `active` participant stored as grants (so a
// room re-created after a Janus restart overrides tokens minted before a
// PATCH). At most admin_api::kMaxRevokedInRequest / kMaxGrantsInRequest entries
// are sent (callers fetch at most that many revoked ids; extra grants are
// dropped with a warning). The body is admin_api::build_request's:
// {"request":"create_room","room","kind","state","recording_policy",
//  "revoked":[pid...],"grants":[{"participant_id","role","permissions":[...],"display_name"?}]}
// (display_name, shown to the others in the room, omitted when null).
Json create_room_request(const db::Session& s, const char* state, const std::vector<std::string>& revoked,
                         const std::vector<db::Participant>& active);

// When session `s` was ended or cancelled, in Unix seconds (none while it is
// open): the participant credential check's closed_at_s.
std::optional<int64_t> closed_at_seconds(const db::Session& s);

// The participant lookup that authenticate_participant needs, inside the
// caller's transaction: participant `pid` of session `s` (read or locked by
// the caller; null: no such session, every lookup fails). `found` (may be
// null) receives the row looked up.
ParticipantStateLookup participant_lookup(PGconn* c, const db::Session* s, std::optional<db::Participant>* found);

// The audit actor of a request: its API key id ("key0"), or "unknown".
std::string actor_of(const Request& req);

}  // namespace telemed
