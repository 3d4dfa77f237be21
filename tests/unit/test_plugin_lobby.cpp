// The lobby policy (plugin/lobby.hpp): every cell of every decision.
//
// The expected answers are written independently of lobby.cpp, from
// docs/PROTOCOL.md ("join" rules and "Lobby", "admit / deny", "waiting",
// "create_room" start, "set_permissions") and ARCHITECTURE.md "Lobby".
// Each test walks every combination of its inputs, names the cell in the
// failure message and counts the cells it checked.
#include "plugin/lobby.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;
using namespace telemed::plugin;
using namespace telemed::plugin::lobby;

namespace {

constexpr RoomState kStates[] = {RoomState::Scheduled, RoomState::Active};
constexpr const char* kStateNames[] = {"scheduled", "active"};
constexpr PreviousHandle kPrevious[] = {PreviousHandle::None, PreviousHandle::Waiting, PreviousHandle::Admitted};
constexpr const char* kPreviousNames[] = {"none", "waiting", "admitted"};
constexpr TargetState kTargets[] = {TargetState::Absent, TargetState::Waiting, TargetState::Admitted};
constexpr const char* kTargetNames[] = {"absent", "waiting", "admitted"};
constexpr const char* kOutcomeNames[] = {"admitted", "waiting", "refused"};
constexpr const char* kModOutcomeNames[] = {"admit", "deny", "refused"};

// Every permission set without bypass_lobby / moderate, to show that no
// other bit changes an answer (2^8 sets each).
constexpr PermissionSet kOtherThanBypass = kAllPermissions & ~bit(Permission::BypassLobby);
constexpr PermissionSet kOtherThanModerate = kAllPermissions & ~bit(Permission::Moderate);
// Calls f with every subset of `mask`.
template <class F>
void each_subset(PermissionSet mask, F f) {
    for (PermissionSet s = 0; s <= kAllPermissions; ++s)
        if ((s & ~mask) == 0) f(s);
}

struct WantJoin {
    JoinOutcome outcome;
    ErrorCode code;      // when refused
    const char* detail;  // when refused; "" = the code's default text
};

// docs/PROTOCOL.md "join": rule 5 (banned → 4020), rule 6 (room full → 4090,
// replacing oneself needs no free seat), then the lobby: waiting while
// scheduled; when active, admitted with bypass_lobby, or back within the
// reconnect grace, or replacing its own admitted handle; waiting otherwise.
WantJoin expected_join(RoomState state, bool revoked, bool full, PreviousHandle prev, bool bypass, bool returns) {
    if (revoked) return {JoinOutcome::Refused, ErrorCode::TokenRevoked, ""};
    if (full && prev == PreviousHandle::None) return {JoinOutcome::Refused, ErrorCode::LimitReached, "room full"};
    if (state == RoomState::Scheduled) return {JoinOutcome::Waiting, ErrorCode::Internal, ""};
    if (bypass || returns || prev == PreviousHandle::Admitted) return {JoinOutcome::Admitted, ErrorCode::Internal, ""};
    return {JoinOutcome::Waiting, ErrorCode::Internal, ""};
}

// state × revoked × room full × previous handle × bypass_lobby × returns
// within grace: 2 × 2 × 2 × 3 × 2 × 2 = 96 cells, each under every set of
// the other permissions.
void join_every_cell(void**) {
    int cells = 0;
    for (std::size_t s = 0; s < 2; ++s)
        for (int revoked = 0; revoked < 2; ++revoked)
            for (int full = 0; full < 2; ++full)
                for (std::size_t pv = 0; pv < 3; ++pv)
                    for (int bypass = 0; bypass < 2; ++bypass)
                        for (int returns = 0; returns < 2; ++returns) {
                            const WantJoin want =
                                expected_join(kStates[s], revoked, full, kPrevious[pv], bypass, returns);
                            each_subset(kOtherThanBypass, [&](PermissionSet others) {
                                JoinFacts f;
                                f.room_state = kStates[s];
                                f.revoked = revoked;
                                f.room_full = full;
                                f.previous = kPrevious[pv];
                                f.permissions = others | (bypass ? bit(Permission::BypassLobby) : 0);
                                f.returns_within_grace = returns;
                                const JoinDecision got = decide_join(f);
                                const bool refused = want.outcome == JoinOutcome::Refused;
                                if (got.outcome != want.outcome ||
                                    (refused && (got.refusal.code != want.code || got.refusal.detail != want.detail)))
                                    fail_msg("join: state %s, revoked %d, full %d, previous %s, bypass %d, "
                                             "returns %d, other perms 0x%x: got %s %d \"%.*s\", want %s %d \"%s\"",
                                             kStateNames[s], revoked, full, kPreviousNames[pv], bypass, returns,
                                             others, kOutcomeNames[static_cast<int>(got.outcome)],
                                             to_int(got.refusal.code), static_cast<int>(got.refusal.detail.size()),
                                             got.refusal.detail.data(), kOutcomeNames[static_cast<int>(want.outcome)],
                                             to_int(want.code), want.detail);
                            });
                            ++cells;
                        }
    assert_int_equal(cells, 96);
}

// A few cells spelled out, so a reader sees the rule without the loops.
void join_spelled_out(void**) {
    JoinFacts f;  // scheduled, nothing held
    assert_int_equal(static_cast<int>(decide_join(f).outcome), static_cast<int>(JoinOutcome::Waiting));
    f.permissions = kAllPermissions;  // a doctor waits too before the start
    assert_int_equal(static_cast<int>(decide_join(f).outcome), static_cast<int>(JoinOutcome::Waiting));
    f.room_state = RoomState::Active;
    assert_int_equal(static_cast<int>(decide_join(f).outcome), static_cast<int>(JoinOutcome::Admitted));
    f.permissions = kAllPermissions & ~bit(Permission::BypassLobby);  // a moderator without bypass waits
    assert_int_equal(static_cast<int>(decide_join(f).outcome), static_cast<int>(JoinOutcome::Waiting));
    f.returns_within_grace = true;
    assert_int_equal(static_cast<int>(decide_join(f).outcome), static_cast<int>(JoinOutcome::Admitted));
    f.returns_within_grace = false;
    f.previous = PreviousHandle::Waiting;  // replacing a waiting handle: still waits
    assert_int_equal(static_cast<int>(decide_join(f).outcome), static_cast<int>(JoinOutcome::Waiting));
    f.previous = PreviousHandle::Admitted;
    f.room_full = true;  // replacing oneself needs no seat
    assert_int_equal(static_cast<int>(decide_join(f).outcome), static_cast<int>(JoinOutcome::Admitted));
    f.previous = PreviousHandle::None;
    JoinDecision d = decide_join(f);
    assert_int_equal(static_cast<int>(d.outcome), static_cast<int>(JoinOutcome::Refused));
    assert_int_equal(to_int(d.refusal.code), 4090);
    f.revoked = true;  // the ban is checked before the seat
    d = decide_join(f);
    assert_int_equal(static_cast<int>(d.outcome), static_cast<int>(JoinOutcome::Refused));
    assert_int_equal(to_int(d.refusal.code), 4020);
}

// The refusals as clients see them (code and text).
void refusals_as_failures(void**) {
    JoinFacts f;
    f.revoked = true;
    {
        const Failure x = to_failure(decide_join(f).refusal);
        assert_int_equal(to_int(x.code), 4020);
        assert_str_eq(x.text, default_error_text(ErrorCode::TokenRevoked));
    }
    f.revoked = false;
    f.room_full = true;
    {
        const Failure x = to_failure(decide_join(f).refusal);
        assert_int_equal(to_int(x.code), 4090);
        assert_str_eq(x.text, "room full");
    }
    {
        const Failure x = to_failure(decide_admit(TargetState::Admitted, false).refusal);
        assert_int_equal(to_int(x.code), 4041);
        assert_str_eq(x.text, "no such participant in the lobby");
    }
}

// A waiting participant enters when the room is active and it holds
// bypass_lobby (create_room's start; set_permissions granting it):
// state × bypass_lobby = 4 cells, each under every set of the other permissions.
void enters_from_lobby_every_cell(void**) {
    int cells = 0;
    for (std::size_t s = 0; s < 2; ++s)
        for (int bypass = 0; bypass < 2; ++bypass) {
            const bool want = kStates[s] == RoomState::Active && bypass;
            each_subset(kOtherThanBypass, [&](PermissionSet others) {
                const bool got =
                    enters_from_lobby(kStates[s], others | (bypass ? bit(Permission::BypassLobby) : 0));
                if (got != want)
                    fail_msg("enters_from_lobby: state %s, bypass %d, other perms 0x%x: got %d, want %d",
                             kStateNames[s], bypass, others, got, want);
            });
            ++cells;
        }
    assert_int_equal(cells, 4);
}

// The waiting list goes to admitted participants holding moderate:
// admitted × moderate = 4 cells, each under every set of the other bits.
void waiting_list_every_cell(void**) {
    int cells = 0;
    for (int admitted = 0; admitted < 2; ++admitted)
        for (int moderate = 0; moderate < 2; ++moderate) {
            const bool want = admitted && moderate;
            each_subset(kOtherThanModerate, [&](PermissionSet others) {
                const bool got = sees_waiting_list(admitted, others | (moderate ? bit(Permission::Moderate) : 0));
                if (got != want)
                    fail_msg("sees_waiting_list: admitted %d, moderate %d, other caps 0x%x: got %d, want %d",
                             admitted, moderate, others, got, want);
            });
            ++cells;
        }
    assert_int_equal(cells, 4);
}

// admit / deny: only a participant in the lobby; otherwise 4041.
// target × request = 6 cells.
void moderator_every_cell(void**) {
    int cells = 0;
    for (std::size_t t = 0; t < 3; ++t)
        for (int deny = 0; deny < 2; ++deny) {
            const ModeratorOutcome want = kTargets[t] != TargetState::Waiting ? ModeratorOutcome::Refused
                                          : deny                        ? ModeratorOutcome::Deny
                                                                        : ModeratorOutcome::Admit;
            const ModeratorDecision got = decide_admit(kTargets[t], deny);
            if (got.outcome != want ||
                (want == ModeratorOutcome::Refused && got.refusal.code != ErrorCode::NoSuchParticipant))
                fail_msg("decide_admit: target %s, deny %d: got %s %d, want %s", kTargetNames[t], deny,
                         kModOutcomeNames[static_cast<int>(got.outcome)], to_int(got.refusal.code),
                         kModOutcomeNames[static_cast<int>(want)]);
            ++cells;
        }
    assert_int_equal(cells, 6);
}

// A state the table has no column for waits (deny by default).
void unknown_state_waits(void**) {
    JoinFacts f;
    f.room_state = static_cast<RoomState>(7);
    f.permissions = kAllPermissions;
    f.returns_within_grace = true;
    f.previous = PreviousHandle::Admitted;
    assert_int_equal(static_cast<int>(decide_join(f).outcome), static_cast<int>(JoinOutcome::Waiting));
    assert_false(enters_from_lobby(static_cast<RoomState>(7), kAllPermissions));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(join_every_cell),
        cmocka_unit_test(join_spelled_out),
        cmocka_unit_test(refusals_as_failures),
        cmocka_unit_test(enters_from_lobby_every_cell),
        cmocka_unit_test(waiting_list_every_cell),
        cmocka_unit_test(moderator_every_cell),
        cmocka_unit_test(unknown_state_waits),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
