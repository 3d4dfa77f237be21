// Unit tests for controller/live/redis_keys.hpp: key names (docs/DESIGN.md
// "Redis") and the exact commands RedisTracker sends. C++ objects live only
// inside helpers that return plain text (a failing CMocka assert longjmps).
#include <cstdio>
#include <string>
#include <vector>

#include "controller/live/redis_keys.hpp"

// cmocka.h last: it defines macros (fail, …) that clash with the C++ library.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::LiveSession;
using telemed::redis::Command;
using telemed::redis::Keys;

namespace {

char g_buf[8192];

// One command per line, arguments separated by '|'.
const char* render(const std::vector<Command>& cmds) {
    std::string s;
    for (const Command& c : cmds) {
        for (std::size_t i = 0; i < c.size(); ++i) s += (i ? "|" : "") + c[i];
        s += "\n";
    }
    std::snprintf(g_buf, sizeof g_buf, "%s", s.c_str());
    return g_buf;
}

const char* text(const std::string& s) {
    std::snprintf(g_buf, sizeof g_buf, "%s", s.c_str());
    return g_buf;
}

const char kSid[] = "11111111-1111-4111-8111-111111111111";
const char kPid[] = "22222222-2222-4222-8222-222222222222";

}  // namespace

static void test_key_names(void** state) {
    (void)state;
    Keys k{"telemed:"};
    assert_string_equal(text(k.session(kSid)), "telemed:session:11111111-1111-4111-8111-111111111111");
    assert_string_equal(text(k.participants(kSid)),
                        "telemed:session:11111111-1111-4111-8111-111111111111:participants");
    assert_string_equal(text(k.active()), "telemed:sessions:active");
    assert_string_equal(text(k.open()), "telemed:sessions:open");
    assert_string_equal(text(k.scan_pattern()), "telemed:*");
    Keys other{"tm2/"};
    assert_string_equal(text(other.open()), "tm2/sessions:open");
}

static void test_glob_escape(void** state) {
    (void)state;
    assert_string_equal(text(telemed::redis::glob_escape("a*b?c[d]e\\f:")), "a\\*b\\?c\\[d\\]e\\\\f:");
    assert_string_equal(text(Keys{"x[1]*"}.scan_pattern()), "x\\[1\\]\\**");
}

static void test_participant_value(void** state) {
    (void)state;
    assert_string_equal(text(telemed::redis::participant_value("u-42", "doctor")),
                        "{\"user_id\":\"u-42\",\"role\":\"doctor\"}");
    // Quotes are escaped, not spliced into the JSON.
    assert_string_equal(text(telemed::redis::participant_value("a\"b", "patient")),
                        "{\"user_id\":\"a\\\"b\",\"role\":\"patient\"}");
    // Invalid UTF-8 cannot be encoded: empty, and no command is produced.
    assert_string_equal(text(telemed::redis::participant_value("\xff", "patient")), "");
    assert_string_equal(render(telemed::redis::participant_upserted_commands(Keys{"t:"}, "s", "p", "\xff", "x")),
                        "");
}

static void test_session_changed_active(void** state) {
    (void)state;
    assert_string_equal(
        render(telemed::redis::session_changed_commands(Keys{"t:"}, kSid, "active", "emergency",
                                                        "2026-01-02T03:04:05Z")),
        "HSET|t:session:11111111-1111-4111-8111-111111111111|status|active|kind|emergency|updated_at|"
        "2026-01-02T03:04:05Z\n"
        "SADD|t:sessions:active|11111111-1111-4111-8111-111111111111\n"
        "SADD|t:sessions:open|11111111-1111-4111-8111-111111111111\n");
}

static void test_session_changed_scheduled(void** state) {
    (void)state;
    // Scheduled: open but not active (SREM covers a session going back).
    assert_string_equal(
        render(telemed::redis::session_changed_commands(Keys{"t:"}, "s1", "scheduled", "consultation", "T")),
        "HSET|t:session:s1|status|scheduled|kind|consultation|updated_at|T\n"
        "SREM|t:sessions:active|s1\n"
        "SADD|t:sessions:open|s1\n");
}

static void test_session_closed(void** state) {
    (void)state;
    const char* expected =
        "DEL|t:session:s1|t:session:s1:participants\n"
        "SREM|t:sessions:active|s1\n"
        "SREM|t:sessions:open|s1\n";
    assert_string_equal(render(telemed::redis::session_closed_commands(Keys{"t:"}, "s1")), expected);
    // A status change to ended/cancelled (or anything not open) deletes too.
    assert_string_equal(render(telemed::redis::session_changed_commands(Keys{"t:"}, "s1", "ended", "k", "T")),
                        expected);
    assert_string_equal(render(telemed::redis::session_changed_commands(Keys{"t:"}, "s1", "cancelled", "k", "T")),
                        expected);
}

