// plugin/protocol: client request parsing, and its refusals. The Admin API
// requests are parsed by common/admin_api (tests/unit/test_common_admin_api).
// Test bodies hold plain values only (a failing CMocka assertion longjmps);
// the helpers do the C++ work and return ints / bools.
#include <cstring>
#include <string>
#include <variant>

#include "plugin/protocol.hpp"

#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;
using namespace telemed::plugin;

namespace {

// 0 = accepted, else the error code; -1 if the test JSON itself is invalid.
int client_code(const char* text) {
    json_error_t err;
    Json body(json_loads(text, JSON_DECODE_ANY, &err));
    if (!body) return -1;
    auto p = parse_client_request(body.get());
    return p.ok() ? 0 : to_int(p.failure.code);
}

// True when the refusal text of `text` contains `needle`.
bool client_error_contains(const char* text, const char* needle) {
    json_error_t err;
    Json body(json_loads(text, JSON_DECODE_ANY, &err));
    auto p = parse_client_request(body.get());
    return !p.ok() && p.failure.text.find(needle) != std::string::npos;
}

// Parsed configure hints as "mid=source,..." ("" when none; "!" when refused).
std::string configure_hints(const char* text) {
    json_error_t err;
    Json body(json_loads(text, JSON_DECODE_ANY, &err));
    auto p = parse_client_request(body.get());
    if (!p.ok()) return "!";
    auto* c = std::get_if<ConfigureRequest>(&*p.value);
    if (!c) return "!";
    std::string out;
    for (const auto& h : c->hints) {
        if (!out.empty()) out += ",";
        out += h.mid + "=" + std::string(to_string(h.source));
    }
    return out;
}

// "kind:participant:media" of a moderation request ("!" when refused).
std::string moderation(const char* text) {
    json_error_t err;
    Json body(json_loads(text, JSON_DECODE_ANY, &err));
    auto p = parse_client_request(body.get());
    if (!p.ok()) return "!";
    if (auto* a = std::get_if<AdmitRequest>(&*p.value)) return std::string(a->deny ? "deny:" : "admit:") + a->participant_id;
    if (auto* k = std::get_if<ClientKickRequest>(&*p.value)) return "kick:" + k->participant_id;
    if (auto* m = std::get_if<MuteRequest>(&*p.value))
        return std::string(m->mute ? "mute:" : "unmute:") + (m->participant_id ? *m->participant_id : "self") + ":" +
               std::string(to_string(m->media));
    return "?";
}

// "result:camera:microphone" of a precheck request ("-" for an unset
// boolean, "!" when refused).
std::string precheck(const char* text) {
    json_error_t err;
    Json body(json_loads(text, JSON_DECODE_ANY, &err));
    auto p = parse_client_request(body.get());
    if (!p.ok()) return "!";
    auto* r = std::get_if<PrecheckRequest>(&*p.value);
    if (!r) return "?";
    auto b = [](const std::optional<bool>& v) { return v ? (*v ? "true" : "false") : "-"; };
    return std::string(to_string(r->precheck.result)) + ":" + b(r->precheck.camera) + ":" + b(r->precheck.microphone);
}

int null_body_code() {
    auto p = parse_client_request(nullptr);
    return p.ok() ? 0 : to_int(p.failure.code);
}

// A join body with a token of `n` characters.
int join_with_token_length(std::size_t n) {
    std::string body = "{\"request\":\"join\",\"token\":\"" + std::string(n, 'a') + "\"}";
    return client_code(body.c_str());
}

// A body padded to `n` bytes with an ignored-but-unknown field value.
bool oversized_body_is_refused_as_too_large() {
    std::string body = "{\"request\":\"leave\",\"pad\":\"" + std::string(kMaxMessageBytes, 'x') + "\"}";
    json_error_t err;
    Json j(json_loads(body.c_str(), 0, &err));
    auto p = parse_client_request(j.get());
    return !p.ok() && p.failure.code == ErrorCode::InvalidElement &&
           p.failure.text.find("too large") != std::string::npos;
}

// Session id from a valid join, or "" on refusal.
std::string join_session_id(const char* text) {
    json_error_t err;
    Json body(json_loads(text, 0, &err));
    auto p = parse_client_request(body.get());
    if (!p.ok()) return "";
    const auto* j = std::get_if<JoinRequest>(&*p.value);
    return j && j->session_id ? *j->session_id : "";
}

bool join_session_id_is(const char* text, const char* expected) { return join_session_id(text) == expected; }

bool is_leave(const char* text) {
    json_error_t err;
    Json body(json_loads(text, 0, &err));
    auto p = parse_client_request(body.get());
    return p.ok() && std::holds_alternative<LeaveRequest>(*p.value);
}

}  // namespace

