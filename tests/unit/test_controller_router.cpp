// Unit tests for controller/http/router.cpp: pattern matching, parameters,
// 404 vs 405 (with the allowed methods), exact paths, specificity, and
// refusal of malformed tables. The Router lives in CMocka state; checks go
// through describe(), which renders a match as plain text in a C buffer.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "controller/http/router.hpp"

// cmocka.h last: its macros clash with the C++ library.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::AppContext;
using telemed::BodySink;
using telemed::Lane;
using telemed::Request;
using telemed::Response;
using telemed::Route;
using telemed::Router;
using telemed::SinkFactory;

namespace {

char g_buf[1024];

Response ok_handler(const Request&, AppContext&) { return Response::no_content(); }

// "GET /x/{id} [a,b]" on a match, "405 DELETE,GET" / "404" otherwise.
const char* describe(const Router& r, const char* method, const char* path) {
    std::vector<std::string> params{"stale"};
    std::vector<std::string> allowed{"stale"};
    const telemed::Route* route = r.match(method, path, &params, &allowed);
    std::string out;
    if (route) {
        out = route->method + " " + route->pattern + " [";
        for (std::size_t i = 0; i < params.size(); ++i) out += (i ? "," : "") + params[i];
        out += "]";
        if (!allowed.empty()) out += " allowed-not-empty";
    } else if (!allowed.empty()) {
        out = "405 ";
        for (std::size_t i = 0; i < allowed.size(); ++i) out += (i ? "," : "") + allowed[i];
        if (!params.empty()) out += " params-not-empty";
    } else {
        out = "404";
        if (!params.empty()) out += " params-not-empty";
    }
    std::snprintf(g_buf, sizeof g_buf, "%s", out.c_str());
    return g_buf;
}

// 1 when Router::add throws std::invalid_argument for this entry.
int add_throws(const char* method, const char* pattern) {
    Router r;
    r.add("GET", "/sessions/{id}", true, ok_handler);
    try {
        r.add(method, pattern, true, ok_handler);
    } catch (const std::invalid_argument&) {
        return 1;
    }
    return 0;
}

int setup(void** state) {
    auto* r = new Router;
    // Deliberately registered with the parameter route before the literal one.
    r->add("GET", "/sessions/{id}", true, ok_handler);
    r->add("GET", "/sessions/export", true, ok_handler);
    r->add("POST", "/sessions", true, ok_handler);
    r->add("GET", "/sessions", true, ok_handler);
    r->add("POST", "/sessions/{id}/participants", true, ok_handler);
    r->add("DELETE", "/sessions/{id}/participants", true, ok_handler);
    r->add("DELETE", "/sessions/{id}/participants/{pid}", true, ok_handler);
    r->add("PATCH", "/sessions/{id}/participants/{pid}", true, ok_handler);
    r->add("GET", "/healthz", false, ok_handler);
    *state = r;
    return 0;
}

int teardown(void** state) {
    delete static_cast<Router*>(*state);
    return 0;
}

const Router& R(void** state) { return *static_cast<const Router*>(*state); }

void test_literal_and_params(void** state) {
    assert_string_equal(describe(R(state), "GET", "/healthz"), "GET /healthz []");
    assert_string_equal(describe(R(state), "GET", "/sessions"), "GET /sessions []");
    assert_string_equal(describe(R(state), "POST", "/sessions"), "POST /sessions []");
    assert_string_equal(describe(R(state), "GET", "/sessions/abc-1"), "GET /sessions/{id} [abc-1]");
    assert_string_equal(describe(R(state), "PATCH", "/sessions/S/participants/P"),
                        "PATCH /sessions/{id}/participants/{pid} [S,P]");
    assert_string_equal(describe(R(state), "DELETE", "/sessions/S/participants"),
                        "DELETE /sessions/{id}/participants [S]");
}

void test_unknown_path_is_404(void** state) {
    assert_string_equal(describe(R(state), "GET", "/nope"), "404");
    assert_string_equal(describe(R(state), "GET", "/"), "404");
    assert_string_equal(describe(R(state), "GET", ""), "404");
    assert_string_equal(describe(R(state), "GET", "healthz"), "404");
    assert_string_equal(describe(R(state), "GET", "/sessions/S/participants/P/extra"), "404");
    assert_string_equal(describe(R(state), "GET", "/HEALTHZ"), "404");  // case-sensitive
}

void test_trailing_slash_and_empty_segments_not_folded(void** state) {
    assert_string_equal(describe(R(state), "GET", "/healthz/"), "404");
    assert_string_equal(describe(R(state), "GET", "/sessions/"), "404");  // {id} never matches ""
    assert_string_equal(describe(R(state), "POST", "/sessions//participants"), "404");
    assert_string_equal(describe(R(state), "GET", "//sessions"), "404");
}

void test_pattern_with_trailing_slash_matches_only_itself(void**) {
    Router r;
    r.add("GET", "/app", false, ok_handler);
    r.add("GET", "/app/", false, ok_handler);
    r.add("GET", "/app/{file}", false, ok_handler);
    assert_string_equal(describe(r, "GET", "/app/"), "GET /app/ []");
    assert_string_equal(describe(r, "GET", "/app"), "GET /app []");
    assert_string_equal(describe(r, "GET", "/app/x.js"), "GET /app/{file} [x.js]");
    assert_string_equal(describe(r, "GET", "/app//"), "404");
    assert_string_equal(describe(r, "GET", "/app/x.js/"), "404");
    assert_string_equal(describe(r, "POST", "/app/"), "405 GET");
}

void test_wrong_method_is_405_with_sorted_allow(void** state) {
    assert_string_equal(describe(R(state), "PUT", "/sessions"), "405 GET,POST");
    assert_string_equal(describe(R(state), "GET", "/sessions/S/participants/P"), "405 DELETE,PATCH");
    assert_string_equal(describe(R(state), "GET", "/sessions/S/participants"), "405 DELETE,POST");
    assert_string_equal(describe(R(state), "POST", "/healthz"), "405 GET");
    assert_string_equal(describe(R(state), "get", "/healthz"), "405 GET");  // methods are case-sensitive
}

void test_literal_beats_parameter_regardless_of_order(void** state) {
    assert_string_equal(describe(R(state), "GET", "/sessions/export"), "GET /sessions/export []");
    assert_string_equal(describe(R(state), "GET", "/sessions/exports"), "GET /sessions/{id} [exports]");
}

void test_malformed_tables_refused(void**) {
    assert_int_equal(add_throws("GET", "/sessions/{id}"), 1);  // duplicate
    assert_int_equal(add_throws("GET", "sessions"), 1);
    assert_int_equal(add_throws("GET", ""), 1);
    assert_int_equal(add_throws("GET", "/a//b"), 1);
    assert_int_equal(add_throws("GET", "/a/"), 0);      // trailing '/': an exact literal path
    assert_int_equal(add_throws("GET", "/a//"), 1);
    assert_int_equal(add_throws("GET", "//"), 1);
    assert_int_equal(add_throws("GET", "/a/{}"), 1);
    assert_int_equal(add_throws("GET", "/a/{id"), 1);
    assert_int_equal(add_throws("GET", "/a/x{id}"), 1);
    assert_int_equal(add_throws("get", "/a"), 1);
    assert_int_equal(add_throws("", "/a"), 1);
    assert_int_equal(add_throws("POST", "/sessions/{id}"), 0);  // other method: fine
    assert_int_equal(add_throws("GET", "/sessions/{id}/x"), 0);
}

// inline_first is a first try before a lane: not for Lane::Inline routes
// (they run on the event thread already) nor for a streamed body (the sink
// has consumed it).
int add_inline_first_throws(Lane lane, bool with_sink) {
    Router r;
    SinkFactory sink;
    if (with_sink) sink = [](const Request&, AppContext&, std::optional<Response>*) { return std::unique_ptr<BodySink>(); };
    try {
        r.add(Route{.method = "GET", .pattern = "/a/{id}", .requires_auth = true, .lane = lane, .handler = ok_handler,
                    .participant_auth = false, .sink = sink,
                    .inline_first = [](const Request&, AppContext&) -> std::optional<Response> { return std::nullopt; }});
    } catch (const std::invalid_argument&) {
        return 1;
    }
    return r.routes().back().inline_first ? 0 : 2;
}

void test_inline_first_only_before_a_lane(void**) {
    assert_int_equal(add_inline_first_throws(Lane::Db, false), 0);
    assert_int_equal(add_inline_first_throws(Lane::Janus, false), 0);
    assert_int_equal(add_inline_first_throws(Lane::Inline, false), 1);
    assert_int_equal(add_inline_first_throws(Lane::Db, true), 1);
}

void test_routes_keep_registration_order_and_auth_flag(void** state) {
    const auto& routes = R(state).routes();
    assert_int_equal(routes.size(), 9);
    assert_string_equal(routes[0].pattern.c_str(), "/sessions/{id}");
    assert_true(routes[0].requires_auth);
    assert_string_equal(routes[8].pattern.c_str(), "/healthz");
    assert_false(routes[8].requires_auth);
}

// Suggestions for a 404, rendered as "a|b" in a C buffer ("" when none).
const char* suggest(const Router& r, const char* path, std::size_t max = 3) {
    std::string out;
    for (const std::string& p : r.suggest(path, max)) out += (out.empty() ? "" : "|") + p;
    std::snprintf(g_buf, sizeof g_buf, "%s", out.c_str());
    return g_buf;
}

const char* detail(const Router& r, const char* path) {
    std::snprintf(g_buf, sizeof g_buf, "%s", r.not_found_detail(path).c_str());
    return g_buf;
}

void test_typos_get_the_closest_route(void** state) {
    // One letter missing, at the end of a literal; {id} takes any segment.
    assert_string_equal(suggest(R(state), "/session"), "/sessions");
    assert_string_equal(suggest(R(state), "/sessions/9f0c/participant"), "/sessions/{id}/participants");
    assert_string_equal(suggest(R(state), "/sesions/9f0c"), "/sessions/{id}");
    assert_string_equal(suggest(R(state), "/Sessions"), "/sessions");
    assert_string_equal(suggest(R(state), "/healthz/"), "/healthz");
    // An extra segment after the longest pattern.
    assert_string_equal(suggest(R(state), "/sessions/S/participants/P/x"), "/sessions/{id}/participants/{pid}");
    // A tie: every closest pattern, in table order, at most `max`.
    assert_string_equal(suggest(R(state), "/sessions/export/"), "/sessions/{id}|/sessions/export");
    assert_string_equal(suggest(R(state), "/sessions/export/", 1), "/sessions/{id}");
    assert_string_equal(suggest(R(state), "/sessions/export/", 0), "");
}

void test_far_or_huge_paths_get_no_suggestion(void** state) {
    assert_string_equal(suggest(R(state), "/wp-admin"), "");
    assert_string_equal(suggest(R(state), "/nope"), "");
    // Ids are UUIDs: an unknown sub-resource is not "close" to anything.
    assert_string_equal(suggest(R(state), "/sessions/9f0c2d1e-5b6a-4c3d-8e7f-0a1b2c3d4e5f/everything"), "");
    assert_string_equal(suggest(R(state), "/sessions/S/participants/P/extra/more"), "");
    assert_string_equal(suggest(R(state), ""), "");
    assert_string_equal(suggest(R(state), "healthz"), "");
    // Bounded work: long or deep paths are not compared at all.
    std::string long_path = "/session" + std::string(Router::kSuggestMaxPathBytes, 's');
    assert_string_equal(suggest(R(state), long_path.c_str()), "");
    std::string deep;
    for (std::size_t i = 0; i <= Router::kSuggestMaxSegments; ++i) deep += "/sessions";
    assert_string_equal(suggest(R(state), deep.c_str()), "");
}

void test_not_found_detail_names_routes_and_methods(void** state) {
    assert_string_equal(detail(R(state), "/session"), "No resource at this path. Did you mean /sessions (POST, GET)?");
    assert_string_equal(detail(R(state), "/sessions/9f0c/participant"),
                        "No resource at this path. Did you mean /sessions/{id}/participants (POST, DELETE)?");
    assert_string_equal(detail(R(state), "/sessions/export/"),
                        "No resource at this path. Did you mean /sessions/{id} (GET) or /sessions/export (GET)?");
    assert_string_equal(detail(R(state), "/wp-admin"), "No resource at this path.");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literal_and_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_path_is_404, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailing_slash_and_empty_segments_not_folded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_method_is_405_with_sorted_allow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_literal_beats_parameter_regardless_of_order, setup, teardown),
        cmocka_unit_test(test_malformed_tables_refused),
        cmocka_unit_test(test_inline_first_only_before_a_lane),
        cmocka_unit_test(test_pattern_with_trailing_slash_matches_only_itself),
        cmocka_unit_test_setup_teardown(test_routes_keep_registration_order_and_auth_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typos_get_the_closest_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_far_or_huge_paths_get_no_suggestion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found_detail_names_routes_and_methods, setup, teardown),
    };
    return cmocka_run_group_tests_name("controller_router", tests, nullptr, nullptr);
}
