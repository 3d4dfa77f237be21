// telemed-controller: the REST daemon (ARCHITECTURE.md, docs/DESIGN.md).
//
//   telemed-controller [--config FILE] [--list-routes] [--recordings-only] [--version] [--help]
//
// --list-routes prints "METHOD PATTERN" for every route and exits (no
// configuration, database or network needed). Otherwise: load and check the
// configuration (see conf/telemed-controller.conf.sample for the mandatory
// keys), apply migrations (retrying for ~30 s so that Postgres may start
// after us), start the Redis tracker and the read cache's change listener,
// serve HTTP until SIGTERM or SIGINT, then stop accepting, let requests in
// flight finish, and exit 0.
// Under systemd (Type=notify, $NOTIFY_SOCKET set) it sends READY=1 once
// migrations are applied and the HTTP server listens, STOPPING=1 when the
// stop signal arrives, and WATCHDOG=1 when $WATCHDOG_USEC asks for it
// (controller/sd_notify.hpp).
// --recordings-only runs the recording post-processing alone (no HTTP, no
// other job): for a recorder container with ffmpeg and janus-pp-rec beside a
// controller that has neither and runs with recording_workers = 0
// (docs/OPERATIONS.md "Recorder mode").
// Exit codes: 0 clean stop, 1 runtime failure, 2 usage or configuration error.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "controller/app.hpp"
#include "controller/config.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/pool.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/http/rate_limit.hpp"
#include "controller/jobs/file_retention.hpp"
#include "controller/jobs/session_lifecycle.hpp"
#include "controller/jobs/recording_processor.hpp"
#include "controller/jobs/file_rewrap.hpp"
#include "controller/jobs/webhook_dispatcher.hpp"
#include "controller/jobs/janus_event_worker.hpp"
#include "controller/live/presence_store.hpp"
#include "controller/storage/blob_store.hpp"
#include "controller/http/router.hpp"
#include "controller/http/server.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/clients/directory.hpp"
#include "controller/log.hpp"
#include "controller/metrics.hpp"
#include "controller/readiness.hpp"
#include "controller/sd_notify.hpp"
#include "controller/live/redis_tracker.hpp"
#include "controller/live/room_reconciler.hpp"
#include "controller/live/session_cache.hpp"
#include "controller/live/session_cache_listener.hpp"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

namespace telemed {
namespace {

constexpr const char* kUsage =
    "usage: telemed-controller [--config FILE] [--list-routes] [--rewrap-files] [--recordings-only]\n"
    "                          [--version] [--help]\n"
    "  --config FILE   key = value configuration (see telemed-controller.conf.sample);\n"
    "                  TELEMED_<KEY> environment variables override single keys\n"
    "  --list-routes   print \"METHOD PATTERN\" for every route and exit\n"
    "  --rewrap-files  re-wrap stored file keys under the first storage_master_keys key, print the count, exit\n"
    "  --recordings-only\n"
    "                  run only the recording post-processing (no HTTP server, no other job); needs\n"
    "                  recordings_dir, storage_master_keys and recording_workers > 0; waits until the\n"
    "                  main controller has applied the migrations\n"
    "  --version       print the version and exit\n";

void register_all_routes(Router& r) {
    register_session_routes(r);
    register_participant_routes(r);
    register_audit_routes(r);
    register_outbox_routes(r);
    register_participant_access_routes(r);
    register_message_routes(r);
    register_internal_chat_routes(r);
    register_health_routes(r);
    register_metrics_routes(r);
    register_openapi_routes(r);
    register_static_file_routes(r);
    register_file_routes(r);
    register_internal_recording_routes(r);
    register_recording_routes(r);
    register_playback_routes(r);
    register_janus_event_routes(r);
}

// Waits up to `timeout` for SIGTERM/SIGINT (blocked in every thread).
// Returns the signal number, or 0 on timeout.
int wait_for_signal(const sigset_t& set, std::chrono::milliseconds timeout) {
    timespec ts;
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1000000);
    while (true) {
        int sig = sigtimedwait(&set, nullptr, &ts);
        if (sig > 0) return sig;
        if (errno == EAGAIN) return 0;
        if (errno != EINTR) return 0;
    }
}

// Waits for SIGTERM/SIGINT, sending WATCHDOG=1 every watchdog interval when
// systemd asked for it. Returns the signal number.
int wait_for_stop(const sigset_t& set, SdNotifier& notifier) {
    const std::chrono::milliseconds every = notifier.watchdog_interval();
    if (every.count() > 0) notifier.notify("WATCHDOG=1");
    while (true) {
        if (int sig = wait_for_signal(set, every.count() > 0 ? every : std::chrono::hours(1))) return sig;
        if (every.count() > 0) notifier.notify("WATCHDOG=1");
    }
}

// Migrations with retry: Postgres may still be starting. Backoff 0.25 s
// doubling to 4 s, for about 30 s in total. false if a signal arrived or the
// deadline passed.
bool migrate_with_retry(db::Pool& pool, const sigset_t& signals, int* signal_out) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::chrono::milliseconds backoff(250);
    for (int attempt = 1;; ++attempt) {
        try {
            db::run_migrations(pool);
            return true;
        } catch (const std::exception& e) {
            std::string what(e.what());
            what = what.substr(0, what.find('\n')).substr(0, 200);
            if (std::chrono::steady_clock::now() + backoff >= deadline) {
                log_error("database migrations failed (attempt %d, giving up): %s", attempt, what.c_str());
                return false;
            }
            log_warn("database not ready (attempt %d): %s; retrying in %lld ms", attempt, what.c_str(),
                     static_cast<long long>(backoff.count()));
        }
        if (int sig = wait_for_signal(signals, backoff)) {
            *signal_out = sig;
            return false;
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(4000));
    }
}

