// Route table: (method, pattern) -> lane + handler. Patterns use {name} segments,
// e.g. "/sessions/{id}/participants/{pid}"; captured values land in
// Request::params in order. The table is also what `telemed-controller
// --list-routes` prints (checked against docs/openapi.yaml by a test).
// Each route names the lane its handler runs in (controller/http/lanes.hpp):
// Inline on the HTTP event thread (never waits on a dependency), Db on the
// Postgres/Redis worker pool, Janus on the pool of the routes that call the
// Janus Admin API.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "controller/http/lanes.hpp"
#include "controller/http/types.hpp"

namespace telemed {

struct Route {
    std::string method;
    std::string pattern;   // OpenAPI-style path
    bool requires_auth = true;
    Lane lane = Lane::Db;
    Handler handler;
    // With requires_auth: a participant credential (its MAC, checked
    // statelessly by the server) is accepted instead of the API key; the
    // handler then finds Request::participant set and does the database checks.
    bool participant_auth = false;
    // Streamed request body (types.hpp BodySink); none: buffered up to max_body_bytes.
    SinkFactory sink;
    // Optional, for a lane route: tried first on the event thread (after
    // authentication, with the whole body); it must never wait (no Postgres,
    // Redis or Janus). nullopt: the handler runs on the lane as usual.
    InlineFirst inline_first;
};

class Router {
public:
    void add(std::string method, std::string pattern, bool requires_auth, Lane lane, Handler handler);
    // Lane::Db: a route registered without a lane never runs on the event
    // threads.
    void add(std::string method, std::string pattern, bool requires_auth, Handler handler) {
        add(std::move(method), std::move(pattern), requires_auth, Lane::Db, std::move(handler));
    }
    // A route with every field given (participant_auth, sink).
    void add(Route route);
    // Finds the route; on match fills params and returns it. If the path
    // matches with another method, *allowed gets the allowed methods.
    const Route* match(std::string_view method, std::string_view path, std::vector<std::string>* params,
                       std::vector<std::string>* allowed) const;
    const std::vector<Route>& routes() const { return routes_; }

    // Patterns closest to a path that matched none (a typo such as
    // "/session" or "/sessions/<id>/participant"): distinct patterns at the
    // smallest edit distance, at most `max`, in table order; empty when even
    // the closest is more than kSuggestMaxDistance edits away or the path is
    // too long to compare (over kSuggestMaxPathBytes or kSuggestMaxSegments).
    // The distance works on '/'-separated segments: a {param} takes any one
    // non-empty segment at no cost; two literals cost their character edit
    // distance; a missing or extra segment costs its length plus one (a
    // {param}: 2). Real ids are UUIDs; with a one-letter id, though,
    // "/sessions/x/y" is 2 edits from "/sessions/{id}" (drop "x").
    std::vector<std::string> suggest(std::string_view path, std::size_t max = 3) const;
    // The detail of a 404: "No resource at this path." plus, when suggest()
    // finds any, " Did you mean /sessions (GET, POST)?" (methods in table
    // order; several patterns joined with " or ").
    std::string not_found_detail(std::string_view path) const;

    static constexpr std::size_t kSuggestMaxDistance = 3;
    static constexpr std::size_t kSuggestMaxPathBytes = 512;
    static constexpr std::size_t kSuggestMaxSegments = 16;
private:
    std::vector<Route> routes_;
};

// One registration function per routes/*.cpp file.
void register_session_routes(Router& r);      // routes/sessions.cpp
void register_participant_routes(Router& r);  // routes/participants.cpp
void register_audit_routes(Router& r);        // routes/audit.cpp: /sessions/{id}/audit
void register_outbox_routes(Router& r);       // routes/outbox.cpp: /outbox, /outbox/{id}/redeliver (webhook deliveries)
void register_participant_access_routes(Router& r);  // routes/participant_access.cpp: POST /join, credential revoke
void register_message_routes(Router& r);      // routes/messages.cpp: GET /sessions/{id}/messages
void register_internal_chat_routes(Router& r);  // routes/internal_chat.cpp: /internal/v1/* (plugin_secret)
void register_janus_event_routes(Router& r);  // routes/janus_events.cpp: POST /internal/v1/janus-events (janus_events_secret)
void register_internal_recording_routes(Router& r);  // routes/internal_recordings.cpp: /internal/v1/consents, recordings/events
void register_recording_routes(Router& r);    // routes/recordings.cpp: /sessions/{id}/recordings..., /recordings/{id}
void register_playback_routes(Router& r);     // routes/playback.cpp: /recordings/{id}/playback-links..., /recordings/{id}/playback/{token}
void register_health_routes(Router& r);       // routes/health.cpp: /healthz, /readyz
void register_metrics_routes(Router& r);      // routes/metrics.cpp: /metrics
void register_openapi_routes(Router& r);      // routes/openapi.cpp: /openapi.json
void register_static_file_routes(Router& r);
void register_file_routes(Router& r);         // routes/files.cpp: /sessions/{id}/files, /files/{id}  // routes/static_files.cpp: /app/, /sdk/telemed.js (web app, SDK)

}  // namespace telemed
