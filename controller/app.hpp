// Everything a route handler may use, constructed once in main.cpp.
#pragma once
#include "controller/config.hpp"

namespace telemed {
namespace db { class Pool; }
class RedisTracker;
class JanusAdmin;
class Metrics;
class SessionCache;
struct JoinRateLimits;
class Readiness;

struct AppContext {
    const ControllerConfig& config;
    db::Pool& db;
    RedisTracker& redis;
    JanusAdmin& janus;
    Metrics& metrics;
    SessionCache& session_cache;  // GET /sessions/{id}; mutations invalidate (controller/live/session_cache.hpp)
    JoinRateLimits& join_limits;  // POST /join (controller/http/rate_limit.hpp)
    Readiness* readiness = nullptr;  // GET /readyz: cached dependency state (controller/readiness.hpp)
};

}  // namespace telemed
