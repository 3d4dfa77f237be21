// controller/jobs/lifecycle_policy.hpp: the decision table of the session
// lifecycle job, cell by cell: every status against each policy on and off,
// just before and at each limit, scheduled_at vs created_at, the occupancy
// states, the precedence of max_duration over idle, and hostile times
// (future timestamps, huge limits). Helpers return plain values (a failing
// CMocka assertion longjmps past destructors).
#include "controller/jobs/lifecycle_policy.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;

namespace {

constexpr int64_t S = 1000000;                     // one second in microseconds
constexpr int64_t kNow = int64_t{1798761600} * S;  // 2027-01-01T00:00:00Z
constexpr int64_t kHour = 3600;

// Decision as one comparable number: action * 10 + reason.
constexpr int kNone = 0;
constexpr int kCancelExpired = 1 * 10 + 1;
constexpr int kEndMaxDuration = 2 * 10 + 2;
constexpr int kEndIdle = 2 * 10 + 3;

int code(LifecycleDecision d) { return static_cast<int>(d.action) * 10 + static_cast<int>(d.reason); }

LifecyclePolicy policy(int64_t expire_s, int64_t max_s, int64_t idle_s) {
    LifecyclePolicy p;
    p.expire_after_s = expire_s;
    p.max_duration_s = max_s;
    p.idle_end_s = idle_s;
    return p;
}

// A scheduled session created `created_ago_s` ago, scheduled `sched_ago_s`
// ago (negative: in the future; kNoSched: no scheduled_at).
constexpr int64_t kNoSched = INT64_MIN;
int scheduled(const LifecyclePolicy& p, int64_t created_ago_s, int64_t sched_ago_s,
              Occupancy occ = Occupancy::Unknown) {
    LifecycleFacts f;
    f.status = SessionStatus::Scheduled;
    f.now_us = kNow;
    f.created_at_us = kNow - created_ago_s * S;
    if (sched_ago_s != kNoSched) f.scheduled_at_us = kNow - sched_ago_s * S;
    f.occupancy = occ;
    f.empty_for_us = occ == Occupancy::Empty ? 1000 * kHour * S : 0;
    return code(decide_lifecycle(p, f));
}

// An active session started `started_ago_s` ago; its room `occ`, empty for `empty_for_s`.
int active(const LifecyclePolicy& p, int64_t started_ago_s, Occupancy occ, int64_t empty_for_s = 0) {
    LifecycleFacts f;
    f.status = SessionStatus::Active;
    f.now_us = kNow;
    f.created_at_us = kNow - (started_ago_s + 100) * S;
    f.scheduled_at_us = kNow - 1000 * kHour * S;  // long past: expiry never applies to active sessions
    f.started_at_us = kNow - started_ago_s * S;
    f.occupancy = occ;
    f.empty_for_us = empty_for_s * S;
    return code(decide_lifecycle(p, f));
}

int closed(SessionStatus st, const LifecyclePolicy& p) {
    LifecycleFacts f;
    f.status = st;
    f.now_us = kNow;
    f.created_at_us = kNow - 1000 * kHour * S;
    f.scheduled_at_us = kNow - 1000 * kHour * S;
    f.started_at_us = kNow - 1000 * kHour * S;
    f.occupancy = Occupancy::Empty;
    f.empty_for_us = 1000 * kHour * S;
    return code(decide_lifecycle(p, f));
}

const LifecyclePolicy kAll = policy(24 * kHour, 2 * kHour, 30 * 60);
const LifecyclePolicy kOff = policy(0, 0, 0);

void test_scheduled_expiry(void**) {
    // Deadline from scheduled_at: just before, at, after.
    assert_int_equal(scheduled(kAll, 30 * kHour, 24 * kHour - 1), kNone);
    assert_int_equal(scheduled(kAll, 30 * kHour, 24 * kHour), kCancelExpired);
    assert_int_equal(scheduled(kAll, 30 * kHour, 24 * kHour + 1), kCancelExpired);
    // scheduled_at wins over created_at: created long ago, scheduled recently.
    assert_int_equal(scheduled(kAll, 100 * kHour, 1), kNone);
    // Scheduled in the future: never expired, however old the row.
    assert_int_equal(scheduled(kAll, 100 * kHour, -10 * kHour), kNone);
    // Without scheduled_at: from created_at.
    assert_int_equal(scheduled(kAll, 24 * kHour - 1, kNoSched), kNone);
    assert_int_equal(scheduled(kAll, 24 * kHour, kNoSched), kCancelExpired);
    // Off: never.
    assert_int_equal(scheduled(policy(0, 2 * kHour, 60), 1000 * kHour, 1000 * kHour), kNone);
    assert_int_equal(scheduled(kOff, 1000 * kHour, kNoSched), kNone);
    // Occupancy does not matter for a scheduled session: neither idle nor
    // max_duration apply before the start.
    assert_int_equal(scheduled(policy(0, 1, 1), 1000 * kHour, 1000 * kHour, Occupancy::Empty), kNone);
    assert_int_equal(scheduled(kAll, 30 * kHour, 25 * kHour, Occupancy::Occupied), kCancelExpired);
}

void test_active_max_duration(void**) {
    assert_int_equal(active(kAll, 2 * kHour - 1, Occupancy::Occupied), kNone);
    assert_int_equal(active(kAll, 2 * kHour, Occupancy::Occupied), kEndMaxDuration);
    assert_int_equal(active(kAll, 2 * kHour, Occupancy::Unknown), kEndMaxDuration);  // no Janus needed
    // Off: never, however long.
    assert_int_equal(active(policy(24 * kHour, 0, 0), 10000 * kHour, Occupancy::Occupied), kNone);
    // Precedence: too long and idle -> max_duration.
    assert_int_equal(active(kAll, 3 * kHour, Occupancy::Empty, 3 * kHour), kEndMaxDuration);
    // Expiry never applies to an active session (scheduled_at long past).
    assert_int_equal(active(policy(1, 0, 0), 10, Occupancy::Empty, 10), kNone);
}

void test_active_idle(void**) {
    const LifecyclePolicy idle = policy(0, 0, 30 * 60);
    assert_int_equal(active(idle, kHour, Occupancy::Empty, 30 * 60 - 1), kNone);
    assert_int_equal(active(idle, kHour, Occupancy::Empty, 30 * 60), kEndIdle);
    // Somebody in: never idle.
    assert_int_equal(active(idle, kHour, Occupancy::Occupied, 1000 * kHour), kNone);
    // Unknown (Janus unreachable, room missing): never ends.
    assert_int_equal(active(idle, kHour, Occupancy::Unknown, 1000 * kHour), kNone);
    // Off: never.
    assert_int_equal(active(policy(0, 0, 0), kHour, Occupancy::Empty, 1000 * kHour), kNone);
    // A negative "empty for" (clock confusion) is not elapsed.
    assert_int_equal(active(idle, kHour, Occupancy::Empty, -1000 * kHour), kNone);
}

void test_active_without_started_at(void**) {
    LifecycleFacts f;
    f.status = SessionStatus::Active;
    f.now_us = kNow;
    f.created_at_us = kNow - 1000 * kHour * S;
    f.occupancy = Occupancy::Empty;
    f.empty_for_us = 1000 * kHour * S;
    // Max duration cannot be measured; idle is still about the room, but
    // the row is inconsistent: deny by default.
    assert_int_equal(code(decide_lifecycle(kAll, f)), kNone);
}

void test_closed_sessions(void**) {
    const LifecyclePolicy tiny = policy(1, 1, 1);
    assert_int_equal(closed(SessionStatus::Ended, tiny), kNone);
    assert_int_equal(closed(SessionStatus::Cancelled, tiny), kNone);
    assert_int_equal(closed(SessionStatus::Ended, kAll), kNone);
    assert_int_equal(closed(SessionStatus::Cancelled, kAll), kNone);
}

void test_hostile_numbers(void**) {
    // Limits far beyond the configuration's bounds do not overflow: never due.
    const LifecyclePolicy huge = policy(INT64_MAX, INT64_MAX, INT64_MAX);
    assert_int_equal(scheduled(huge, 1000 * kHour, 1000 * kHour), kNone);
    assert_int_equal(active(huge, 1000 * kHour, Occupancy::Empty, 1000 * kHour), kNone);
    // Negative limits are off.
    const LifecyclePolicy neg = policy(-1, -1, -1);
    assert_int_equal(scheduled(neg, 1000 * kHour, 1000 * kHour), kNone);
    assert_int_equal(active(neg, 1000 * kHour, Occupancy::Empty, 1000 * kHour), kNone);
    // Extreme timestamps: started at the epoch's far ends.
    LifecycleFacts f;
    f.status = SessionStatus::Active;
    f.now_us = kNow;
    f.started_at_us = INT64_MIN / 2;
    assert_int_equal(code(decide_lifecycle(kAll, f)), kEndMaxDuration);
    f.started_at_us = INT64_MAX;
    assert_int_equal(code(decide_lifecycle(kAll, f)), kNone);
}

void test_reason_names(void**) {
    assert_string_equal(to_string(LifecycleReason::Expired), "expired");
    assert_string_equal(to_string(LifecycleReason::MaxDuration), "max_duration");
    assert_string_equal(to_string(LifecycleReason::Idle), "idle");
    assert_string_equal(to_string(LifecycleReason::None), "");
    assert_false(kOff.any());
    assert_true(policy(0, 0, 1).any());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheduled_expiry),
        cmocka_unit_test(test_active_max_duration),
        cmocka_unit_test(test_active_idle),
        cmocka_unit_test(test_active_without_started_at),
        cmocka_unit_test(test_closed_sessions),
        cmocka_unit_test(test_hostile_numbers),
        cmocka_unit_test(test_reason_names),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
