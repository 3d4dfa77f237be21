// Janus event handler posts (common/janus_events.hpp): the events recorded
// from a real sampleevh run (JANUS-NOTES §6 taxonomy), bad elements skipped
// and counted, whole-body bounds, and the quality grade and loss maths.
#include "common/janus_events.hpp"

#include <string>

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;
using namespace telemed::janus_events;

namespace {

constexpr const char* kRoom = "0b6f3c1e-7d4a-4c1b-9f55-2a4c8e9d1f00";
constexpr const char* kPid = "5e1c2d3b-aaaa-4bbb-8ccc-0123456789ab";

// A grouped post as sampleevh sends it (compact JSON, one array).
const std::string kGrouped =
    std::string("[") +
    R"({"emitter":"MyJanusInstance","type":256,"timestamp":1795480684000000,"event":{"status":"started"}},)"
    R"({"type":2,"timestamp":1795480684100000,"session_id":7984029268962072,"handle_id":4313449144084689,)"
    R"("event":{"name":"attached","plugin":"janus.plugin.telemed","opaque_id":"x"}},)"
    R"({"type":64,"timestamp":1795480684593734,"session_id":7984029268962072,"handle_id":4313449144084689,)"
    R"("event":{"plugin":"janus.plugin.telemed","data":{"event":"joined","room":")" +
    kRoom + R"(","participant_id":")" + kPid + R"("}}},)" +
    R"({"type":16,"subtype":6,"timestamp":1795480685000000,"session_id":7984029268962072,"handle_id":4313449144084689,)"
    R"("event":{"connection":"webrtcup"}},)"
    R"({"type":32,"subtype":3,"timestamp":1795480690000000,"session_id":7984029268962072,"handle_id":4313449144084689,)"
    R"("event":{"mid":"0","mindex":0,"media":"audio","codec":"opus","base":48000,"rtt":12,"lost":3,"lost-by-remote":0,)"
    R"("jitter-local":4,"jitter-remote":2,"in-link-quality":100,"in-media-link-quality":100,"out-link-quality":100,)"
    R"("out-media-link-quality":100,"packets-received":247,"packets-sent":250,"bytes-received":20000,)"
    R"("bytes-sent":21000,"bytes-received-lastsec":4000,"bytes-sent-lastsec":4000,"nacks-received":0,)"
    R"("nacks-sent":0,"retransmissions-received":0}},)"
    R"({"type":16,"subtype":6,"timestamp":1795480699000000,"session_id":7984029268962072,"handle_id":4313449144084689,)"
    R"("event":{"connection":"hangup","reason":"DTLS alert"}},)"
    R"({"type":16,"subtype":1,"timestamp":1795480699000001,"session_id":7984029268962072,"handle_id":4313449144084689,)"
    R"("event":{"ice":"failed"}},)"
    R"({"type":64,"timestamp":1795480699500000,"session_id":null,"handle_id":null,)"
    R"("event":{"plugin":"janus.plugin.telemed","data":{"event":"left","room":")" +
    kRoom + R"(","participant_id":")" + kPid + R"("}}},)" +
    R"({"type":2,"timestamp":1795480699600000,"session_id":7984029268962072,"handle_id":4313449144084689,)"
    R"("event":{"name":"detached","plugin":"janus.plugin.telemed"}})"
    "]";

