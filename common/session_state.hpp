// The session state machine (ARCHITECTURE.md "Session states"), as a table:
//   scheduled -> active -> ended, scheduled -> cancelled, scheduled -> ended.
// Every (status, action) cell says whether the action is allowed, the status
// it leads to, and whether it changes anything (start on an active session,
// end on an ended one and cancel on a cancelled one are idempotent: allowed,
// no change). The REST routes (controller/routes/sessions.cpp) decide only
// from this table; tests/unit/test_common_session_state.cpp checks each cell.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/requests.hpp"

namespace telemed {

enum class SessionAction : uint8_t { Start = 0, End, Cancel };
inline constexpr std::size_t kSessionStatusCount = 4;
inline constexpr std::size_t kSessionActionCount = 3;

struct SessionTransition {
    bool allowed = false;                   // false: 409 invalid-state-transition
    SessionStatus to = SessionStatus::Scheduled;  // when allowed
    bool changes = false;                   // allowed and to != from
};

SessionTransition session_transition(SessionStatus from, SessionAction action);

// "start" / "end" / "cancel" (route and log names).
std::string_view to_string(SessionAction a);
// "started" / "ended" / "cancelled" (the problem detail: "cannot be started").
std::string_view past_participle(SessionAction a);
// The audit action and outbox topic of a change: "session.started", ...
const char* change_topic(SessionAction a);

// Open: participants may be added, removed and changed, and the Janus room
// exists (or should).
inline constexpr bool is_open(SessionStatus s) { return s == SessionStatus::Scheduled || s == SessionStatus::Active; }

}  // namespace telemed
