// Webhook dispatcher (controller/jobs/webhook_dispatcher.hpp).
#include "controller/jobs/webhook_dispatcher.hpp"

#include <curl/curl.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

#include "common/curl_raii.hpp"
#include "common/webhook.hpp"
#include "controller/clients/directory_profile.hpp"
#include "controller/db/pool.hpp"
#include "controller/db/txn.hpp"
#include "controller/db/webhooks_repo.hpp"
#include "controller/log.hpp"
#include "controller/routes/join_grant.hpp"

namespace telemed {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kClaimBatch = 64;      // deliveries per claim (one per session and endpoint at most)
constexpr int kFanOutBatch = 500;    // outbox rows per fan-out transaction
constexpr std::chrono::milliseconds kIdlePoll{50};
// A POST is started only when it can end this long before the lease does.
constexpr std::chrono::milliseconds kLeaseMargin{1000};

constexpr std::array<double, WebhookDispatcher::Stats::kBuckets> kLagBounds = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                               1,    2.5,   5,    10,  30,   60};
constexpr std::array<const char*, WebhookDispatcher::Stats::kBuckets> kLagText = {
    "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60"};

std::once_flag g_curl_once;

std::string short_what(const std::exception& e) {
    std::string w(e.what());
    return w.substr(0, w.find('\n')).substr(0, 160);
}

int64_t unix_micros_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

size_t discard_body(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

int on_progress(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<std::atomic<bool>*>(stop)->load() ? 1 : 0;  // non-zero aborts the transfer
}

struct Outcome {
    int64_t id = 0;
    int attempt = 0;
    int status = 0;     // HTTP status, 0 = none
    std::string error;  // ours: curl's error kind or "HTTP <status>"
    bool ok = false;
    bool sent = false;  // false: released unsent
    bool permanent = false;  // a request that can never be made: dead at once
    int64_t event_created_at = 0;
};

}  // namespace

// One thread's HTTP client: one easy handle, so its kept-alive connections
// to the receivers are reused from one POST to the next.
class WebhookDispatcher::Worker {
public:
    Worker(const ControllerConfig& cfg, std::atomic<bool>& stop) : cfg_(cfg), stop_(stop), h_(curl_easy_init()) {}

    // POSTs one delivery; fills status / error / ok.
    void post(const db::ClaimedDelivery& d, Outcome* out) {
        if (!h_) {
            out->error = "libcurl unavailable";
            return;
        }
        if (std::optional<directory::StatusEndpoint> ep = directory::parse_status_endpoint(d.endpoint)) {
            send_status(*ep, d, out);
            return;
        }
        Json with_invite = invite_payload(d);
        const std::string body = webhook::body(d.topic, d.occurred_at, with_invite ? with_invite.get() : d.payload.get());
        if (body.empty()) {
            out->error = "body could not be built";
            return;
        }
        const int64_t ts = unix_micros_now() / 1000000;
        const std::string id_h = "webhook-id: " + d.event_id;
        const std::string ts_h = "webhook-timestamp: " + std::to_string(ts);
        const std::string sig_h = "webhook-signature: " + webhook::sign(cfg_.webhook_key, d.event_id, ts, body);
        std::optional<CurlSlist> headers = make_headers({"Content-Type: application/json", "Expect:",
                                                         "User-Agent: telemed-controller", id_h.c_str(), ts_h.c_str(),
                                                         sig_h.c_str()});
        if (!headers) {
            out->error = "out of memory";
            return;
        }
        perform(d.endpoint, "POST", body, headers->get(), out);
    }

private:
    // participant.added of a participant still active in an open session:
    // the payload plus its current invite link (`invite_url`,
    // `invite_expires_at`, as in the add's `access`), minted now from the
    // participant's row: the outbox never holds a credential, and a link
    // revoked or re-issued meanwhile is sent as it is now. Null: send the
    // payload as stored.
    Json invite_payload(const db::ClaimedDelivery& d) const {
        if (!d.invite || !json_is_object(d.payload.get())) return Json();
        db::Participant p;
        p.id = d.invite->participant_id;
        p.session_id = d.invite->session_id;
        p.credential_epoch = d.invite->epoch;
        p.credential_issued_at = d.invite->issued_at;
        Json access;
        try {
            access = access_object(cfg_, p);
        } catch (const std::exception&) {
            return Json();  // not mintable (it was when the add answered): no link
        }
        Json out(json_deep_copy(d.payload.get()));
        if (!out) return Json();
        json_object_set(out.get(), "invite_url", json_object_get(access.get(), "invite_url"));
        json_object_set(out.get(), "invite_expires_at", json_object_get(access.get(), "expires_at"));
        return out;
    }

