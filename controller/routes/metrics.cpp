// GET /metrics: Prometheus text exposition format 0.0.4. No authentication
// (bind the controller to a private address; see OPERATIONS.md).
// Families: telemed_http_requests_total, telemed_http_request_duration_seconds,
// telemed_metrics_scrape_errors_total (controller/metrics.cpp),
// telemed_session_cache_* (controller/live/session_cache.cpp) and
// telemed_sessions{status} read from Postgres on each scrape; when Postgres
// fails that family is left out and the scrape-error counter goes up.
// Webhooks: telemed_webhook_deliveries{state="pending|dead"} and
// telemed_webhook_outbox_waiting (events not fanned out yet), read from
// Postgres (the whole database's, every controller's); the counters and the
// lag histogram of this process (jobs/webhook_dispatcher.hpp) when on.
// Group commit of POST /sessions (db/sessions_repo.hpp SessionCreates):
// telemed_session_create_statements_total, _rows_total and _alone_total.
#include "controller/app.hpp"
#include <cstdio>

#include "controller/db/lease.hpp"
#include "controller/db/pool.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/webhooks_repo.hpp"
#include "controller/jobs/webhook_dispatcher.hpp"
#include "controller/jobs/janus_event_worker.hpp"
#include "controller/http/router.hpp"
#include "controller/log.hpp"
#include "controller/metrics.hpp"
#include "controller/live/session_cache.hpp"

namespace telemed {
namespace {

// The webhook gauges of the whole database; "" (and a scrape error) when
// Postgres fails.
std::string webhook_gauges(AppContext& ctx) {
    try {
        db::WebhookCounts w;
        db::run_read(ctx.db, [&](PGconn* c) { w = db::webhook_counts(c); });
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "# HELP telemed_webhook_deliveries Webhook deliveries not delivered, by state.\n"
                      "# TYPE telemed_webhook_deliveries gauge\n"
                      "telemed_webhook_deliveries{state=\"pending\"} %lld\n"
                      "telemed_webhook_deliveries{state=\"dead\"} %lld\n"
                      "# HELP telemed_webhook_outbox_waiting Outbox events not fanned out to endpoints yet.\n"
                      "# TYPE telemed_webhook_outbox_waiting gauge\n"
                      "telemed_webhook_outbox_waiting %lld\n",
                      static_cast<long long>(w.pending), static_cast<long long>(w.dead),
                      static_cast<long long>(w.waiting));
        return buf;
    } catch (const std::exception&) {
        ctx.metrics.add_scrape_error();
        log_warn("metrics: webhook counts failed; telemed_webhook_deliveries omitted");
        return {};
    }
}

Response metrics(const Request&, AppContext& ctx) {
    std::string sessions;
    bool db_ok = true;
    try {
        sessions = render_sessions_gauge(db::sessions_by_status(ctx.db));
    } catch (const std::exception&) {
        ctx.metrics.add_scrape_error();
        log_warn("metrics: sessions_by_status failed; telemed_sessions omitted");
        sessions.clear();
        db_ok = false;
    }
    // Not asked again of a database that just failed: a scrape during an
    // outage stays as quick as before.
    std::string webhooks = db_ok ? webhook_gauges(ctx) : std::string();
    if (ctx.webhooks) webhooks += ctx.webhooks->render_metrics();
    if (ctx.janus_events) webhooks += ctx.janus_events->render_metrics();
    if (ctx.creates) {
        const db::SessionCreates::Stats g = ctx.creates->stats();
        char buf[1024];
        std::snprintf(buf, sizeof buf,
                      "# HELP telemed_session_create_statements_total Statements that created sessions without an"
                      " Idempotency-Key (group commit: one per batch).\n"
                      "# TYPE telemed_session_create_statements_total counter\n"
                      "telemed_session_create_statements_total %llu\n"
                      "# HELP telemed_session_create_rows_total Sessions those statements were given.\n"
                      "# TYPE telemed_session_create_rows_total counter\n"
                      "telemed_session_create_rows_total %llu\n"
                      "# HELP telemed_session_create_alone_total Of those, sessions written again alone after"
                      " their statement failed (a database error that may be one row's).\n"
                      "# TYPE telemed_session_create_alone_total counter\n"
                      "telemed_session_create_alone_total %llu\n",
                      static_cast<unsigned long long>(g.batches), static_cast<unsigned long long>(g.items),
                      static_cast<unsigned long long>(g.alone));
        webhooks += buf;
    }
    Response r;
    r.status = 200;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx.metrics.render() + ctx.session_cache.render_metrics() + sessions + webhooks;
    return r;
}

}  // namespace

void register_metrics_routes(Router& r) { r.add("GET", "/metrics", false, Lane::Db, metrics); }

}  // namespace telemed