// Blocks the stop signals (before any thread exists: every thread inherits
// the mask and the main thread collects them with sigtimedwait) and ignores
// SIGPIPE. Returns the blocked set.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signals;
}

db::PoolOptions pool_options(const ControllerConfig& cfg) {
    db::PoolOptions o;
    o.call_timeout = std::chrono::milliseconds(cfg.db_call_timeout_ms);
    o.connect_timeout = std::chrono::milliseconds(cfg.db_call_timeout_ms);
    o.statement_timeout = std::chrono::milliseconds(cfg.db_statement_timeout_ms);
    o.lock_timeout = std::chrono::milliseconds(cfg.db_lock_timeout_ms);
    return o;
}

int serve(const ControllerConfig& cfg, SdNotifier& notifier) {
    const sigset_t signals = block_stop_signals();

    db::Pool pool(cfg.database_url, cfg.db_pool_size, pool_options(cfg));
    int early_signal = 0;
    if (!migrate_with_retry(pool, signals, &early_signal)) {
        if (early_signal) {
            notifier.notify("STOPPING=1");
            log_info("received signal %d before start; exiting", early_signal);
            return 0;
        }
        return 1;
    }
    log_info("database migrations applied");
    notifier.notify("STATUS=database migrations applied; starting");

    RedisTracker redis(cfg.redis_host, cfg.redis_port, cfg.redis_prefix, pool);
    redis.set_loader([&pool] { return db::load_live_sessions(pool); });  // rebuild source
    redis.start();
    // Bypassed until its listener has LISTENed (see session_cache_listener.hpp).
    SessionCache session_cache(cfg.session_cache_entries);
    SessionCacheListener cache_listener(session_cache, db::pool_conninfo(pool));
    cache_listener.start();
    JanusAdmin janus(cfg.janus_admin_url, cfg.janus_admin_secret, cfg.janus_timeout_ms);
    Metrics metrics;
    Router router;
    register_all_routes(router);
    for (const Route& r : router.routes()) metrics.register_route(r.method, r.pattern);

    // Readiness (GET /readyz): one prober per dependency, each on its own
    // connection with its own short deadline (kProbeTimeout), every
    // kProbeInterval; a dependency is down when its last success is older
    // than interval + timeout (1.25 s), so an outage shows within 2 s.
    constexpr std::chrono::milliseconds kProbeInterval{250};
    constexpr std::chrono::milliseconds kProbeTimeout{1000};
    db::Pinger pg_pinger(db::pool_conninfo(pool), kProbeTimeout);
    JanusAdmin janus_probe(cfg.janus_admin_url, cfg.janus_admin_secret,
                           std::min<unsigned>(cfg.janus_timeout_ms, static_cast<unsigned>(kProbeTimeout.count())));
    Readiness readiness(kProbeInterval, kProbeInterval + kProbeTimeout);
    readiness.add("postgres", [&pg_pinger] { return pg_pinger.ping(); });
    readiness.add("redis", [&redis] { return redis.ping(); });
    // The probe's pong carries the plugin instance id: handed to the main
    // client, so the reconciler (and /readyz "rooms") see a restarted Janus
    // within one probe interval.
    readiness.add("janus", [&janus_probe, &janus] {
        const bool up = janus_probe.ping();
        if (up) janus.note_instance(janus_probe.last_instance());
        return up;
    });
    readiness.start();

    JoinRateLimits join_limits(cfg.join_rate_per_credential, cfg.join_rate_per_address);
    // Re-creates the rooms a Janus restart lost (controller/live/room_reconciler.hpp).
    RoomReconciler reconciler(pool, janus, cfg.redis_host, cfg.redis_port, cfg.redis_prefix,
                              cfg.janus_reconcile_interval_ms);
    reconciler.start();
    // Shared files: the folder store and its retention sweep (only when
    // storage_master_keys is set; the file routes answer 503 otherwise).
    std::unique_ptr<FolderBlobStore> blobs;
    std::unique_ptr<FileRetention> retention;
    if (cfg.files_enabled()) {
        blobs = std::make_unique<FolderBlobStore>(cfg.storage_dir);
        std::string error;
        if (!blobs->init(&error)) {
            log_error("storage_dir: %s", error.c_str());
            reconciler.stop();
            readiness.stop();
            cache_listener.stop();
            redis.stop();
            return 1;
        }
        retention = std::make_unique<FileRetention>(pool, *blobs, cfg.file_retention_days,
                                                    cfg.file_retention_sweep_interval_s, cfg.recording_retention_days);
        retention->start();
        log_info("file sharing on (%zu master key(s), retention %u day(s), recordings %u day(s))",
                 cfg.storage_master_keys.size(), cfg.file_retention_days, cfg.recording_retention_days);
    } else {
        log_warn("file sharing off: storage_master_keys is not set");
    }
    // Recording post-processing (jobs/recording_processor.hpp): needs the
    // recordings folder and the encrypted store.
    std::unique_ptr<RecordingProcessor> processor;
    if (cfg.recordings_enabled()) {
        processor = std::make_unique<RecordingProcessor>(pool, *blobs, janus, cfg);
        processor->start();
        log_info("recording post-processing on (%u worker(s))", cfg.recording_workers);
    } else if (!cfg.recordings_dir.empty()) {
        log_warn("recording post-processing off: %s", cfg.files_enabled()
                                                          ? "recording_workers = 0 (a --recordings-only process may run it)"
                                                          : "storage_master_keys is not set");
    }
    // Lifecycle policies and idempotency key retention (jobs/session_lifecycle.hpp):
    // its own thread, never an HTTP one.
    SessionLifecycle lifecycle(pool, janus, redis, session_cache, cfg);
    lifecycle.start();
    log_info("session lifecycle: expire %us, max duration %us, idle %us, idempotency keys %uh (0 = off), every %us",
             cfg.session_expire_after_s, cfg.session_max_duration_s, cfg.session_idle_end_s,
             cfg.idempotency_key_retention_h, cfg.lifecycle_sweep_interval_s);
    log_info("session lifecycle: delivered outbox events kept %uh (0 = forever)", cfg.outbox_retention_h);
    // Webhooks (jobs/webhook_dispatcher.hpp): off without webhook_urls; the
    // outbox rows then wait for a controller that has them.
    WebhookDispatcher webhooks(pool, cfg);
    if (cfg.webhooks_enabled()) {
        webhooks.start();
        log_info("webhooks on (%zu endpoint(s), %u worker(s))", cfg.webhook_urls.size(), cfg.webhook_workers);
    } else {
        log_info("webhooks off: %s", cfg.webhook_urls.empty() ? "webhook_urls is not set" : "webhook_workers = 0");
    }
    // Patient Service / Doctor Service (clients/directory.hpp, docs/INTEGRATIONS.md):
    // participant adds check user_id there; session status updates of
    // sessions with an external_ref go out through the webhook dispatcher.
    DirectoryClient directory(cfg);
    if (cfg.directory_status_enabled() && !cfg.webhooks_enabled()) webhooks.start();
    if (cfg.directory_enabled())
        log_info("directory on (profile %s, status updates %s)", cfg.directory_profile.c_str(),
                 cfg.directory_status_enabled() ? "on" : "off");
    // Janus events (jobs/janus_event_worker.hpp): presence in Redis, participant
    // events, participant.joined/waiting/left. The endpoint answers 401 while
    // janus_events_secret is empty; the worker runs anyway (it is idle).
    PresenceStore presence(cfg.redis_host, cfg.redis_port, cfg.redis_prefix, cfg.presence_ttl_s);
    JanusEventWorker janus_events(pool, presence, cfg);
    janus_events.start();
    if (cfg.janus_events_secret.empty())
        log_info("janus events off: janus_events_secret is not set (POST /internal/v1/janus-events answers 401)");
    AppContext ctx{cfg, pool, redis, janus, metrics, session_cache, join_limits, &readiness, &reconciler};
    ctx.janus_events = &janus_events;
    ctx.presence = &presence;
    db::SessionCreates creates(pool);
    ctx.creates = &creates;
    ctx.files = blobs.get();
    ctx.webhooks = cfg.webhooks_enabled() ? &webhooks : nullptr;
    if (cfg.directory_status_enabled()) ctx.webhooks = &webhooks;
    if (cfg.directory_enabled()) ctx.directory = &directory;
    int rc = 0;
    {
        HttpServer server(cfg, router, ctx);
        std::string error;
        if (!server.start(&error)) {
            log_error("%s", error.c_str());
            rc = 1;
        } else {
            log_info("listening on %s:%u (threads %u, lanes db %u/%u janus %u/%u, %zu routes, %zu api keys)",
                     cfg.listen_address.c_str(), static_cast<unsigned>(cfg.port), cfg.threads, cfg.db_lane_workers,
                     cfg.db_lane_queue, cfg.janus_lane_workers, cfg.janus_lane_queue, router.routes().size(),
                     cfg.api_keys.size());
            char status[160];
            std::snprintf(status, sizeof status, "READY=1\nSTATUS=listening on %s:%u", cfg.listen_address.c_str(),
                          static_cast<unsigned>(cfg.port));
            notifier.notify(status);
            const int sig = wait_for_stop(signals, notifier);
            notifier.notify("STOPPING=1\nSTATUS=stopping");
            log_info("received signal %d: stopping (in flight: %u)", sig, server.in_flight());
            server.stop(std::chrono::seconds(10));
        }
    }
    lifecycle.stop();
    webhooks.stop();
    janus_events.stop();
    if (processor) processor->stop();
    if (retention) retention->stop();
    reconciler.stop();
    readiness.stop();
    cache_listener.stop();
    redis.stop();
    log_info("stopped");
    return rc;
}

