// Prometheus metrics (controller/metrics.hpp).
//
// Each (method, route) pair owns a Slot of atomics: a counter per HTTP status
// code 100..599 and a histogram. Slots are created before the server starts
// and kept in a vector sorted by (method, route); observe() binary-searches it
// without a lock and bumps relaxed atomics. render() reads the same atomics;
// a scrape concurrent with requests may see a request in the counter but not
// yet in the histogram, which Prometheus tolerates.
#include "controller/metrics.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdarg>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>

namespace telemed {
namespace {

constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;
constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
constexpr std::array<const char*, 12> kBoundText = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                                                    "0.05",   "0.1",   "0.25",   "0.5",   "1",    "2.5"};
constexpr std::array<std::string_view, 8> kMethods = {"GET",    "HEAD",    "POST", "PUT",
                                                      "PATCH",  "DELETE",  "OPTIONS", "OTHER"};
constexpr std::string_view kUnmatched = "unmatched";

struct Slot {
    std::string method;
    std::string route;
    std::array<std::atomic<uint64_t>, kMaxStatus - kMinStatus + 1> by_status{};
    std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets{};  // non-cumulative; last = +Inf
    std::atomic<uint64_t> sum_ns{0};
};

bool slot_less(const std::unique_ptr<Slot>& s, std::pair<std::string_view, std::string_view> key) {
    int c = std::string_view(s->method).compare(key.first);
    if (c != 0) return c < 0;
    return std::string_view(s->route).compare(key.second) < 0;
}

std::string_view fold_method(std::string_view m) {
    for (std::string_view k : kMethods)
        if (k == m) return k;
    return "OTHER";
}

void append_fmt(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void append_fmt(std::string* out, const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) out->append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}

}  // namespace

struct Metrics::Impl {
    std::mutex register_mutex;                // register_route only (startup)
    std::vector<std::unique_ptr<Slot>> slots;  // sorted by (method, route)
    std::atomic<uint64_t> scrape_errors{0};

    Slot* find(std::string_view method, std::string_view route) const {
        auto key = std::make_pair(method, route);
        auto it = std::lower_bound(slots.begin(), slots.end(), key, slot_less);
        if (it != slots.end() && (*it)->method == method && (*it)->route == route) return it->get();
        return nullptr;
    }
    void add(std::string_view method, std::string_view route) {
        std::lock_guard<std::mutex> lock(register_mutex);
        auto key = std::make_pair(method, route);
        auto it = std::lower_bound(slots.begin(), slots.end(), key, slot_less);
        if (it != slots.end() && (*it)->method == method && (*it)->route == route) return;
        auto slot = std::make_unique<Slot>();
        slot->method = std::string(method);
        slot->route = std::string(route);
        slots.insert(it, std::move(slot));
    }
};

Metrics::Metrics() : impl_(new Impl) {
    for (std::string_view m : kMethods) impl_->add(m, kUnmatched);
}

Metrics::~Metrics() { delete impl_; }

void Metrics::register_route(std::string_view method, std::string_view route) { impl_->add(method, route); }

void Metrics::observe(std::string_view method, std::string_view route, int status, double seconds) {
    Slot* slot = impl_->find(method, route);
    if (!slot) slot = impl_->find(fold_method(method), kUnmatched);
    if (!slot) return;  // unreachable: constructor registers every folded method
    if (status >= kMinStatus && status <= kMaxStatus)
        slot->by_status[static_cast<std::size_t>(status - kMinStatus)].fetch_add(1, std::memory_order_relaxed);
    if (!(seconds >= 0)) seconds = 0;  // also NaN
    std::size_t b = 0;
    while (b < kBounds.size() && seconds > kBounds[b]) ++b;
    slot->buckets[b].fetch_add(1, std::memory_order_relaxed);
    double ns = seconds * 1e9;
    slot->sum_ns.fetch_add(ns < 1.8e19 ? static_cast<uint64_t>(ns) : 0, std::memory_order_relaxed);
}

void Metrics::add_scrape_error() { impl_->scrape_errors.fetch_add(1, std::memory_order_relaxed); }

std::string prometheus_escape(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string Metrics::render() const {
    std::string out;
    out.reserve(4096);
    out += "# HELP telemed_http_requests_total HTTP requests answered, by method, route pattern and status.\n";
    out += "# TYPE telemed_http_requests_total counter\n";
    for (const auto& s : impl_->slots) {
        std::string labels = "method=\"" + prometheus_escape(s->method) + "\",route=\"" +
                             prometheus_escape(s->route) + "\"";
        for (std::size_t i = 0; i < s->by_status.size(); ++i) {
            uint64_t n = s->by_status[i].load(std::memory_order_relaxed);
            if (n == 0) continue;
            out += "telemed_http_requests_total{" + labels;
            append_fmt(&out, ",status=\"%d\"} %llu\n", static_cast<int>(i) + kMinStatus,
                       static_cast<unsigned long long>(n));
        }
    }
    out += "# HELP telemed_http_request_duration_seconds HTTP request latency, by method and route pattern.\n";
    out += "# TYPE telemed_http_request_duration_seconds histogram\n";
    for (const auto& s : impl_->slots) {
        std::array<uint64_t, kBounds.size() + 1> counts;
        uint64_t total = 0;
        for (std::size_t i = 0; i < counts.size(); ++i) {
            counts[i] = s->buckets[i].load(std::memory_order_relaxed);
            total += counts[i];
        }
        if (total == 0) continue;
        std::string labels = "method=\"" + prometheus_escape(s->method) + "\",route=\"" +
                             prometheus_escape(s->route) + "\"";
        uint64_t cumulative = 0;
        for (std::size_t i = 0; i < counts.size(); ++i) {
            cumulative += counts[i];
            out += "telemed_http_request_duration_seconds_bucket{" + labels + ",le=\"";
            out += i < kBounds.size() ? kBoundText[i] : "+Inf";
            append_fmt(&out, "\"} %llu\n", static_cast<unsigned long long>(cumulative));
        }
        double sum = static_cast<double>(s->sum_ns.load(std::memory_order_relaxed)) / 1e9;
        out += "telemed_http_request_duration_seconds_sum{" + labels;
        append_fmt(&out, "} %.9g\n", sum);
        out += "telemed_http_request_duration_seconds_count{" + labels;
        append_fmt(&out, "} %llu\n", static_cast<unsigned long long>(total));
    }
    out += "# HELP telemed_metrics_scrape_errors_total Scrapes of /metrics that could not read the database.\n";
    out += "# TYPE telemed_metrics_scrape_errors_total counter\n";
    append_fmt(&out, "telemed_metrics_scrape_errors_total %llu\n",
               static_cast<unsigned long long>(impl_->scrape_errors.load(std::memory_order_relaxed)));
    return out;
}

std::string render_sessions_gauge(const std::vector<std::pair<std::string, long>>& by_status) {
    std::string out;
    out += "# HELP telemed_sessions Sessions in the database, by status.\n";
    out += "# TYPE telemed_sessions gauge\n";
    for (const auto& [status, n] : by_status) {
        out += "telemed_sessions{status=\"" + prometheus_escape(status) + "\"}";
        append_fmt(&out, " %ld\n", n);
    }
    return out;
}

}  // namespace telemed