    // A Patient/Doctor Service status update (docs/INTEGRATIONS.md): the
    // profile's request instead of a Standard Webhook; same outcome rules
    // (2xx delivered, else retried, dead at the end).
    void send_status(const directory::StatusEndpoint& ep, const db::ClaimedDelivery& d, Outcome* out) {
        std::optional<directory::StatusRequest> req = directory::status_request(
            ep.profile, ep.base, d.external_ref, d.topic, d.session_id, d.event_id, d.occurred_at);
        if (!req) {
            out->sent = true;
            out->permanent = true;
            out->error = "no status request for this event (external_ref not addressable)";
            return;
        }
        const std::string ctype = std::string("Content-Type: ") + req->content_type;
        const std::string auth = "Authorization: Bearer " + cfg_.directory_bearer_token;
        const char* accept = ep.profile == directory::Profile::Fhir ? "Accept: application/fhir+json"
                                                                    : "Accept: application/json";
        std::optional<CurlSlist> headers =
            make_headers({ctype.c_str(), accept, "Expect:", "User-Agent: telemed-controller",
                          cfg_.directory_bearer_token.empty() ? nullptr : auth.c_str()});
        if (!headers) {
            out->error = "out of memory";
            return;
        }
        perform(req->url, req->method, req->body, headers->get(), out);
    }

    void perform(const std::string& url, const char* method, const std::string& body, curl_slist* headers,
                 Outcome* out) {
        CURL* c = h_.get();
        curl_easy_reset(c);  // keeps the connection cache
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        if (std::string_view(method) != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg_.webhook_timeout_ms));
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg_.webhook_timeout_ms));
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is a failure, not a new target
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        curl_easy_setopt(c, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &stop_);
        const CURLcode rc = curl_easy_perform(c);
        // Aborted by stop(): released like an unsent one (it may have
        // arrived: it is sent again later, with the same event id).
        out->sent = rc != CURLE_ABORTED_BY_CALLBACK;
        if (rc != CURLE_OK) {
            out->error = curl_easy_strerror(rc);  // a kind ("Timeout was reached"), never data
            return;
        }
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        out->status = static_cast<int>(status);
        out->ok = webhook::delivered(status);
        if (!out->ok) out->error = "HTTP " + std::to_string(status);
    }

    const ControllerConfig& cfg_;
    std::atomic<bool>& stop_;
    CurlEasy h_;
};

WebhookDispatcher::WebhookDispatcher(db::Pool& pool, const ControllerConfig& cfg) : pool_(pool), cfg_(cfg) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
    if (!threads_.empty() || !(cfg_.webhooks_enabled() || cfg_.directory_status_enabled())) return;
    std::call_once(g_curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    stop_ = false;
    for (unsigned i = 0; i < cfg_.webhook_workers; ++i) threads_.emplace_back([this, i] { loop(i); });
}

void WebhookDispatcher::stop() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void WebhookDispatcher::loop(unsigned index) {
    Worker http(cfg_, stop_);
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const auto lease = std::chrono::seconds(cfg_.webhook_lease_s);
    const auto timeout = std::chrono::milliseconds(cfg_.webhook_timeout_ms);
    const int64_t retry_cap_ms = static_cast<int64_t>(cfg_.webhook_retry_max_s) * 1000;
    // The Patient/Doctor Service status updates ride along as one more
    // endpoint (docs/INTEGRATIONS.md).
    std::vector<std::string> endpoints = cfg_.webhook_urls;
    std::optional<db::StatusRoute> status;
    if (cfg_.directory_status_enabled()) {
        const directory::Profile p =
            directory::parse_profile(cfg_.directory_profile).value_or(directory::Profile::Off);
        status = db::StatusRoute{directory::status_endpoint(p, cfg_.doctor_service_url), directory::status_topics()};
        endpoints.push_back(status->endpoint);
    }
    while (!stop_) {
        bool worked = false;
        try {
            // One fan-out per controller (worker 0); the advisory lock makes
            // it one across controllers too.
            if (index == 0) {
                std::size_t n = 0;
                db::transact(pool_, [&](PGconn* c) {
                    n = db::fan_out(c, cfg_.webhook_urls, kFanOutBatch, status ? &*status : nullptr);
                    return n ? db::TxnEnd::Commit : db::TxnEnd::Rollback;
                });
                worked = n > 0;
            }
            // The lease is counted from before the claim's transaction began
            // (its now() is later): our deadline is never after the database's.
            const Clock::time_point lease_end = Clock::now() + lease - kLeaseMargin;
            std::vector<db::ClaimedDelivery> claimed;
            db::transact(pool_, [&](PGconn* c) {
                claimed = db::claim_deliveries(c, endpoints, kClaimBatch, cfg_.webhook_lease_s);
                return claimed.empty() ? db::TxnEnd::Rollback : db::TxnEnd::Commit;
            });
            if (!claimed.empty()) {
                worked = true;
                std::vector<Outcome> outcomes;
                outcomes.reserve(claimed.size());
                for (const db::ClaimedDelivery& d : claimed) {
                    Outcome o;
                    o.id = d.id;
                    o.attempt = d.attempt;
                    o.event_created_at = d.event_created_at;
                    if (!stop_ && Clock::now() + timeout <= lease_end) http.post(d, &o);
                    outcomes.push_back(std::move(o));
                }
                int dead = 0;
                std::vector<db::Delivered> done;
                for (const Outcome& o : outcomes)
                    if (o.sent && o.ok) done.push_back({o.id, o.attempt, o.status});
                db::transact(pool_, [&](PGconn* c) {
                    dead = 0;
                    db::finish_delivered(c, done);
                    for (const Outcome& o : outcomes) {
                        if (!o.sent) {
                            db::release_claim(c, o.id, o.attempt);
                        } else if (!o.ok) {
                            const int64_t retry = webhook::backoff_ms(static_cast<unsigned>(o.attempt),
                                                                      cfg_.webhook_retry_base_ms, retry_cap_ms, rng());
                            if (db::finish_failed(c, o.id, o.attempt, o.status, o.error, retry,
                                                  o.permanent ? 0u : cfg_.webhook_max_attempts,
                                                  cfg_.webhook_max_age_s))
                                ++dead;
                        }
                    }
                    return db::TxnEnd::Commit;
                });
                const int64_t now_us = unix_micros_now();
                for (const Outcome& o : outcomes) {
                    if (!o.sent) continue;
                    if (!o.ok) {
                        stats_.failed.fetch_add(1, std::memory_order_relaxed);
                        log_debug("webhook delivery %lld: attempt %d failed (%s)", static_cast<long long>(o.id),
                                  o.attempt, o.error.c_str());
                        continue;
                    }
                    stats_.delivered.fetch_add(1, std::memory_order_relaxed);
                    const int64_t lag_us = std::max<int64_t>(0, now_us - o.event_created_at);
                    stats_.lag_sum_us.fetch_add(static_cast<uint64_t>(lag_us), std::memory_order_relaxed);
                    std::size_t b = 0;
                    while (b < kLagBounds.size() && static_cast<double>(lag_us) / 1e6 > kLagBounds[b]) ++b;
                    stats_.lag_buckets[b].fetch_add(1, std::memory_order_relaxed);
                }
                if (dead) {
                    stats_.dead.fetch_add(static_cast<uint64_t>(dead), std::memory_order_relaxed);
                    log_warn("webhooks: %d delivery(ies) dead (GET /outbox?status=dead)", dead);
                }
            }
        } catch (const std::exception& e) {
            // Claims whose outcome was not recorded come back when their
            // lease runs out (sent again: at least once).
            log_warn("webhooks: %s", short_what(e).c_str());
        }
        if (worked) continue;
        std::unique_lock lk(mu_);
        cv_.wait_for(lk, kIdlePoll, [this] { return stop_.load(); });
    }
}