static void client_body_must_be_object(void**) {
    assert_int_equal(client_code("[1,2]"), 4001);
    assert_int_equal(client_code("\"join\""), 4001);
    assert_int_equal(null_body_code(), 4001);
}

static void client_request_missing_or_unknown(void**) {
    assert_int_equal(client_code("{}"), 4002);
    assert_int_equal(client_code("{\"request\":7}"), 4002);
    assert_int_equal(client_code("{\"request\":\"publish_everything\"}"), 4002);
    assert_int_equal(client_code("{\"request\":\"JOIN\",\"token\":\"x\"}"), 4002);
}

static void join_elements_checked(void**) {
    assert_int_equal(client_code("{\"request\":\"join\"}"), 4003);
    assert_int_equal(client_code("{\"request\":\"join\",\"token\":42}"), 4003);
    assert_int_equal(client_code("{\"request\":\"join\",\"token\":null}"), 4003);
    assert_int_equal(client_code("{\"request\":\"join\",\"token\":\"\"}"), 4003);
    assert_int_equal(client_code("{\"request\":\"join\",\"token\":\"t\",\"extra\":1}"), 4003);
    assert_int_equal(client_code("{\"request\":\"join\",\"token\":\"t\",\"session_id\":\"nope\"}"), 4003);
    assert_int_equal(client_code("{\"request\":\"join\",\"token\":\"t\",\"session_id\":5}"), 4003);
    assert_int_equal(client_code("{\"request\":\"join\",\"token\":\"t\"}"), 0);
    assert_int_equal(
        client_code("{\"request\":\"join\",\"token\":\"t\",\"session_id\":\"11111111-1111-4111-8111-111111111111\"}"), 0);
}

static void join_token_length_bounded(void**) {
    assert_int_equal(join_with_token_length(kMaxTokenLength), 0);
    assert_int_equal(join_with_token_length(kMaxTokenLength + 1), 4003);
}

static void oversized_body_refused(void**) { assert_true(oversized_body_is_refused_as_too_large()); }

static void session_id_normalised_to_lower_case(void**) {
    assert_true(join_session_id_is(
        "{\"request\":\"join\",\"token\":\"t\",\"session_id\":\"ABCDEF01-2345-4678-9ABC-DEF012345678\"}",
        "abcdef01-2345-4678-9abc-def012345678"));
}

static void leave_takes_no_fields(void**) {
    assert_true(is_leave("{\"request\":\"leave\"}"));
    assert_int_equal(client_code("{\"request\":\"leave\",\"now\":true}"), 4003);
}

static void refusals_never_echo_input(void**) {
    assert_false(client_error_contains("{\"request\":\"join\",\"token\":\"t\",\"SECRETFIELD\":1}", "SECRETFIELD"));
    assert_false(client_error_contains("{\"request\":\"join\",\"token\":\"t\",\"session_id\":\"SECRETVALUE\"}",
                                       "SECRETVALUE"));
    assert_false(client_error_contains("{\"request\":\"SECRETREQ\"}", "SECRETREQ"));
    // ...but they do name our own field.
    assert_true(client_error_contains("{\"request\":\"join\",\"token\":\"t\",\"session_id\":\"x\"}", "session_id"));
}

static void configure_sources_checked(void**) {
    assert_string_equal(configure_hints(R"({"request":"configure"})").c_str(), "");
    assert_string_equal(
        configure_hints(R"({"request":"configure","sources":[{"mid":"0","source":"audio"},{"mid":"1","source":"screen"}]})")
            .c_str(),
        "0=audio,1=screen");
    // wrong types, unknown sources, duplicates, bad mids, too many, unknown fields
    assert_int_equal(client_code(R"({"request":"configure","sources":{}})"), 4003);
    assert_int_equal(client_code(R"({"request":"configure","sources":["0"]})"), 4003);
    assert_int_equal(client_code(R"({"request":"configure","sources":[{"mid":"0","source":"camera"}]})"), 4003);
    assert_int_equal(client_code(R"({"request":"configure","sources":[{"mid":"0"}]})"), 4003);
    assert_int_equal(client_code(R"({"request":"configure","sources":[{"mid":"0","source":"audio","x":1}]})"), 4003);
    assert_int_equal(
        client_code(R"({"request":"configure","sources":[{"mid":"0","source":"audio"},{"mid":"0","source":"video"}]})"),
        4003);
    assert_int_equal(
        client_code(R"({"request":"configure","sources":[{"mid":"0","source":"video"},{"mid":"1","source":"video"}]})"),
        4003);
    assert_int_equal(client_code(R"({"request":"configure","sources":[{"mid":"","source":"audio"}]})"), 4003);
    assert_int_equal(
        client_code(R"({"request":"configure","sources":[{"mid":"0123456789012345678901234567890123","source":"audio"}]})"),
        4003);
    assert_int_equal(client_code(R"({"request":"configure","sources":[{"mid":"a","source":"audio"},{"mid":"b","source":"video"},)"
                                 R"({"mid":"c","source":"screen"},{"mid":"d","source":"audio"},{"mid":"e","source":"audio"},)"
                                 R"({"mid":"f","source":"audio"},{"mid":"g","source":"audio"},{"mid":"h","source":"audio"},)"
                                 R"({"mid":"i","source":"audio"}]})"),
                     4003);
    assert_int_equal(client_code(R"({"request":"configure","publish":true})"), 4003);
}

