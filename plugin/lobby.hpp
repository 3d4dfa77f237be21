// The lobby: who enters a room at once, who waits, who is refused, and who
// sees the waiting list (docs/PROTOCOL.md "join", "admit / deny", "waiting",
// "set_permissions"; ARCHITECTURE.md "Lobby").
//
// A pure policy, written as a table (lobby.cpp) and tested cell by cell
// (tests/unit/test_plugin_lobby.cpp): no lock, no Janus, no Host, no Room or
// Participant object. PluginCore gathers the facts under its state mutex,
// asks here, and carries the answer out (events, capability bits, media).
//
// The rule:
//  - before the session starts (room `scheduled`) everyone waits;
//  - once it is `active`, a joiner enters directly with a ticket: it holds
//    `bypass_lobby`, or it was admitted before and lost its handle less than
//    `reconnect_grace_s` ago, or it replaces its own admitted handle; without
//    one it waits until a moderator admits it;
//  - a waiting participant holding `bypass_lobby` enters as soon as the room
//    is active (the start, or a set_permissions that grants it);
//  - a banned id (kicked, or in the room's `revoked` list) is refused, and so
//    is a newcomer when the room is full (replacing oneself needs no seat);
//  - the waiting list goes to admitted participants holding `moderate`;
//  - a moderator's admit / deny applies only to a participant in the lobby;
//    admit lets it in, deny removes it from the room without banning it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/permissions.hpp"
#include "plugin/errors.hpp"
#include "plugin/room.hpp"

namespace telemed::plugin::lobby {

// RoomState has no Count_: the lobby table has one column per state.
inline constexpr std::size_t kRoomStateCount = 2;
static_assert(static_cast<std::size_t>(RoomState::Active) == kRoomStateCount - 1,
              "lobby table: add a column for the new RoomState");

// Why a joiner may skip the lobby. None is the row of a joiner without any.
enum class Ticket : uint8_t { None = 0, BypassLobby, ReturnsWithinGrace, ReplacesAdmittedHandle, Count_ };
inline constexpr std::size_t kTicketCount = static_cast<std::size_t>(Ticket::Count_);

// The same participant id already joined on another handle, and its state.
enum class PreviousHandle : uint8_t { None = 0, Waiting, Admitted };

// Everything that decides a join, once the token is verified and the room
// found (docs/PROTOCOL.md "join", rules 5 to 8).
struct JoinFacts {
    RoomState room_state = RoomState::Scheduled;
    bool revoked = false;                        // the id is banned in this room
    bool room_full = false;                      // max_participants_per_room members already
    PreviousHandle previous = PreviousHandle::None;
    PermissionSet permissions = 0;               // effective: a stored grant overrides the token
    bool returns_within_grace = false;           // admitted before, gone < reconnect_grace_s
};

// A refusal: a stable code and a detail of our own ("" = the code's default text).
struct Refusal {
    ErrorCode code = ErrorCode::Internal;
    std::string_view detail;
};
inline Failure to_failure(const Refusal& r) {
    return r.detail.empty() ? Failure::of(r.code) : Failure::of(r.code, r.detail);
}

enum class JoinOutcome : uint8_t { Admitted, Waiting, Refused };
struct JoinDecision {
    JoinOutcome outcome = JoinOutcome::Refused;
    Refusal refusal;  // when Refused
};

// The join rule: refusals first (ban, then a seat), then the lobby table.
JoinDecision decide_join(const JoinFacts& f);

// Whether a participant waiting in a room in `state` enters now, by the same
// table: on the start (every waiting participant), and when set_permissions
// changes its `granted` set.
bool enters_from_lobby(RoomState state, PermissionSet granted);

// Whether a member receives the `waiting` list: admitted, and `moderate` in
// its live capability bits.
bool sees_waiting_list(bool admitted, PermissionSet capabilities);

// A moderator's admit / deny, once the caller passed the moderation checks
// (joined, admitted, `moderate`, not itself; plugin/moderation.cpp).
enum class TargetState : uint8_t { Absent = 0, Waiting, Admitted };
enum class ModeratorOutcome : uint8_t { Admit, Deny, Refused };
struct ModeratorDecision {
    ModeratorOutcome outcome = ModeratorOutcome::Refused;
    Refusal refusal;  // when Refused
};
ModeratorDecision decide_admit(TargetState target, bool deny);

}  // namespace telemed::plugin::lobby
