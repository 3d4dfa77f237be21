#include "common/session_state.hpp"

namespace telemed {
namespace {

constexpr SessionTransition kNo{false, SessionStatus::Scheduled, false};
constexpr SessionTransition go(SessionStatus to) { return {true, to, true}; }
constexpr SessionTransition stay(SessionStatus s) { return {true, s, false}; }

using S = SessionStatus;
// Rows: from (SessionStatus order); columns: Start, End, Cancel.
constexpr SessionTransition kTable[kSessionStatusCount][kSessionActionCount] = {
    /* scheduled */ {go(S::Active), go(S::Ended), go(S::Cancelled)},
    /* active    */ {stay(S::Active), go(S::Ended), kNo},
    /* ended     */ {kNo, stay(S::Ended), kNo},
    /* cancelled */ {kNo, kNo, stay(S::Cancelled)},
};
static_assert(static_cast<std::size_t>(S::Cancelled) + 1 == kSessionStatusCount,
              "a new session status needs its row in kTable");
static_assert(static_cast<std::size_t>(SessionAction::Cancel) + 1 == kSessionActionCount,
              "a new session action needs its column in kTable");

}  // namespace

SessionTransition session_transition(SessionStatus from, SessionAction action) {
    const auto f = static_cast<std::size_t>(from);
    const auto a = static_cast<std::size_t>(action);
    if (f >= kSessionStatusCount || a >= kSessionActionCount) return kNo;
    return kTable[f][a];
}

std::string_view to_string(SessionAction a) {
    switch (a) {
        case SessionAction::Start: return "start";
        case SessionAction::End: return "end";
        case SessionAction::Cancel: return "cancel";
    }
    return "?";
}

std::string_view past_participle(SessionAction a) {
    switch (a) {
        case SessionAction::Start: return "started";
        case SessionAction::End: return "ended";
        case SessionAction::Cancel: return "cancelled";
    }
    return "?";
}

const char* change_topic(SessionAction a) {
    switch (a) {
        case SessionAction::Start: return "session.started";
        case SessionAction::End: return "session.ended";
        case SessionAction::Cancel: return "session.cancelled";
    }
    return "?";
}

}  // namespace telemed
