// The HTTP server: libmicrohttpd lives here and nowhere else.
//
// One MHD daemon (epoll, internal thread pool of config.threads). Per request:
// a request id (UUID v4, returned as X-Request-Id), routing (404 / 405 with
// Allow), bearer-key auth for routes that require it (401 with
// WWW-Authenticate: Bearer), a body capped at max_body_bytes (413 without
// buffering the excess; a refused request's body is read and dropped, within
// bounds, before the answer: see server.cpp), the handler, then one access-log line and a metrics
// observation when MHD reports the request complete. Every MHD callback is
// guarded: an exception becomes a 500 "internal-error" problem and a log line.
//
// Lanes (controller/http/lanes.hpp): a route's handler runs on the event
// thread only when its lane is Inline. Otherwise the connection is
// suspended (MHD_suspend_connection), the handler runs on its lane's worker
// pool under the request's Postgres budget (db_request_budget_ms,
// controller/deadline.hpp), and the connection is resumed with the answer.
// A full lane queue, or a wait in it beyond lane_queue_timeout_ms, is
// answered 503 + Retry-After at once. stop() drains the lanes before the
// daemon stops (MHD forbids stopping with suspended connections).
// Connections are watched by a ConnGuard (conn_guard.hpp: head and body
// deadlines, shedding near the connection limits; small hooks in the MHD
// callbacks) and refused bodies get a lingering close (lingering_close.hpp).
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "controller/app.hpp"
#include "controller/http/router.hpp"

struct MHD_Daemon;

namespace telemed {

class Lanes;
class ConnGuard;
class LingeringClose;

class HttpServer {
public:
    HttpServer(const ControllerConfig& config, const Router& router, AppContext& ctx);
    ~HttpServer();  // stop() if still running
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds listen_address:port and starts the threads. false with *error.
    bool start(std::string* error);
    // Graceful stop: stop accepting (MHD_quiesce_daemon), wait until the
    // requests in flight have completed or `grace` passed, then stop the
    // daemon (idle keep-alive connections are closed).
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

    unsigned in_flight() const { return in_flight_.load(); }

    struct Callbacks;  // the MHD C callbacks (server.cpp)
private:
    friend struct Callbacks;
    const ControllerConfig& config_;
    const Router& router_;
    AppContext& ctx_;
    std::unique_ptr<LingeringClose> linger_;  // outlives guard_, which outlives daemon_
    std::unique_ptr<ConnGuard> guard_;
    MHD_Daemon* daemon_ = nullptr;
    std::unique_ptr<Lanes> lanes_;
    std::atomic<unsigned> in_flight_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace telemed