static void moderation_requests_checked(void**) {
    assert_string_equal(moderation(R"({"request":"admit","participant_id":"AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA"})").c_str(),
                        "admit:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    assert_string_equal(moderation(R"({"request":"deny","participant_id":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"})").c_str(),
                        "deny:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    assert_string_equal(moderation(R"({"request":"kick","participant_id":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"})").c_str(),
                        "kick:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    assert_string_equal(moderation(R"({"request":"mute","media":"video"})").c_str(), "mute:self:video");
    assert_string_equal(
        moderation(R"({"request":"unmute","participant_id":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","media":"screen"})").c_str(),
        "unmute:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa:screen");
    assert_int_equal(client_code(R"({"request":"admit"})"), 4003);
    assert_int_equal(client_code(R"({"request":"admit","participant_id":"nope"})"), 4003);
    assert_int_equal(client_code(R"({"request":"kick","participant_id":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","reason":"x"})"),
                     4003);
    assert_int_equal(client_code(R"({"request":"mute"})"), 4003);
    assert_int_equal(client_code(R"({"request":"mute","media":"microphone"})"), 4003);
    assert_int_equal(client_code(R"({"request":"mute","media":1})"), 4003);
    assert_int_equal(client_code(R"({"request":"unmute","media":"audio","participant_id":5})"), 4003);
    assert_int_equal(client_code(R"({"request":"chat","text":"hi"})"), 0);  // client_id optional (common/chat)
    assert_int_equal(client_code(R"({"request":"chat","client_id":"c1"})"), 4003);  // text missing
    assert_int_equal(client_code(R"({"request":"chat","text":"hi","client_id":"c1"})"), 0);
    assert_int_equal(client_code(R"({"request":"chat_history","limit":5})"), 0);
    assert_int_equal(client_code(R"({"request":"chat_histories"})"), 4002);
}

static void precheck_checked(void**) {
    assert_string_equal(precheck(R"({"request":"precheck","result":"good","camera":true,"microphone":true})").c_str(),
                        "good:true:true");
    assert_string_equal(precheck(R"({"request":"precheck","result":"audio_only","camera":false})").c_str(),
                        "audio_only:false:-");
    assert_string_equal(precheck(R"({"request":"precheck","result":"cannot_connect"})").c_str(), "cannot_connect:-:-");
    assert_string_equal(precheck(R"({"request":"precheck","microphone":false,"result":"good"})").c_str(),
                        "good:-:false");
    // result required, one of three values, case-sensitive
    assert_int_equal(client_code(R"({"request":"precheck"})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":"GOOD"})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":"great"})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":""})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":1})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":null})"), 4003);
    // camera / microphone: booleans only (null, numbers and strings refused)
    assert_int_equal(client_code(R"({"request":"precheck","result":"good","camera":"yes"})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":"good","camera":1})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":"good","camera":null})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":"good","microphone":[true]})"), 4003);
    // strict: no other field, no jsep-like extras
    assert_int_equal(client_code(R"({"request":"precheck","result":"good","bandwidth":900})"), 4003);
    assert_int_equal(client_code(R"({"request":"precheck","result":"good","participant_id":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"})"),
                     4003);
    assert_int_equal(client_code(R"({"request":"PRECHECK","result":"good"})"), 4002);
    // refusals name our field, never the value
    assert_true(client_error_contains(R"({"request":"precheck","result":"SECRETVALUE"})", "result"));
    assert_false(client_error_contains(R"({"request":"precheck","result":"SECRETVALUE"})", "SECRETVALUE"));
    assert_true(client_error_contains(R"({"request":"precheck","result":"good","camera":"x"})", "camera"));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_body_must_be_object),
        cmocka_unit_test(client_request_missing_or_unknown),
        cmocka_unit_test(join_elements_checked),
        cmocka_unit_test(join_token_length_bounded),
        cmocka_unit_test(oversized_body_refused),
        cmocka_unit_test(session_id_normalised_to_lower_case),
        cmocka_unit_test(leave_takes_no_fields),
        cmocka_unit_test(refusals_never_echo_input),
        cmocka_unit_test(configure_sources_checked),
        cmocka_unit_test(moderation_requests_checked),
        cmocka_unit_test(precheck_checked),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