void grouped_post(void**) {
    ParseResult r = parse_body(kGrouped);
    assert_int_equal(static_cast<int>(r.error), static_cast<int>(BodyError::None));
    assert_int_equal(r.received, 9);
    assert_int_equal(r.ignored, 2);  // core started, handle attached
    assert_int_equal(r.invalid, 0);
    assert_int_equal(r.events.size(), 7);

    const Event& joined = r.events[0];
    assert_true(joined.kind == Kind::Plugin);
    assert_true(joined.plugin == PluginEvent::Joined);
    assert_str_eq(joined.room, kRoom);
    assert_str_eq(joined.participant_id, kPid);
    assert_true(joined.handle_id == 4313449144084689ull);
    assert_true(joined.session_id == 7984029268962072ull);
    assert_true(joined.timestamp_us == 1795480684593734ll);

    assert_true(r.events[1].kind == Kind::WebrtcUp);
    const Event& st = r.events[2];
    assert_true(st.kind == Kind::Stats);
    assert_str_eq(st.stats.mid, "0");
    assert_false(st.stats.video);
    assert_int_equal(st.stats.lost, 3);
    assert_int_equal(st.stats.packets_received, 247);
    assert_int_equal(st.stats.packets_sent, 250);
    assert_int_equal(st.stats.jitter_local_ms, 4);
    assert_int_equal(st.stats.jitter_remote_ms, 2);
    assert_int_equal(st.stats.rtt_ms, 12);

    assert_true(r.events[3].kind == Kind::Hangup);
    assert_str_eq(r.events[3].reason, "DTLS alert");
    assert_true(r.events[4].kind == Kind::IceFailed);
    const Event& left = r.events[5];
    assert_true(left.kind == Kind::Plugin && left.plugin == PluginEvent::Left);
    assert_true(left.handle_id == 0 && left.session_id == 0);  // null ids
    assert_true(r.events[6].kind == Kind::Detached);
}

void single_object(void**) {
    ParseResult r = parse_body(R"({"type":16,"subtype":6,"session_id":1,"handle_id":2,"event":{"connection":"webrtcup"}})");
    assert_true(r.error == BodyError::None);
    assert_int_equal(r.received, 1);
    assert_int_equal(r.events.size(), 1);
    assert_true(r.events[0].kind == Kind::WebrtcUp);
    assert_true(r.events[0].handle_id == 2);
}

void bad_elements_skipped(void**) {
    const std::string body =
        std::string("[1, \"x\", null, {}, ") +
        R"({"type":"16","event":{}},)"                                              // type not an integer
        R"({"type":16,"subtype":6,"handle_id":-1,"event":{"connection":"webrtcup"}},)"  // negative id
        R"({"type":16,"subtype":6,"event":{"connection":"webrtcup"}},)"             // no handle
        R"({"type":16,"subtype":6,"handle_id":5,"event":{"connection":"hangup","reason":")" +
        std::string(65, 'a') + R"("}},)"                                            // reason too long
        R"({"type":16,"subtype":6,"handle_id":5,"event":{"connection":"hangup","reason":"a\u0001b"}},)"
        R"({"type":32,"subtype":3,"handle_id":5,"event":{"media":"audio","lost":"many"}},)"
        R"({"type":32,"subtype":3,"handle_id":5,"event":{"mid":"01234567890123456","media":"audio"}},)"
        R"({"type":64,"handle_id":5,"event":{"plugin":"janus.plugin.telemed","data":{"event":"joined","room":"nope","participant_id":")" +
        kPid + R"("}}},)" +
        R"({"type":64,"handle_id":5,"event":{"plugin":"janus.plugin.telemed","data":{"event":"joined","room":")" + kRoom +
        R"("}}},)"  // participant event without participant_id
        R"({"type":64,"handle_id":5,"event":{"plugin":"janus.plugin.videoroom","data":{"event":"joined"}}},)"  // ignored
        R"({"type":64,"handle_id":5,"event":{"plugin":"janus.plugin.telemed","data":{"event":"configured","room":")" +
        kRoom + R"("}}},)"  // unknown plugin event: ignored
        R"({"type":64,"event":{"plugin":"janus.plugin.telemed","data":{"event":"room_created","room":")" + kRoom +
        R"("}}},)"  // room event: kept
        R"({"type":16,"subtype":6,"handle_id":5,"event":{"connection":"hangup"}})"  // no reason: kept
        "]";
    ParseResult r = parse_body(body);
    assert_true(r.error == BodyError::None);
    assert_int_equal(r.received, 17);
    assert_int_equal(r.events.size(), 2);
    assert_int_equal(r.ignored, 2);
    assert_int_equal(r.invalid, 13);
    assert_true(r.events[0].kind == Kind::Plugin && r.events[0].plugin == PluginEvent::RoomCreated);
    assert_true(r.events[1].kind == Kind::Hangup && r.events[1].reason.empty());
}

