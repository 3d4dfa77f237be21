// The lobby table and the decisions read from it (see lobby.hpp).
//
// The table is data: one row per Ticket, one cell per RoomState. A cell is a
// Cell whose zero value is Invalid, so a row that is too short (a RoomState
// was added) leaves a zero cell, and a missing row (a Ticket was added) is
// caught by the row-count check: both fail static_assert below.
#include "plugin/lobby.hpp"

#include <array>

namespace telemed::plugin::lobby {
namespace {

enum class Cell : uint8_t {
    Invalid = 0,  // zero value: an unfilled cell
    Waits = 1,    // into the lobby, until a moderator admits it
    Enters = 2,   // admitted at once
};

struct Row {
    Ticket ticket;
    std::array<Cell, kRoomStateCount> cells;  // indexed by RoomState
};

constexpr Cell W = Cell::Waits;
constexpr Cell E = Cell::Enters;

// Columns: Scheduled, Active (the RoomState enumerator order).
constexpr Row kTable[] = {
    {Ticket::None, {W, W}},
    {Ticket::BypassLobby, {W, E}},
    {Ticket::ReturnsWithinGrace, {W, E}},
    {Ticket::ReplacesAdmittedHandle, {W, E}},
};

constexpr bool table_is_complete() {
    for (std::size_t i = 0; i < std::size(kTable); ++i) {
        // Rows in Ticket order, each ticket exactly once.
        if (static_cast<std::size_t>(kTable[i].ticket) != i) return false;
        for (Cell c : kTable[i].cells)
            if (c != Cell::Waits && c != Cell::Enters) return false;
    }
    return true;
}
static_assert(std::size(kTable) == kTicketCount, "lobby table: one row per Ticket (add the new row)");
static_assert(table_is_complete(), "lobby table: every Ticket × RoomState cell needs Waits or Enters");
// Spot checks of the PROTOCOL.md rule (the unit test checks every cell).
static_assert(kTable[0].cells[static_cast<std::size_t>(RoomState::Active)] == W, "no ticket: waits");
static_assert(kTable[1].cells[static_cast<std::size_t>(RoomState::Scheduled)] == W, "before the start: all wait");

constexpr uint8_t ticket_bit(Ticket t) { return static_cast<uint8_t>(1u << static_cast<unsigned>(t)); }

// Admitted if any held ticket enters in `state`; a joiner without a ticket
// reads the None row. Out-of-range states wait (deny by default).
bool enters(RoomState state, uint8_t held) {
    const auto s = static_cast<std::size_t>(state);
    if (s >= kRoomStateCount) return false;
    if (held == 0) held = ticket_bit(Ticket::None);
    for (const Row& row : kTable)
        if ((held & ticket_bit(row.ticket)) != 0 && row.cells[s] == Cell::Enters) return true;
    return false;
}

}  // namespace

JoinDecision decide_join(const JoinFacts& f) {
    // Refusals, in the order docs/PROTOCOL.md lists them.
    if (f.revoked) return JoinDecision{JoinOutcome::Refused, Refusal{ErrorCode::TokenRevoked, {}}};
    if (f.room_full && f.previous == PreviousHandle::None)
        return JoinDecision{JoinOutcome::Refused, Refusal{ErrorCode::LimitReached, "room full"}};

    uint8_t held = 0;
    if (has(f.permissions, Permission::BypassLobby)) held |= ticket_bit(Ticket::BypassLobby);
    if (f.returns_within_grace) held |= ticket_bit(Ticket::ReturnsWithinGrace);
    if (f.previous == PreviousHandle::Admitted) held |= ticket_bit(Ticket::ReplacesAdmittedHandle);
    return JoinDecision{enters(f.room_state, held) ? JoinOutcome::Admitted : JoinOutcome::Waiting, Refusal{}};
}

bool enters_from_lobby(RoomState state, PermissionSet granted) {
    return enters(state, has(granted, Permission::BypassLobby) ? ticket_bit(Ticket::BypassLobby) : 0);
}

bool sees_waiting_list(bool admitted, PermissionSet capabilities) {
    return admitted && has(capabilities, Permission::Moderate);
}

ModeratorDecision decide_admit(TargetState target, bool deny) {
    if (target != TargetState::Waiting)
        return ModeratorDecision{ModeratorOutcome::Refused,
                                 Refusal{ErrorCode::NoSuchParticipant, "no such participant in the lobby"}};
    return ModeratorDecision{deny ? ModeratorOutcome::Deny : ModeratorOutcome::Admit, Refusal{}};
}

}  // namespace telemed::plugin::lobby
