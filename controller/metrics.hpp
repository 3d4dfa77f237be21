// Prometheus metrics: request counts and latency histograms per route
// (route = pattern, e.g. "/sessions/{id}"), lock-free on the request path.
#pragma once
#include <string>
#include <string_view>

namespace telemed {

class Metrics {
public:
    Metrics();
    ~Metrics();
    // route: the matched pattern, or "unmatched".
    void observe(std::string_view method, std::string_view route, int status, double seconds);
    // Text exposition format of everything observed so far.
    std::string render() const;
    struct Impl;
private:
    Impl* impl_;
};

}  // namespace telemed