// Why --recordings-only cannot run with this configuration ("" = it can).
std::string recordings_only_refusal(const ControllerConfig& cfg) {
    if (cfg.recordings_dir.empty()) return "recordings are not enabled: recordings_dir is not set";
    if (!cfg.files_enabled())
        return "recordings are not enabled: storage_master_keys is not set (the outputs are stored encrypted)";
    if (cfg.recording_workers == 0) return "recordings are not enabled: recording_workers = 0";
    const std::pair<const char*, const std::string*> tools[] = {
        {"ffmpeg_path", &cfg.ffmpeg_path}, {"ffprobe_path", &cfg.ffprobe_path},
        {"janus_pp_rec_path", &cfg.janus_pp_rec_path}};
    for (const auto& [key, path] : tools) {
        struct stat st {};
        if (::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path->c_str(), X_OK) != 0)
            return std::string(key) + " " + *path + " is not an executable file (install ffmpeg and janus-tools)";
    }
    return "";
}

// The mandatory keys of --recordings-only (check_required_config's
// counterpart): the Janus Admin API's secret (lost recordings are checked
// there); recordings_dir, storage_master_keys and the tools are
// recordings_only_refusal()'s.
bool check_recorder_config(const ControllerConfig& c, std::string* error) {
    if (c.janus_admin_secret.empty()) {
        *error = "janus_admin_secret: required (Janus admin_secret; lost recordings are checked with room_info)";
        return false;
    }
    return true;
}

