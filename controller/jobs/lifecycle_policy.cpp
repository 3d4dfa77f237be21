// controller/jobs/lifecycle_policy.hpp.
#include "controller/jobs/lifecycle_policy.hpp"

namespace telemed {
namespace {

constexpr int64_t kMicros = 1000000;
// Limits come from the configuration (bounded there); clamped here as well so
// that no input can overflow the arithmetic below.
constexpr int64_t kMaxLimitS = int64_t{100} * 365 * 86400;

// now >= since + limit_s, without overflow; false when the limit is off.
bool elapsed(int64_t now_us, int64_t since_us, int64_t limit_s) {
    if (limit_s <= 0) return false;
    if (limit_s > kMaxLimitS) limit_s = kMaxLimitS;
    // Both are Unix microseconds from Postgres (within +-300k years): their
    // difference fits in int64; a `since` in the future is not elapsed.
    if (since_us > now_us) return false;
    return now_us - since_us >= limit_s * kMicros;
}

}  // namespace

LifecycleDecision decide_lifecycle(const LifecyclePolicy& p, const LifecycleFacts& f) {
    switch (f.status) {
    case SessionStatus::Scheduled: {
        const int64_t due_from = f.scheduled_at_us.value_or(f.created_at_us);
        if (elapsed(f.now_us, due_from, p.expire_after_s))
            return {LifecycleAction::Cancel, LifecycleReason::Expired};
        return {};
    }
    case SessionStatus::Active:
        if (!f.started_at_us) return {};  // cannot happen (CHECK sessions_active_started): deny
        if (elapsed(f.now_us, *f.started_at_us, p.max_duration_s))
            return {LifecycleAction::End, LifecycleReason::MaxDuration};
        // Seen empty for empty_for_us: "since" 0 on that clock.
        if (f.occupancy == Occupancy::Empty && elapsed(f.empty_for_us, 0, p.idle_end_s))
            return {LifecycleAction::End, LifecycleReason::Idle};
        return {};
    case SessionStatus::Ended:
    case SessionStatus::Cancelled:
        return {};
    }
    return {};
}

const char* to_string(LifecycleReason r) {
    switch (r) {
    case LifecycleReason::Expired: return "expired";
    case LifecycleReason::MaxDuration: return "max_duration";
    case LifecycleReason::Idle: return "idle";
    case LifecycleReason::None: break;
    }
    return "";
}

}  // namespace telemed
