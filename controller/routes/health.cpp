// Liveness and readiness probes. No authentication. Both run inline on the
// HTTP event thread (Lane::Inline) and never wait on a dependency.
//
//   GET /healthz  200 {"status":"ok"}  (the process serves HTTP)
//   GET /readyz   200 {"status":"ready","checks":{"postgres":"ok","redis":"ok","janus":"ok","rooms":"ok"}}
//                 503 application/problem+json, type .../problems/not-ready, Retry-After,
//                     with the same "checks" member where each dependency is "ok" or "down"
//                     and "rooms" is "restoring" until the rooms a Janus restart lost are back.
// /readyz reads the cached state of the background probers
// (controller/readiness.hpp: one per dependency, each with its own short
// deadline), so an outage shows within 2 s and the answer is instant.
#include <string_view>

#include "controller/app.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/readiness.hpp"

namespace telemed {
namespace {

Response healthz(const Request&, AppContext&) {
    Json body(json_pack("{s:s}", "status", "ok"));
    return Response::json(200, body.get());
}

Response readyz(const Request&, AppContext& ctx) {
    Json checks(json_object());
    bool all_up = ctx.readiness != nullptr;
    if (ctx.readiness) {
        for (const Readiness::Status& st : ctx.readiness->snapshot()) {
            json_object_set_new(checks.get(), st.name.c_str(), json_string(st.up ? "ok" : "down"));
            all_up = all_up && st.up;
        }
    }
    // Rooms back in place after a Janus restart (controller/live/room_reconciler.hpp).
    json_object_set_new(checks.get(), "rooms", json_string(ctx.rooms_state()));
    all_up = all_up && std::string_view(ctx.rooms_state()) == "ok";
    if (all_up) {
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
    r.add("GET", "/healthz", false, Lane::Inline, healthz);
    r.add("GET", "/readyz", false, Lane::Inline, readyz);
}

}  // namespace telemed
