// GET /metrics: Prometheus text exposition format 0.0.4. No authentication
// (bind the controller to a private address; see OPERATIONS.md).
// Families: telemed_http_requests_total, telemed_http_request_duration_seconds,
// telemed_metrics_scrape_errors_total (controller/metrics.cpp),
// telemed_session_cache_* (controller/live/session_cache.cpp) and
// telemed_sessions{status} read from Postgres on each scrape; when Postgres
// fails that family is left out and the scrape-error counter goes up.
#include "controller/app.hpp"
#include "controller/db/pool.hpp"
#include "controller/http/router.hpp"
#include "controller/log.hpp"
#include "controller/metrics.hpp"
#include "controller/live/session_cache.hpp"

namespace telemed {
namespace {

Response metrics(const Request&, AppContext& ctx) {
    std::string sessions;
    try {
        sessions = render_sessions_gauge(db::sessions_by_status(ctx.db));
    } catch (const std::exception&) {
        ctx.metrics.add_scrape_error();
        log_warn("metrics: sessions_by_status failed; telemed_sessions omitted");
        sessions.clear();
    }
    Response r;
    r.status = 200;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx.metrics.render() + ctx.session_cache.render_metrics() + sessions;
    return r;
}

}  // namespace

void register_metrics_routes(Router& r) { r.add("GET", "/metrics", false, Lane::Db, metrics); }

}  // namespace telemed
