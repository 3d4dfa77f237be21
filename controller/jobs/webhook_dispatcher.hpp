// Webhook dispatcher (docs/DESIGN.md "Webhooks", docs/API.md "Webhooks"):
// delivers every outbox event to each of webhook_urls as a Standard Webhook
// (common/webhook.hpp), at least once, in order per session.
//
// webhook_workers threads (never an HTTP lane), each with its own libcurl
// easy handle (kept-alive connections), loop:
//  1. fan-out (one short transaction; one controller at a time through an
//     advisory lock): outbox rows not fanned out yet -> one pending
//     webhook_deliveries row per configured URL, outbox.fanned_out_at set.
//  2. claim (one short transaction): up to kClaimBatch due pending
//     deliveries, FOR UPDATE SKIP LOCKED, none with an earlier pending
//     delivery of its session to its endpoint; attempts + 1, leased for
//     webhook_lease_s. A delivery whose lease ran out (its controller died)
//     is due again.
//  3. POST each, in outbox order, outside any transaction, each within
//     webhook_timeout_ms, and only while that POST can end before the lease
//     does (the rest are released unsent): two controllers never send one
//     delivery at the same time.
//  4. record (one transaction): 2xx -> delivered (outbox.delivered_at once
//     every endpoint has it); else pending again after a full-jitter backoff,
//     or dead after webhook_max_attempts attempts or webhook_max_age_s.
// Patient/Doctor Service status updates (docs/INTEGRATIONS.md) use the same
// machinery: with directory_status_enabled(), fan-out also makes a delivery
// to the pseudo-endpoint "directory:<profile>:<doctor_service_url>" for the
// session.started|ended|cancelled events of sessions with an external_ref,
// and a worker sends those as the profile's request (json: POST
// .../appointments/{external_ref}/status; fhir: PATCH .../Encounter/{ref},
// JSON Patch) instead of a Standard Webhook. Same ordering, retries, dead
// letters (GET /outbox) and redelivery. The dispatcher runs when webhooks
// or the status updates are on.
// Idle, a worker polls every kIdlePoll. A crash between a 2xx and step 4
// sends the event again later with the same webhook-id: receivers
// deduplicate on it.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/config.hpp"

namespace telemed {
namespace db { class Pool; }

class WebhookDispatcher {
public:
    WebhookDispatcher(db::Pool& pool, const ControllerConfig& cfg);
    ~WebhookDispatcher();  // stop()
    void start();          // webhook_workers threads; no-op unless webhooks or directory status updates are on
    void stop();           // ends the POSTs in flight (aborted), releases unsent claims, joins

    // Prometheus families of this process's deliveries:
    // telemed_webhook_attempts_total{outcome="delivered|failed"},
    // telemed_webhook_dead_total, telemed_webhook_delivery_lag_seconds
    // (histogram: outbox row's transaction -> 2xx recorded).
    std::string render_metrics() const;

private:
    class Worker;
    void loop(unsigned index);

    db::Pool& pool_;
    const ControllerConfig& cfg_;
    std::vector<std::thread> threads_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::atomic<bool> stop_{false};

public:
    // Counters shared by the workers (relaxed atomics).
    struct Stats {
        static constexpr std::size_t kBuckets = 12;
        std::atomic<uint64_t> delivered{0}, failed{0}, dead{0};
        std::atomic<uint64_t> lag_buckets[kBuckets + 1]{};  // non-cumulative; last = +Inf
        std::atomic<uint64_t> lag_sum_us{0};
    };

private:
    Stats stats_;
};

}  // namespace telemed