std::string WebhookDispatcher::render_metrics() const {
    std::string out;
    char line[256];
    auto add = [&](const char* fmt, auto... args) {
        std::snprintf(line, sizeof line, fmt, args...);
        out += line;
    };
    out += "# HELP telemed_webhook_attempts_total Webhook POSTs made by this process, by outcome.\n";
    out += "# TYPE telemed_webhook_attempts_total counter\n";
    add("telemed_webhook_attempts_total{outcome=\"delivered\"} %llu\n",
        static_cast<unsigned long long>(stats_.delivered.load(std::memory_order_relaxed)));
    add("telemed_webhook_attempts_total{outcome=\"failed\"} %llu\n",
        static_cast<unsigned long long>(stats_.failed.load(std::memory_order_relaxed)));
    out += "# HELP telemed_webhook_delivered_total Webhook deliveries this process completed with a 2xx.\n";
    out += "# TYPE telemed_webhook_delivered_total counter\n";
    add("telemed_webhook_delivered_total %llu\n",
        static_cast<unsigned long long>(stats_.delivered.load(std::memory_order_relaxed)));
    out += "# HELP telemed_webhook_dead_total Webhook deliveries this process declared dead.\n";
    out += "# TYPE telemed_webhook_dead_total counter\n";
    add("telemed_webhook_dead_total %llu\n",
        static_cast<unsigned long long>(stats_.dead.load(std::memory_order_relaxed)));
    out += "# HELP telemed_webhook_delivery_lag_seconds From the event's transaction to its recorded 2xx.\n";
    out += "# TYPE telemed_webhook_delivery_lag_seconds histogram\n";
    uint64_t cum = 0;
    for (std::size_t i = 0; i < kLagBounds.size(); ++i) {
        cum += stats_.lag_buckets[i].load(std::memory_order_relaxed);
        add("telemed_webhook_delivery_lag_seconds_bucket{le=\"%s\"} %llu\n", kLagText[i],
            static_cast<unsigned long long>(cum));
    }
    cum += stats_.lag_buckets[kLagBounds.size()].load(std::memory_order_relaxed);
    add("telemed_webhook_delivery_lag_seconds_bucket{le=\"+Inf\"} %llu\n", static_cast<unsigned long long>(cum));
    add("telemed_webhook_delivery_lag_seconds_sum %.6f\n",
        static_cast<double>(stats_.lag_sum_us.load(std::memory_order_relaxed)) / 1e6);
    add("telemed_webhook_delivery_lag_seconds_count %llu\n", static_cast<unsigned long long>(cum));
    return out;
}

}  // namespace telemed
