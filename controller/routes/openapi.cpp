// GET /openapi.json: docs/openapi.yaml, converted to JSON at build time
// (controller/tools/embed.py). No authentication.
#include "controller/embedded.hpp"
#include "controller/http/router.hpp"

namespace telemed {
namespace {

Response openapi(const Request&, AppContext&) {
    Response r;
    r.status = 200;
    r.content_type = "application/json";
    r.body = kOpenApiJson;
    return r;
}

}  // namespace

void register_openapi_routes(Router& r) { r.add("GET", "/openapi.json", false, Lane::Inline, openapi); }

}  // namespace telemed
