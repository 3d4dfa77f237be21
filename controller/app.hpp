// Everything a route handler may use, constructed once in main.cpp.
#pragma once
#include "controller/config.hpp"

namespace telemed {
namespace db { class Pool; class SessionCreates; }
class RedisTracker;
class JanusAdmin;
class Metrics;
class SessionCache;
class RoomReconciler;
struct JoinRateLimits;
class Readiness;
class BlobStore;
class WebhookDispatcher;
class DirectoryClient;
class JanusEventWorker;
class PresenceStore;

struct AppContext {
    const ControllerConfig& config;
    db::Pool& db;
    RedisTracker& redis;
    JanusAdmin& janus;
    Metrics& metrics;
    SessionCache& session_cache;  // GET /sessions/{id}; mutations invalidate (controller/live/session_cache.hpp)
    JoinRateLimits& join_limits;  // POST /join (controller/http/rate_limit.hpp)
    Readiness* readiness = nullptr;  // GET /readyz: cached dependency state (controller/readiness.hpp)
    RoomReconciler* rooms = nullptr;      // controller/live/room_reconciler.hpp
    BlobStore* files = nullptr;           // stored files (controller/storage/blob_store.hpp); null when files are off
    WebhookDispatcher* webhooks = nullptr;  // controller/jobs/webhook_dispatcher.hpp; null when webhooks are off
    DirectoryClient* directory = nullptr;   // participant-add checks (controller/clients/directory.hpp); null = off
    JanusEventWorker* janus_events = nullptr;  // controller/jobs/janus_event_worker.hpp (POST /internal/v1/janus-events)
    PresenceStore* presence = nullptr;         // controller/live/presence_store.hpp (GET /sessions/{id} presence)
    db::SessionCreates* creates = nullptr;     // POST /sessions without a key, grouped (db/sessions_repo.hpp); null = one statement each
    // "restoring" (Janus rooms not all in place yet, e.g. after a Janus
    // restart) or "ok"; "ok" without a reconciler.
    const char* rooms_state() const;
};

}  // namespace telemed
