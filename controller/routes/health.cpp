// Liveness and readiness probes. No authentication.
//
//   GET /healthz  200 {"status":"ok"}  (the process serves HTTP)
//   GET /readyz   200 {"status":"ready","checks":{"postgres":"ok","redis":"ok","janus":"ok"}}
//                 503 application/problem+json, type .../problems/not-ready, with the same
//                     "checks" member where each dependency is "ok" or "down".
// The three pings run in parallel, each bounded by its own timeout
// (Postgres and Redis ~1 s, Janus janus_timeout_ms).
#include <future>

#include "controller/app.hpp"
#include "controller/db/pool.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/log.hpp"
#include "controller/live/redis_tracker.hpp"

namespace telemed {
namespace {

Response healthz(const Request&, AppContext&) {
    Json body(json_pack("{s:s}", "status", "ok"));
    return Response::json(200, body.get());
}

template <typename F>
bool probe(const char* name, F&& f) {
    try {
        return f();
    } catch (const std::exception&) {
        log_warn("readyz: %s check threw", name);
    } catch (...) {
        log_warn("readyz: %s check threw", name);
    }
    return false;
}

Response readyz(const Request&, AppContext& ctx) {
    auto pg = std::async(std::launch::async, [&] { return probe("postgres", [&] { return ctx.db.ping(); }); });
    auto janus = std::async(std::launch::async, [&] { return probe("janus", [&] { return ctx.janus.ping(); }); });
    bool redis_ok = probe("redis", [&] { return ctx.redis.ping(); });
    bool pg_ok = pg.get();
    bool janus_ok = janus.get();

    Json checks(json_pack("{s:s,s:s,s:s}", "postgres", pg_ok ? "ok" : "down", "redis", redis_ok ? "ok" : "down",
                          "janus", janus_ok ? "ok" : "down"));
    const bool rooms_ok = std::string_view(ctx.rooms_state()) == "ok";  // rooms back after a Janus restart
    json_object_set_new(checks.get(), "rooms", json_string(ctx.rooms_state()));
    if (pg_ok && redis_ok && janus_ok && rooms_ok) {
        Json body(json_pack("{s:s,s:O}", "status", "ready", "checks", checks.get()));
        return Response::json(200, body.get());
    }
    Json doc = problem_json(503, "not-ready", "Not ready", "A dependency of the controller is unavailable.");
    json_object_set(doc.get(), "checks", checks.get());
    Response r = problem_response(503, doc.get());
    r.headers.emplace_back("Retry-After", "5");
    return r;
}

}  // namespace

void register_health_routes(Router& r) {
    r.add("GET", "/healthz", false, healthz);
    r.add("GET", "/readyz", false, readyz);
}

}  // namespace telemed
