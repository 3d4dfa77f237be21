// Janus event handler posts (common/janus_events.hpp), the body of
// POST /internal/v1/janus-events.
//
// Properties:
//  - a refused body names one reason, and an accepted one accounts for every
//    element: used + ignored + invalid == received <= kMaxEvents, and its
//    nesting depth is within kMaxDepth;
//  - every used event obeys the documented bounds: core events carry a
//    handle id, a hangup reason is printable ASCII of at most 64 bytes, a
//    stream mid at most 16 bytes, counters non-negative, plugin events a
//    canonical lower-case UUID room (and participant, except room events);
//  - loss percentages lie in [0, 100] and grade() is monotonic in each
//    figure;
//  - parsing is deterministic (the same body twice gives the same counts).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/janus_events.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed::janus_events;

namespace {

bool canonical_uuid(const std::string& s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

int rank(Quality q) { return q == Quality::Good ? 0 : q == Quality::Fair ? 1 : 2; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view body = fuzz::as_view(data, size);
    const ParseResult r = parse_body(body);
    if (r.error != BodyError::None) {
        FUZZ_CHECK(r.events.empty());
        FUZZ_CHECK(!to_string(r.error).empty());
        return 0;
    }
    FUZZ_CHECK(nesting_depth(body, kMaxDepth) <= kMaxDepth);
    FUZZ_CHECK(r.received <= kMaxEvents);
    FUZZ_CHECK(r.events.size() + r.ignored + r.invalid == r.received);
    const Stats zero;
    for (const Event& e : r.events) {
        switch (e.kind) {
            case Kind::Detached:
            case Kind::WebrtcUp:
            case Kind::IceFailed:
                FUZZ_CHECK(e.handle_id != 0);
                break;
            case Kind::Hangup:
                FUZZ_CHECK(e.handle_id != 0);
                FUZZ_CHECK(e.reason.size() <= kMaxReasonBytes);
                for (char c : e.reason) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
                break;
            case Kind::Stats: {
                FUZZ_CHECK(e.handle_id != 0);
                FUZZ_CHECK(e.stats.mid.size() <= kMaxMidBytes);
                FUZZ_CHECK(e.stats.lost >= 0 && e.stats.lost_by_remote >= 0 && e.stats.packets_received >= 0 &&
                           e.stats.packets_sent >= 0 && e.stats.jitter_local_ms >= 0 && e.stats.jitter_remote_ms >= 0);
                FUZZ_CHECK(e.stats.rtt_ms >= -1);
                const double a = loss_pct(e.stats), b = loss_pct(zero, e.stats), c = loss_pct(e.stats, zero);
                FUZZ_CHECK(a >= 0.0 && a <= 100.0 && b >= 0.0 && b <= 100.0 && c >= 0.0 && c <= 100.0);
                const int64_t jitter = e.stats.jitter_local_ms;
                const Quality q = grade(a, jitter, e.stats.rtt_ms);
                FUZZ_CHECK(rank(grade(a + 1.0, jitter, e.stats.rtt_ms)) >= rank(q));
                if (jitter < INT64_MAX - 10) FUZZ_CHECK(rank(grade(a, jitter + 10, e.stats.rtt_ms)) >= rank(q));
                if (e.stats.rtt_ms >= 0 && e.stats.rtt_ms < INT64_MAX - 10)
                    FUZZ_CHECK(rank(grade(a, jitter, e.stats.rtt_ms + 10)) >= rank(q));
                break;
            }
            case Kind::Plugin:
                FUZZ_CHECK(canonical_uuid(e.room));
                if (e.plugin == PluginEvent::RoomCreated || e.plugin == PluginEvent::RoomDestroyed)
                    FUZZ_CHECK(e.participant_id.empty() || canonical_uuid(e.participant_id));
                else
                    FUZZ_CHECK(canonical_uuid(e.participant_id));
                {
                    PluginEvent back;
                    FUZZ_CHECK(parse_plugin_event(to_string(e.plugin), &back) && back == e.plugin);
                }
                break;
        }
    }
    const ParseResult again = parse_body(body);
    FUZZ_CHECK(again.events.size() == r.events.size() && again.invalid == r.invalid && again.ignored == r.ignored);
    return 0;
}
