// Unit tests for the pure parts of controller/clients/janus_admin.cpp: building the
// message_plugin body and mapping Janus Admin replies to JanusAdmin::Result.
// C++ objects live only inside helpers that return plain text (a failing
// CMocka assert longjmps past destructors).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "controller/clients/janus_admin.hpp"

// cmocka.h last: it defines macros (fail, …) that clash with the C++ library.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::JanusAdmin;

namespace {

char g_buf[4096];

// "ok=<0|1> unreachable=<0|1> plugin_error=<n> error=<text> response=<json|null>"
const char* parse(const char* body, const char* tx = "tx1") {
    JanusAdmin::Result r = JanusAdmin::parse_message_plugin_reply(body, tx);
    char* resp = r.response ? json_dumps(r.response.get(), JSON_COMPACT | JSON_SORT_KEYS) : nullptr;
    std::snprintf(g_buf, sizeof g_buf, "ok=%d unreachable=%d plugin_error=%d error=%s response=%s", r.ok ? 1 : 0,
                  r.unreachable ? 1 : 0, r.plugin_error, r.error.c_str(), resp ? resp : "null");
    std::free(resp);
    return g_buf;
}

}  // namespace

static void test_success(void** state) {
    (void)state;
    assert_string_equal(
        parse(R"({"janus":"success","transaction":"tx1","response":{"telemed":"created","room":"r1"}})"),
        R"(ok=1 unreachable=0 plugin_error=0 error= response={"room":"r1","telemed":"created"})");
    // No transaction in the reply is accepted.
    assert_string_equal(parse(R"({"janus":"success","response":{}})"),
                        "ok=1 unreachable=0 plugin_error=0 error= response={}");
}

static void test_plugin_error(void** state) {
    (void)state;
    assert_string_equal(
        parse(R"({"janus":"success","transaction":"tx1","response":{"telemed":"error","error_code":427,"error":"x"}})"),
        R"(ok=0 unreachable=0 plugin_error=427 error=plugin error 427 response={"error":"x","error_code":427,"telemed":"error"})");
    // A plugin error without a usable code is a protocol failure.
    assert_string_equal(parse(R"({"janus":"success","response":{"telemed":"error"}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=plugin error without a valid error_code response=null");
    assert_string_equal(parse(R"({"janus":"success","response":{"telemed":"error","error_code":"427"}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=plugin error without a valid error_code response=null");
}

static void test_janus_error(void** state) {
    (void)state;
    assert_string_equal(
        parse(R"({"janus":"error","transaction":"tx1","error":{"code":403,"reason":"Unauthorized request"}})"),
        "ok=0 unreachable=1 plugin_error=0 error=janus error 403 response=null");
    assert_string_equal(parse(R"({"janus":"error","error":{"code":460,"reason":"No such plugin"}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=janus error 460 response=null");
    assert_string_equal(parse(R"({"janus":"error"})"),
                        "ok=0 unreachable=1 plugin_error=0 error=janus error response=null");
}

static void test_malformed(void** state) {
    (void)state;
    assert_string_equal(parse("not json"), "ok=0 unreachable=1 plugin_error=0 error=invalid JSON from Janus response=null");
    assert_string_equal(parse("[1]"), "ok=0 unreachable=1 plugin_error=0 error=invalid JSON from Janus response=null");
    assert_string_equal(parse(R"({"janus":"success","response":{}} x)"),
                        "ok=0 unreachable=1 plugin_error=0 error=invalid JSON from Janus response=null");
    assert_string_equal(parse(R"({"janus":"success","janus":"error","response":{}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=invalid JSON from Janus response=null");
    assert_string_equal(parse(R"({"janus":"ack","transaction":"tx1"})"),
                        "ok=0 unreachable=1 plugin_error=0 error=unexpected Janus reply response=null");
    assert_string_equal(parse(R"({"janus":"success","response":[1]})"),
                        "ok=0 unreachable=1 plugin_error=0 error=Janus reply without a response object response=null");
    assert_string_equal(parse(R"({"janus":"success","transaction":"other","response":{}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=reply for another transaction response=null");
    assert_string_equal(parse(R"({"janus":"success","transaction":7,"response":{}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=reply for another transaction response=null");
}

static void test_ping_reply(void** state) {
    (void)state;
    assert_true(JanusAdmin::parse_ping_reply(R"({"janus":"pong","transaction":"t9"})", "t9"));
    assert_true(JanusAdmin::parse_ping_reply(R"({"janus":"pong"})", "t9"));
    assert_false(JanusAdmin::parse_ping_reply(R"({"janus":"pong","transaction":"t8"})", "t9"));
    assert_false(JanusAdmin::parse_ping_reply(R"({"janus":"error","transaction":"t9"})", "t9"));
    assert_false(JanusAdmin::parse_ping_reply("pong", "t9"));
}

// Body as sent, keys sorted; and the request's reference count afterwards.
static const char* build(const char* request_json, int* refcount_after) {
    json_t* req = json_loads(request_json, 0, nullptr);
    std::string out = "null";
    {
        telemed::Json body = JanusAdmin::build_message_plugin(req, "s3cret", "tx5");
        if (body) {
            char* s = json_dumps(body.get(), JSON_COMPACT | JSON_SORT_KEYS);
            out = s;
            std::free(s);
        }
    }
    *refcount_after = req ? static_cast<int>(req->refcount) : -1;
    json_decref(req);
    std::snprintf(g_buf, sizeof g_buf, "%s", out.c_str());
    return g_buf;
}

static void test_build_body(void** state) {
    (void)state;
    int refs = 0;
    assert_string_equal(build(R"({"request":"create_room","room":"r1"})", &refs),
                        R"({"admin_secret":"s3cret","janus":"message_plugin","plugin":"janus.plugin.telemed",)"
                        R"("request":{"request":"create_room","room":"r1"},"transaction":"tx5"})");
    assert_int_equal(refs, 1);  // borrowed: the body released its reference
    assert_string_equal(build("[1,2]", &refs), "null");  // only objects are sent
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success),   cmocka_unit_test(test_plugin_error), cmocka_unit_test(test_janus_error),
        cmocka_unit_test(test_malformed), cmocka_unit_test(test_ping_reply),   cmocka_unit_test(test_build_body),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
