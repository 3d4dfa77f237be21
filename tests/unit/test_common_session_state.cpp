// The session state machine, cell by cell (ARCHITECTURE.md "Session states";
// docs/API.md: start is idempotent on active, end on ended, cancel on
// cancelled; everything else out of an ended or cancelled session is 409).
#include "common/session_state.hpp"

#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

struct Cell {
    SessionStatus from;
    SessionAction action;
    bool allowed;
    SessionStatus to;
    bool changes;
};

using S = SessionStatus;
using A = SessionAction;
// Written from the contract, independently of session_state.cpp's table.
const Cell kExpected[] = {
    {S::Scheduled, A::Start, true, S::Active, true},
    {S::Scheduled, A::End, true, S::Ended, true},
    {S::Scheduled, A::Cancel, true, S::Cancelled, true},
    {S::Active, A::Start, true, S::Active, false},
    {S::Active, A::End, true, S::Ended, true},
    {S::Active, A::Cancel, false, S::Active, false},
    {S::Ended, A::Start, false, S::Ended, false},
    {S::Ended, A::End, true, S::Ended, false},
    {S::Ended, A::Cancel, false, S::Ended, false},
    {S::Cancelled, A::Start, false, S::Cancelled, false},
    {S::Cancelled, A::End, false, S::Cancelled, false},
    {S::Cancelled, A::Cancel, true, S::Cancelled, false},
};

void every_cell(void**) {
    static_assert(sizeof kExpected / sizeof kExpected[0] == kSessionStatusCount * kSessionActionCount,
                  "one expected cell per status and action");
    bool seen[kSessionStatusCount][kSessionActionCount] = {};
    for (const Cell& c : kExpected) {
        const SessionTransition t = session_transition(c.from, c.action);
        const std::string where = std::string(to_string(c.from)) + " + " + std::string(to_string(c.action));
        if (t.allowed != c.allowed) fail_msg("%s: allowed %d, want %d", where.c_str(), t.allowed, c.allowed);
        if (!c.allowed) {
            if (t.changes) fail_msg("%s: a refused transition changes nothing", where.c_str());
        } else {
            if (t.to != c.to)
                fail_msg("%s: leads to %s, want %s", where.c_str(), std::string(to_string(t.to)).c_str(),
                         std::string(to_string(c.to)).c_str());
            if (t.changes != c.changes) fail_msg("%s: changes %d, want %d", where.c_str(), t.changes, c.changes);
            // changes is exactly "leads somewhere else".
            assert_int_equal(t.changes, t.to != c.from);
        }
        seen[static_cast<int>(c.from)][static_cast<int>(c.action)] = true;
    }
    for (auto& row : seen)
        for (bool b : row) assert_true(b);
}

void closed_sessions_accept_no_change(void**) {
    for (S s : {S::Ended, S::Cancelled}) {
        assert_false(is_open(s));
        for (A a : {A::Start, A::End, A::Cancel}) assert_false(session_transition(s, a).changes);
    }
    assert_true(is_open(S::Scheduled));
    assert_true(is_open(S::Active));
}

void names(void**) {
    assert_str_eq(to_string(A::Start), "start");
    assert_str_eq(past_participle(A::Cancel), "cancelled");
    assert_string_equal(change_topic(A::End), "session.ended");
    assert_string_equal(change_topic(A::Start), "session.started");
    assert_string_equal(change_topic(A::Cancel), "session.cancelled");
    // Out-of-range values are refused, never read past the table.
    assert_false(session_transition(static_cast<S>(9), A::Start).allowed);
    assert_false(session_transition(S::Scheduled, static_cast<A>(7)).allowed);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_cell),
        cmocka_unit_test(closed_sessions_accept_no_change),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