// The schema is the main controller's: wait until it has applied every
// migration this binary knows (pending_migrations() == 0), however long that
// takes, but give up when the database stays unreachable for ~30 s (as the
// main controller does). false on a signal (*signal_out set) or a failure.
bool wait_for_schema(db::Pool& pool, const sigset_t& signals, int* signal_out) {
    std::chrono::milliseconds backoff(250);
    auto failing_since = std::chrono::steady_clock::time_point::max();
    auto next_report = std::chrono::steady_clock::now();
    for (int attempt = 1;; ++attempt) {
        const auto now = std::chrono::steady_clock::now();
        try {
            const std::size_t pending = db::pending_migrations(pool);
            if (pending == 0) return true;
            failing_since = std::chrono::steady_clock::time_point::max();
            if (now >= next_report) {
                log_info("waiting for the main controller to apply %zu database migration(s)", pending);
                next_report = now + std::chrono::seconds(30);
            }
        } catch (const std::exception& e) {
            std::string what(e.what());
            what = what.substr(0, what.find('\n')).substr(0, 200);
            if (what.rfind("migrations:", 0) == 0) {  // a checksum mismatch: no waiting cures it
                log_error("%s", what.c_str());
                return false;
            }
            if (failing_since == std::chrono::steady_clock::time_point::max()) failing_since = now;
            if (now - failing_since >= std::chrono::seconds(30)) {
                log_error("database not reachable (attempt %d, giving up): %s", attempt, what.c_str());
                return false;
            }
            log_warn("database not ready (attempt %d): %s; retrying in %lld ms", attempt, what.c_str(),
                     static_cast<long long>(backoff.count()));
        }
        if (int sig = wait_for_signal(signals, backoff)) {
            *signal_out = sig;
            return false;
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(4000));
    }
}

