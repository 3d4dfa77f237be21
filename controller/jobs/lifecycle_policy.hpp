// The decision of the session lifecycle job (controller/jobs/session_lifecycle.hpp),
// as a pure function: given a session's status, its times and what is known
// about its room's occupancy, which automatic transition is due, and why.
// No clock, no database, no Janus: tests/unit/test_controller_lifecycle_policy.cpp
// checks it cell by cell. The job calls it twice per session: to pick
// candidates, and again under the session's row lock with the row as it is
// then, so a session started, ended or re-occupied meanwhile is left alone.
//
// The table (docs/OPERATIONS.md "Session lifecycle policies"); a limit of 0
// turns its policy off:
//   status     condition                                                action   reason
//   scheduled  now >= (scheduled_at, else created_at) + expire_after    cancel   expired
//   active     now >= started_at + max_duration                         end      max_duration
//   active     room seen empty (not unknown) for >= idle_end            end      idle
//   ended, cancelled, anything else                                     none
// max_duration is checked before idle: a session both too long and idle
// reports max_duration. Unknown occupancy (Janus unreachable, room not in
// the plugin's list) never ends anything.
#pragma once
#include <cstdint>
#include <optional>

#include "common/requests.hpp"

namespace telemed {

struct LifecyclePolicy {
    int64_t expire_after_s = 0;  // scheduled and not started this long after its time: cancel; 0 = off
    int64_t max_duration_s = 0;  // active this long: end; 0 = off
    int64_t idle_end_s = 0;      // active and nobody in the room this long: end; 0 = off
    bool any() const { return expire_after_s > 0 || max_duration_s > 0 || idle_end_s > 0; }
};

// What the controller knows about the room of an active session.
enum class Occupancy : uint8_t {
    Unknown = 0,  // Janus not asked or unreachable, or the room is not in its list
    Occupied,     // at least one participant in the room (lobby included)
    Empty,        // the room exists with nobody in it
};

struct LifecycleFacts {
    SessionStatus status = SessionStatus::Scheduled;
    int64_t now_us = 0;                      // Unix microseconds (the database's clock)
    int64_t created_at_us = 0;
    std::optional<int64_t> scheduled_at_us;
    std::optional<int64_t> started_at_us;
    Occupancy occupancy = Occupancy::Unknown;
    int64_t empty_for_us = 0;                // when Empty: how long it has been seen empty
};

enum class LifecycleAction : uint8_t { None = 0, Cancel, End };
enum class LifecycleReason : uint8_t { None = 0, Expired, MaxDuration, Idle };

struct LifecycleDecision {
    LifecycleAction action = LifecycleAction::None;
    LifecycleReason reason = LifecycleReason::None;
    bool operator==(const LifecycleDecision&) const = default;
};

LifecycleDecision decide_lifecycle(const LifecyclePolicy& policy, const LifecycleFacts& facts);

// "expired" / "max_duration" / "idle" (audit data and outbox payload
// "reason"); "" for None.
const char* to_string(LifecycleReason r);

}  // namespace telemed