static void test_participants(void** state) {
    (void)state;
    assert_string_equal(
        render(telemed::redis::participant_upserted_commands(Keys{"t:"}, kSid, kPid, "u1", "observer")),
        "HSET|t:session:11111111-1111-4111-8111-111111111111:participants|"
        "22222222-2222-4222-8222-222222222222|{\"user_id\":\"u1\",\"role\":\"observer\"}\n");
    assert_string_equal(render(telemed::redis::participant_removed_commands(Keys{"t:"}, "s1", "p1")),
                        "HDEL|t:session:s1:participants|p1\n");
}

static const char* render_rebuild(std::size_t i) {
    std::vector<LiveSession> v(4);
    v[0] = {"s1", "active", "emergency", "2026-01-01T00:00:00Z", {{"p1", "u1", "doctor"}, {"p2", "u2", "patient"}}};
    v[1] = {"s2", "scheduled", "consultation", "", {}};
    v[2] = {"s3", "ended", "consultation", "", {{"p3", "u3", "doctor"}}};  // not open: nothing
    v[3] = {"s4", "cancelled", "follow_up", "", {}};                      // not open: nothing
    return render(telemed::redis::rebuild_session_commands(Keys{"t:"}, v[i], "NOW"));
}

// One session of a batched rebuild: its keys replaced, its id into the
// sets being built (never the live ones).
static void test_rebuild_session(void** state) {
    (void)state;
    assert_string_equal(render_rebuild(0),
                        "UNLINK|t:session:s1|t:session:s1:participants\n"
                        "HSET|t:session:s1|status|active|kind|emergency|updated_at|2026-01-01T00:00:00Z\n"
                        "SADD|t:rebuild:open|s1\n"
                        "SADD|t:rebuild:active|s1\n"
                        "HSET|t:session:s1:participants|p1|{\"user_id\":\"u1\",\"role\":\"doctor\"}|"
                        "p2|{\"user_id\":\"u2\",\"role\":\"patient\"}\n");
    assert_string_equal(render_rebuild(1),
                        "UNLINK|t:session:s2|t:session:s2:participants\n"
                        "HSET|t:session:s2|status|scheduled|kind|consultation|updated_at|NOW\n"
                        "SADD|t:rebuild:open|s2\n");
    assert_string_equal(render_rebuild(2), "");
    assert_string_equal(render_rebuild(3), "");
}

static void test_rebuild_swap(void** state) {
    (void)state;
    assert_string_equal(render(telemed::redis::rebuild_swap_commands(Keys{"t:"}, true, true)),
                        "UNLINK|t:sessions:open|t:sessions:active\n"
                        "RENAME|t:rebuild:open|t:sessions:open\n"
                        "RENAME|t:rebuild:active|t:sessions:active\n"
                        "SET|t:sessions:rebuilt_at|rebuilding\n");
    // No open (or no active) session: the set is only removed (RENAME of a
    // missing key would fail the transaction).
    assert_string_equal(render(telemed::redis::rebuild_swap_commands(Keys{"t:"}, true, false)),
                        "UNLINK|t:sessions:open|t:sessions:active\n"
                        "RENAME|t:rebuild:open|t:sessions:open\n"
                        "SET|t:sessions:rebuilt_at|rebuilding\n");
    assert_string_equal(render(telemed::redis::rebuild_swap_commands(Keys{"t:"}, false, false)),
                        "UNLINK|t:sessions:open|t:sessions:active\n"
                        "SET|t:sessions:rebuilt_at|rebuilding\n");
}

// Which keys the rebuild may delete: exactly the two per-session keys.
static void test_owned_session_id(void** state) {
    (void)state;
    Keys k{"t:"};
    assert_string_equal(text(k.owned_session_id("t:session:s1")), "s1");
    assert_string_equal(text(k.owned_session_id("t:session:s1:participants")), "s1");
    assert_string_equal(text(k.owned_session_id("t:session:s1:presence")), "");
    assert_string_equal(text(k.owned_session_id("t:session:s1:participants:x")), "");
    assert_string_equal(text(k.owned_session_id("t:session::participants")), "");
    assert_string_equal(text(k.owned_session_id("t:session:")), "");
    assert_string_equal(text(k.owned_session_id("t:sessions:open")), "");
    assert_string_equal(text(k.owned_session_id("t:presence:s1")), "");
    assert_string_equal(text(k.owned_session_id("u:session:s1")), "");
    assert_string_equal(text(k.owned_session_id("session:s1")), "");
    assert_string_equal(text(k.session_scan_pattern()), "t:session:*");
    assert_string_equal(text(Keys{"x*"}.session_scan_pattern()), "x\\*session:*");
    assert_string_equal(text(k.rebuilt_at()), "t:sessions:rebuilt_at");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_names),        cmocka_unit_test(test_glob_escape),
        cmocka_unit_test(test_participant_value), cmocka_unit_test(test_session_changed_active),
        cmocka_unit_test(test_session_changed_scheduled), cmocka_unit_test(test_session_closed),
        cmocka_unit_test(test_participants),     cmocka_unit_test(test_rebuild_session),
        cmocka_unit_test(test_rebuild_swap),     cmocka_unit_test(test_owned_session_id),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
