// Prometheus metrics: request counts and latency histograms per route
// (route = pattern, e.g. "/sessions/{id}"), lock-free on the request path.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telemed {

class Metrics {
public:
    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Pre-registers a (method, route) slot. Call for every route of the
    // router table BEFORE the server starts: observe() only reads the slot
    // table, without a lock. Registering the same pair twice is a no-op.
    void register_route(std::string_view method, std::string_view route);

    // route: the matched pattern, or "unmatched". Lock-free, no allocation:
    // atomics in the pre-registered slot. Pairs that were not registered are
    // counted under ("<method>", "unmatched"), with methods other than
    // GET/HEAD/POST/PUT/PATCH/DELETE/OPTIONS folded into "OTHER".
    void observe(std::string_view method, std::string_view route, int status, double seconds);

    // /metrics could not read the database (telemed_metrics_scrape_errors_total).
    void add_scrape_error();

    // Text exposition format (0.0.4) of everything observed so far:
    // telemed_http_requests_total, telemed_http_request_duration_seconds,
    // telemed_metrics_scrape_errors_total.
    std::string render() const;
    struct Impl;
private:
    Impl* impl_;
};

// The telemed_sessions{status} gauge family for db::sessions_by_status().
std::string render_sessions_gauge(const std::vector<std::pair<std::string, long>>& by_status);

// Prometheus label value escaping (\\, \", \n).
std::string prometheus_escape(std::string_view value);

}  // namespace telemed