// telemed-controller --recordings-only: the recording post-processing alone
// (jobs/recording_processor.hpp) with what it needs (the database, the blob
// store, the Janus Admin API for lost recordings). Jobs are claimed under
// leases (FOR UPDATE SKIP LOCKED, recording_lease_s), so any number of such
// processes, and controllers with recording_workers > 0, share the queue.
int serve_recordings_only(const ControllerConfig& cfg, SdNotifier& notifier) {
    const sigset_t signals = block_stop_signals();

    db::Pool pool(cfg.database_url, std::min(cfg.db_pool_size, cfg.recording_workers + 2), pool_options(cfg));
    notifier.notify("STATUS=waiting for the database schema");
    int early_signal = 0;
    if (!wait_for_schema(pool, signals, &early_signal)) {
        if (early_signal) {
            notifier.notify("STOPPING=1");
            log_info("received signal %d before start; exiting", early_signal);
            return 0;
        }
        return 1;
    }
    log_info("database schema ready");
    FolderBlobStore blobs(cfg.storage_dir);
    std::string error;
    if (!blobs.init(&error)) {
        log_error("storage_dir: %s", error.c_str());
        return 1;
    }
    JanusAdmin janus(cfg.janus_admin_url, cfg.janus_admin_secret, cfg.janus_timeout_ms);
    RecordingProcessor processor(pool, blobs, janus, cfg);
    processor.start();
    log_info("recordings only: post-processing on (%u worker(s), lease %u s); no HTTP server",
             cfg.recording_workers, cfg.recording_lease_s);
    char status[120];
    std::snprintf(status, sizeof status, "READY=1\nSTATUS=processing recordings (%u worker(s))",
                  cfg.recording_workers);
    notifier.notify(status);
    const int sig = wait_for_stop(signals, notifier);
    notifier.notify("STOPPING=1\nSTATUS=stopping");
    log_info("received signal %d: stopping", sig);
    processor.stop();  // running programs are killed, their jobs released
    log_info("stopped");
    return 0;
}

