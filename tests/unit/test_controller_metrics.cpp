// Unit tests for controller/metrics.cpp: Prometheus text rendering (counter
// per status, cumulative histogram buckets with +Inf == _count, _sum),
// fallback of unregistered routes and odd methods to "unmatched", the
// sessions gauge, escaping, and exact counts under concurrent observe().
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "controller/metrics.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::Metrics;

namespace {

std::string g_text;  // last rendering (a global: survives a failed assert)

int setup(void** state) {
    auto* m = new Metrics;
    m->register_route("GET", "/healthz");
    m->register_route("POST", "/sessions");
    m->register_route("GET", "/sessions/{id}");
    *state = m;
    return 0;
}

int teardown(void** state) {
    delete static_cast<Metrics*>(*state);
    return 0;
}

Metrics& M(void** state) { return *static_cast<Metrics*>(*state); }

void render(void** state) { g_text = M(state).render(); }

bool has_line(const char* line) {
    std::string needle = std::string("\n") + line + "\n";
    return ("\n" + g_text).find(needle) != std::string::npos;
}

int count_prefix(const char* prefix) {
    int n = 0;
    std::size_t pos = 0;
    std::string text = "\n" + g_text;
    std::string needle = std::string("\n") + prefix;
    while ((pos = text.find(needle, pos)) != std::string::npos) {
        ++n;
        ++pos;
    }
    return n;
}

void test_counter_per_status(void** state) {
    M(state).observe("GET", "/healthz", 200, 0.0001);
    M(state).observe("GET", "/healthz", 200, 0.0001);
    M(state).observe("POST", "/sessions", 201, 0.01);
    M(state).observe("POST", "/sessions", 422, 0.01);
    render(state);
    assert_true(has_line("# TYPE telemed_http_requests_total counter"));
    assert_true(has_line("telemed_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"));
    assert_true(has_line("telemed_http_requests_total{method=\"POST\",route=\"/sessions\",status=\"201\"} 1"));
    assert_true(has_line("telemed_http_requests_total{method=\"POST\",route=\"/sessions\",status=\"422\"} 1"));
    // Nothing observed: no series.
    assert_int_equal(count_prefix("telemed_http_requests_total{method=\"GET\",route=\"/sessions/{id}\""), 0);
}

void test_histogram_buckets_are_cumulative(void** state) {
    M(state).observe("GET", "/sessions/{id}", 200, 0.0004);  // le 0.0005
    M(state).observe("GET", "/sessions/{id}", 200, 0.0005);  // le 0.0005 (inclusive)
    M(state).observe("GET", "/sessions/{id}", 200, 0.003);   // le 0.005
    M(state).observe("GET", "/sessions/{id}", 404, 0.7);     // le 1
    M(state).observe("GET", "/sessions/{id}", 500, 9.0);     // +Inf only
    render(state);
    const char* L = "telemed_http_request_duration_seconds_bucket{method=\"GET\",route=\"/sessions/{id}\",le=";
    char line[256];
    struct { const char* le; int n; } expect[] = {
        {"0.0005", 2}, {"0.001", 2}, {"0.0025", 2}, {"0.005", 3}, {"0.01", 3}, {"0.025", 3}, {"0.05", 3},
        {"0.1", 3},    {"0.25", 3},  {"0.5", 3},    {"1", 4},     {"2.5", 4},  {"+Inf", 5},
    };
    for (const auto& e : expect) {
        std::snprintf(line, sizeof line, "%s\"%s\"} %d", L, e.le, e.n);
        assert_true(has_line(line));
    }
    assert_int_equal(count_prefix(L), 13);
    assert_true(has_line("# TYPE telemed_http_request_duration_seconds histogram"));
    assert_true(
        has_line("telemed_http_request_duration_seconds_count{method=\"GET\",route=\"/sessions/{id}\"} 5"));
    const char* sum_prefix = "telemed_http_request_duration_seconds_sum{method=\"GET\",route=\"/sessions/{id}\"} ";
    std::size_t at = g_text.find(sum_prefix);
    assert_true(at != std::string::npos);
    double sum = std::strtod(g_text.c_str() + at + std::strlen(sum_prefix), nullptr);
    assert_true(sum > 9.7038 && sum < 9.7040);
}

void test_unregistered_routes_and_methods_fold_to_unmatched(void** state) {
    M(state).observe("GET", "/no/such/route", 404, 0.001);
    M(state).observe("GET", "unmatched", 404, 0.001);
    M(state).observe("BREW", "unmatched", 405, 0.001);
    M(state).observe("DELETE", "/healthz", 405, 0.001);  // registered route, unregistered method
    render(state);
    assert_true(has_line("telemed_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 2"));
    assert_true(has_line("telemed_http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"405\"} 1"));
    assert_true(has_line("telemed_http_requests_total{method=\"DELETE\",route=\"unmatched\",status=\"405\"} 1"));
    assert_int_equal(count_prefix("telemed_http_requests_total{method=\"BREW\""), 0);
    assert_int_equal(count_prefix("telemed_http_requests_total{method=\"GET\",route=\"/no/such/route\""), 0);
}

void test_scrape_errors_counter(void** state) {
    render(state);
    assert_true(has_line("# TYPE telemed_metrics_scrape_errors_total counter"));
    assert_true(has_line("telemed_metrics_scrape_errors_total 0"));
    M(state).add_scrape_error();
    M(state).add_scrape_error();
    render(state);
    assert_true(has_line("telemed_metrics_scrape_errors_total 2"));
}

void test_sessions_gauge_and_escaping(void**) {
    std::vector<std::pair<std::string, long>> by_status = {
        {"scheduled", 3}, {"active", 1}, {"ended", 0}, {"cancelled", 12}};
    g_text = telemed::render_sessions_gauge(by_status);
    assert_true(has_line("# TYPE telemed_sessions gauge"));
    assert_true(has_line("telemed_sessions{status=\"scheduled\"} 3"));
    assert_true(has_line("telemed_sessions{status=\"active\"} 1"));
    assert_true(has_line("telemed_sessions{status=\"ended\"} 0"));
    assert_true(has_line("telemed_sessions{status=\"cancelled\"} 12"));
    g_text = telemed::prometheus_escape("a\"b\\c\nd");
    assert_string_equal(g_text.c_str(), "a\\\"b\\\\c\\nd");
}

void test_every_line_is_comment_or_sample(void** state) {
    M(state).observe("GET", "/healthz", 200, 0.002);
    render(state);
    assert_true(!g_text.empty() && g_text.back() == '\n');
    std::size_t start = 0;
    while (start < g_text.size()) {
        std::size_t end = g_text.find('\n', start);
        std::string line = g_text.substr(start, end - start);
        bool ok = line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0 ||
                  (line.rfind("telemed_", 0) == 0 && line.find(' ') != std::string::npos);
        if (!ok) fail_msg("bad exposition line: %s", line.c_str());
        start = end + 1;
    }
}

void test_concurrent_observe_counts_exactly(void** state) {
    constexpr int kThreads = 4;
    constexpr int kEach = 50000;
    Metrics& m = M(state);
    {
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&m, t] {
                for (int i = 0; i < kEach; ++i)
                    m.observe(t % 2 ? "GET" : "POST", t % 2 ? "/healthz" : "/sessions", 200, 0.0001 * (i % 7));
            });
        for (auto& th : threads) th.join();
    }
    render(state);
    assert_true(has_line("telemed_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 100000"));
    assert_true(has_line("telemed_http_requests_total{method=\"POST\",route=\"/sessions\",status=\"200\"} 100000"));
    assert_true(has_line(
        "telemed_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 100000"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counter_per_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_histogram_buckets_are_cumulative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unregistered_routes_and_methods_fold_to_unmatched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scrape_errors_counter, setup, teardown),
        cmocka_unit_test(test_sessions_gauge_and_escaping),
        cmocka_unit_test_setup_teardown(test_every_line_is_comment_or_sample, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_observe_counts_exactly, setup, teardown),
    };
    return cmocka_run_group_tests_name("controller_metrics", tests, nullptr, nullptr);
}
