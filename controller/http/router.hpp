// Route table: (method, pattern) -> handler. Patterns use {name} segments,
// e.g. "/sessions/{id}/participants/{pid}"; captured values land in
// Request::params in order. The table is also what `telemed-controller
// --list-routes` prints (checked against docs/openapi.yaml by a test).
#pragma once
#include <string>
#include <vector>

#include "controller/http/types.hpp"

namespace telemed {

struct Route {
    std::string method;
    std::string pattern;   // OpenAPI-style path
    bool requires_auth = true;
    Handler handler;
};

class Router {
public:
    void add(std::string method, std::string pattern, bool requires_auth, Handler handler);
    // Finds the route; on match fills params and returns it. If the path
    // matches with another method, *allowed gets the allowed methods.
    const Route* match(std::string_view method, std::string_view path, std::vector<std::string>* params,
                       std::vector<std::string>* allowed) const;
    const std::vector<Route>& routes() const { return routes_; }
private:
    std::vector<Route> routes_;
};

// One registration function per routes/*.cpp file.
void register_session_routes(Router& r);      // routes/sessions.cpp
void register_participant_routes(Router& r);  // routes/participants.cpp
void register_participant_access_routes(Router& r);  // routes/participant_access.cpp: POST /join, credential revoke
void register_health_routes(Router& r);       // routes/health.cpp: /healthz, /readyz
void register_metrics_routes(Router& r);      // routes/metrics.cpp: /metrics
void register_openapi_routes(Router& r);      // routes/openapi.cpp: /openapi.json
void register_static_file_routes(Router& r);  // routes/static_files.cpp: /app/, /sdk/telemed.js (web app, SDK)

}  // namespace telemed