int run(int argc, char** argv) {
    // First, before any thread: NOTIFY_SOCKET and WATCHDOG_* leave the
    // environment (ffmpeg and janus-pp-rec must not see them).
    SdNotifier notifier = SdNotifier::from_environment();
    std::string config_path;
    bool list_routes = false;
    bool rewrap = false;
    bool recordings_only = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--config" && i + 1 < argc) {
            config_path = argv[++i];
        } else if (arg.rfind("--config=", 0) == 0) {
            config_path = arg.substr(9);
        } else if (arg == "--list-routes") {
            list_routes = true;
        } else if (arg == "--rewrap-files") {
            rewrap = true;
        } else if (arg == "--recordings-only") {
            recordings_only = true;
        } else if (arg == "--version") {
            std::printf("telemed-controller %s\n", PACKAGE_VERSION);
            return 0;
        } else if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        } else {
            std::fprintf(stderr, "telemed-controller: unknown or incomplete argument\n%s", kUsage);
            return 2;
        }
    }
    if (list_routes) {
        Router router;
        register_all_routes(router);
        for (const Route& r : router.routes()) std::printf("%s %s\n", r.method.c_str(), r.pattern.c_str());
        return 0;
    }

    ControllerConfig cfg;
    std::string error;
    // The recorder uses none of the HTTP side's secrets (api_keys, token_keys,
    // credential_secret, ...): it needs only what its jobs use, checked by
    // recordings_only_refusal(), so its container may go without them.
    const bool config_ok = load_controller_config(config_path, &cfg, &error) &&
                           (recordings_only ? check_recorder_config(cfg, &error) : check_required_config(cfg, &error));
    if (!config_ok) {
        log_error("configuration: %s", error.c_str());
        return 2;
    }
    set_log_level(*parse_log_level(cfg.log_level));
    if (rewrap) {
        if (!cfg.files_enabled()) {
            log_error("--rewrap-files: storage_master_keys is not set");
            return 2;
        }
        db::PoolOptions options;
        options.call_timeout = std::chrono::milliseconds(cfg.db_call_timeout_ms);
        options.connect_timeout = std::chrono::milliseconds(cfg.db_call_timeout_ms);
        options.statement_timeout = std::chrono::milliseconds(cfg.db_statement_timeout_ms);
        options.lock_timeout = std::chrono::milliseconds(cfg.db_lock_timeout_ms);
        db::Pool pool(cfg.database_url, 1, options);
        const RewrapResult r = rewrap_file_keys(pool, cfg);
        std::printf("rewrapped %zu file key(s) under %s; %zu failed\n", r.rewrapped,
                    cfg.storage_master_keys.front().kid.c_str(), r.failed);
        return r.failed ? 1 : 0;
    }
    if (recordings_only) {
        const std::string refusal = recordings_only_refusal(cfg);
        if (!refusal.empty()) {
            log_error("--recordings-only: %s", refusal.c_str());
            return 2;
        }
        log_info("telemed-controller %s starting (recordings only)", PACKAGE_VERSION);
        return serve_recordings_only(cfg, notifier);
    }
    log_info("telemed-controller %s starting", PACKAGE_VERSION);
    return serve(cfg, notifier);
}

}  // namespace
}  // namespace telemed

int main(int argc, char** argv) {
    try {
        return telemed::run(argc, argv);
    } catch (const std::exception& e) {
        std::string what(e.what());
        telemed::log_error("fatal: %s", what.substr(0, what.find('\n')).substr(0, 200).c_str());
    } catch (...) {
        telemed::log_error("fatal: non-standard exception");
    }
    return 1;
}