void body_bounds(void**) {
    assert_true(parse_body("").error == BodyError::NotJson);
    assert_true(parse_body("garbage").error == BodyError::NotJson);
    assert_true(parse_body("[1,2").error == BodyError::NotJson);
    // Scalars at the top: refused (by the JSON parser already, or as neither
    // an event nor an array).
    assert_true(parse_body("42").error != BodyError::None);
    assert_true(parse_body("\"x\"").error != BodyError::None);
    assert_true(parse_body("null").error != BodyError::None);
    // Depth: 8 levels are fine, 9 are not (brackets inside strings do not count).
    assert_true(parse_body("[[[[[[[[]]]]]]]]").error == BodyError::None);
    assert_true(parse_body("[[[[[[[[[]]]]]]]]]").error == BodyError::TooDeep);
    assert_true(parse_body("[\"[[[[[[[[[[[[[[[[[[\"]").error == BodyError::None);
    assert_int_equal(nesting_depth("{\"a\":\"\\\"[[[[\"}", 8), 1);
    std::string deep(100000, '[');
    assert_true(parse_body(deep).error == BodyError::TooDeep);
    // Too many elements.
    std::string many = "[";
    for (std::size_t i = 0; i <= kMaxEvents; ++i) many += i ? ",{}" : "{}";
    many += "]";
    assert_true(parse_body(many).error == BodyError::TooManyEvents);
    // Too large.
    std::string big(kMaxBodyBytes + 1, ' ');
    assert_true(parse_body(big).error == BodyError::TooLarge);
}

void quality_grade(void**) {
    assert_true(grade(0.0, 0, 10) == Quality::Good);
    assert_true(grade(1.99, 29, 199) == Quality::Good);
    assert_true(grade(0.0, 0, -1) == Quality::Good);  // RTT unknown
    assert_true(grade(2.0, 0, 10) == Quality::Fair);
    assert_true(grade(0.0, 30, 10) == Quality::Fair);
    assert_true(grade(0.0, 0, 200) == Quality::Fair);
    assert_true(grade(7.99, 79, 399) == Quality::Fair);
    assert_true(grade(8.0, 0, 10) == Quality::Poor);
    assert_true(grade(0.0, 80, 10) == Quality::Poor);
    assert_true(grade(0.0, 0, 400) == Quality::Poor);
    assert_str_eq(to_string(Quality::Fair), "fair");
}

void loss_maths(void**) {
    Stats a;
    a.lost = 0;
    a.packets_received = 100;
    a.packets_sent = 100;
    assert_true(loss_pct(a) == 0.0);
    Stats b = a;
    b.lost = 10;                 // +10 lost
    b.packets_received = 190;    // +90 received -> 10 %
    b.packets_sent = 200;
    b.lost_by_remote = 5;        // 5 of 100 sent -> 5 %
    assert_true(loss_pct(a, b) > 9.99 && loss_pct(a, b) < 10.01);
    // Nothing moved.
    assert_true(loss_pct(b, b) == 0.0);
    // Counters went backwards (stream restarted): from the new sample alone.
    Stats c;
    c.lost = 1;
    c.packets_received = 99;
    assert_true(loss_pct(b, c) > 0.99 && loss_pct(b, c) < 1.01);
    // Never above 100.
    Stats d;
    d.lost_by_remote = 500;
    d.packets_sent = 10;
    assert_true(loss_pct(d) == 100.0);
}

void names(void**) {
    PluginEvent e;
    assert_true(parse_plugin_event("permissions_set", &e) && e == PluginEvent::PermissionsSet);
    assert_false(parse_plugin_event("Joined", &e));
    assert_str_eq(to_string(PluginEvent::Kicked), "kicked");
    assert_str_eq(to_string(Kind::IceFailed), "ice_failed");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grouped_post),  cmocka_unit_test(single_object), cmocka_unit_test(bad_elements_skipped),
        cmocka_unit_test(body_bounds),   cmocka_unit_test(quality_grade), cmocka_unit_test(loss_maths),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
