// Controller configuration: conf/telemed-controller.conf.sample documents
// every key and its default.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "common/playback_link.hpp"
#include "common/token.hpp"

namespace telemed {

inline constexpr std::size_t kSupportPhoneMaxChars = 32;

struct ControllerConfig {
    // HTTP server
    std::string listen_address = "127.0.0.1";
    uint16_t port = 8080;
    unsigned threads = 4;                 // MHD event threads (parse requests, run Lane::Inline handlers)
    unsigned max_connections = 1024;
    unsigned per_ip_connection_limit = 256;
    unsigned connection_timeout_s = 30;
    // Deadlines of the connection guard (controller/http/conn_guard.hpp): the
    // whole request head within header_timeout_s of accept (or of the end of
    // the previous response on a kept-alive connection), the whole body
    // within body_timeout_s of the end of the head, plus one second per
    // body_min_rate_bytes_per_s bytes received (0: no extension); else the
    // connection is closed.
    unsigned header_timeout_s = 10;
    unsigned body_timeout_s = 30;
    uint64_t body_min_rate_bytes_per_s = 32768;
    std::size_t max_body_bytes = 65536;
    std::vector<std::string> api_keys;    // bearer keys (>= 16 chars each)
    std::string public_base_url;          // for Location headers; "" = relative
    // Base URL of the web app in join links (join.app_url = <public_url>/app/#join=...);
    // "" = public_base_url, else http://<listen_address>:<port> (effective_public_url()).
    std::string public_url;
    // The clinic's phone number the web app offers when a call cannot
    // connect: carried in every join object (and its app_url) when set;
    // "" = none. At most 32 of "+0123456789 ()-." (kSupportPhoneMaxChars).
    std::string support_phone;
    // Folder with app/ and telemed.js served at /app/ and /sdk/telemed.js
    // (routes/static_files.cpp); "" = the installed $(pkgdatadir)/web.
    std::string web_root;

    // Bulkheads (controller/http/lanes.hpp): worker pools per lane, bounded
    // queues, and the longest a request may wait in a queue (then 503).
    unsigned db_lane_workers = 8;
    unsigned db_lane_queue = 64;
    unsigned janus_lane_workers = 4;
    unsigned janus_lane_queue = 32;
    unsigned lane_queue_timeout_ms = 1000;

    // Postgres / Redis
    std::string database_url = "postgresql:///telemed";
    unsigned db_pool_size = 8;
    // Postgres deadlines (controller/db/pool.cpp, pg.cpp): every wait of one
    // request on Postgres ends within db_request_budget_ms of its hand-off to
    // its lane; one call (statement, connect) within db_call_timeout_ms
    // (client side: cancel and drop the connection); server-side
    // statement_timeout and lock_timeout of every pooled connection.
    unsigned db_request_budget_ms = 4000;
    unsigned db_call_timeout_ms = 3000;
    unsigned db_statement_timeout_ms = 2500;
    unsigned db_lock_timeout_ms = 1000;
    std::string redis_host = "127.0.0.1";
    uint16_t redis_port = 6379;
    std::string redis_prefix = "telemed:";
    // GET /sessions/{id} read cache (docs/DESIGN.md "Read cache"); 0 = off.
    std::size_t session_cache_entries = 10000;

    // Janus
    std::string janus_admin_url = "http://127.0.0.1:7088/admin";
    std::string janus_admin_secret;
    unsigned janus_timeout_ms = 3000;
    // Room reconciler period (controller/live/room_reconciler.hpp): how soon
    // rooms lost in a Janus restart are noticed and re-created.
    unsigned janus_reconcile_interval_ms = 2000;
    std::string janus_ws_url = "ws://127.0.0.1:8188/";
    // Janus core token_auth_secret (janus.jcfg): signs the join object's
    // janus_token (common/janus_token.hpp), valid for janus.plugin.telemed
    // only, janus_token_ttl_s from the join. "" = no janus_token (a Janus
    // without token_auth, open to anyone who reaches it; scripts/run and
    // scripts/stackctl always set it).
    std::string janus_token_secret;
    int64_t janus_token_ttl_s = 43200;

    // Join tokens
    KeyRing token_keys;                   // token_keys = "kid:secret,..."
    std::string token_kid;                // key used for minting
    std::string token_issuer = "telemed-controller";
    int64_t token_ttl_s = 300;

    // Participant credentials (docs/DESIGN.md "Participant credentials"):
    // HMAC key, validity, POST /join rate limits (requests a minute; 0 = off).
    std::string credential_secret;
    // Shared only with janus.plugin.telemed (its controller_secret): opens
    // /internal/v1/* and nothing else. Empty: those routes answer 401.
    std::string plugin_secret;
    int64_t credential_grace_s = 3600;
    int64_t credential_max_ttl_s = 30 * 86400;
    unsigned join_rate_per_credential = 10;
    unsigned join_rate_per_address = 60;

    // TURN (coturn use-auth-secret)
    std::string turn_secret;
    std::vector<std::string> turn_urls;   // e.g. turn:127.0.0.1:3478?transport=udp
    std::vector<std::string> stun_urls;
    int64_t turn_ttl_s = 3600;

    // Shared files (docs/DESIGN.md "Files"). File sharing is on when
    // storage_master_keys is set; without it the file endpoints answer 503.
    struct MasterKey {
        std::string kid;  // 1..32 of [A-Za-z0-9_-]
        std::string key;  // 32 raw bytes
    };
    std::string storage_dir = "/var/lib/telemed/files";
    std::vector<MasterKey> storage_master_keys;  // "kid:<64 hex>,...", newest (the one that wraps) first
    uint64_t file_max_bytes = 26214400;          // 25 MiB
    std::vector<files::FileType> file_allowed_types{files::FileType::Pdf, files::FileType::Png,
                                                    files::FileType::Jpeg, files::FileType::Dicom,
                                                    files::FileType::Text};
    uint64_t session_files_quota_bytes = 209715200;  // 200 MiB
    unsigned file_retention_days = 0;                // 0 = keep
    unsigned file_retention_sweep_interval_s = 3600;
    unsigned recording_retention_days = 0;           // 0 = keep; outputs of recordings processed longer ago are shredded
    bool files_enabled() const { return !storage_master_keys.empty(); }

    // Recording playback links (docs/DESIGN.md "Playback links"): the keys
    // that sign the links' tokens ("kid:secret,...", secrets >= 32 bytes;
    // the first signs, every one verifies); the links' lifetime; requests a
    // minute per client address on GET /recordings/{id}/playback/{token}
    // (0 = off). No keys: POST /recordings/{id}/playback-links answers 503
    // playback-links-disabled and no token verifies.
    PlaybackKeys playback_link_keys;
    int64_t playback_link_ttl_s = 900;
    unsigned playback_rate_per_address = 600;
    // Recording post-processing (docs/DESIGN.md "Post-processing",
    // controller/jobs/recording_processor.hpp). On when recordings_dir is set
    // and file sharing's storage (storage_master_keys) is on: the outputs are
    // stored, encrypted, like shared files.
    std::string recordings_dir;                 // the plugin's recordings_dir; "" = off
    unsigned recording_workers = 1;             // job threads, 0..8 (0 = off)
    unsigned recording_max_attempts = 3;        // then `failed`
    unsigned recording_retry_delay_s = 30;      // backoff: delay * 2^(attempt-1)
    unsigned recording_lease_s = 120;           // renewed while a job runs
    unsigned recording_job_timeout_s = 3600;    // whole job; external programs are killed at it
    unsigned recording_manifest_grace_s = 60;   // stopped without manifest.json: incomplete after this
    unsigned recording_nice = 10;               // niceness of the job threads and their programs
    std::string ffmpeg_path = "/usr/bin/ffmpeg";
    std::string ffprobe_path = "/usr/bin/ffprobe";
    std::string janus_pp_rec_path = "/usr/bin/janus-pp-rec";
    bool recordings_enabled() const { return !recordings_dir.empty() && recording_workers > 0 && files_enabled(); }

    // Session lifecycle policies (controller/jobs/session_lifecycle.hpp,
    // docs/OPERATIONS.md "Session lifecycle policies"); every limit 0 = off.
    // Seconds, so that tests can set them small; an operator writes 86400
    // for a day.
    unsigned lifecycle_sweep_interval_s = 60;
    unsigned session_expire_after_s = 0;    // scheduled, not started this long after scheduled_at (else created_at): cancelled "expired"
    unsigned session_max_duration_s = 0;    // active this long: ended "max_duration"
    unsigned session_idle_end_s = 0;        // active with nobody in its room this long: ended "idle"
    // Idempotency-Key rows of POST /sessions older than this are deleted: the
    // replay window docs/API.md "Idempotency" promises (at least 24 h). 0 = keep.
    unsigned idempotency_key_retention_h = 48;
    // Outbox events delivered (outbox.delivered_at) longer ago than this are
    // deleted with their webhook_deliveries rows; pending and dead ones stay.
    // 0 = keep, else 1..87600 hours.
    unsigned outbox_retention_h = 168;

    // Webhooks (docs/DESIGN.md "Webhooks", controller/jobs/webhook_dispatcher.hpp):
    // every outbox event is POSTed to each of webhook_urls (Standard Webhooks,
    // signed with webhook_secret). No URLs: the dispatcher is off and the
    // outbox rows wait (nothing lost).
    std::vector<std::string> webhook_urls;  // http:// or https://, at most 4
    std::string webhook_key;                // raw signing key: the base64 part of webhook_secret = whsec_<base64>
    unsigned webhook_workers = 1;           // sender threads, 0..8 (0 = off)
    unsigned webhook_timeout_ms = 5000;     // one POST, connect included
    unsigned webhook_max_attempts = 15;     // then dead
    unsigned webhook_max_age_s = 172800;    // a failed attempt after this age (from the event's fan-out): dead
    unsigned webhook_retry_base_ms = 500;   // full-jitter backoff: uniform in [0, min(max, base * 2^(n-1))]
    unsigned webhook_retry_max_s = 900;
    unsigned webhook_lease_s = 30;          // a claimed delivery is ours this long (>= 2 x webhook_timeout_ms)
    bool webhooks_enabled() const { return !webhook_urls.empty() && webhook_workers > 0; }

    // Patient Service / Doctor Service (docs/INTEGRATIONS.md,
    // controller/clients/directory.hpp): participant adds verify user_id
    // there (patient -> patient_service_url; doctor, paramedic ->
    // doctor_service_url; observer not verified) and, with
    // directory_status_updates, the status changes of sessions with an
    // external_ref go to doctor_service_url through the outbox (webhook
    // dispatcher, endpoint "directory:<profile>:<url>"). "off" = neither.
    std::string directory_profile = "off";  // off | json | fhir
    std::string patient_service_url;        // http(s) base URL, no query; required when the profile is on
    std::string doctor_service_url;
    unsigned directory_timeout_ms = 2000;   // one lookup, connect included; then 503
    unsigned directory_cache_s = 60;        // known/unknown answers kept this long; 0 = no cache
    std::string directory_bearer_token;     // sent as Authorization: Bearer; "" = none
    bool directory_status_updates = true;   // only while a profile is on
    bool directory_enabled() const { return directory_profile != "off"; }
    bool directory_status_enabled() const {
        return directory_enabled() && directory_status_updates && webhook_workers > 0;
    }
    // Janus events (docs/DESIGN.md "Janus events", routes/janus_events.cpp,
    // jobs/janus_event_worker.hpp): POST /internal/v1/janus-events opened by
    // HTTP Basic with this secret as password (sampleevh backend_pwd); empty:
    // the endpoint answers 401 to everything.
    std::string janus_events_secret;
    std::size_t janus_events_max_body_bytes = 1 << 20;  // one post; over it: 413
    unsigned janus_events_queue = 50000;     // events waiting for the worker; full: dropped and counted
    unsigned janus_events_hangup_grace_ms = 5000;  // a hangup / ICE failure is a "left" only if not back within this
    unsigned presence_ttl_s = 3600;          // offline presence records kept this long in Redis

    std::string log_level = "info";       // error|warn|info|debug
};

// Loads `path` (may be empty: defaults only), then TELEMED_<KEY> environment
// overrides. Returns false with *error naming the key (never its value).
bool load_controller_config(const std::string& path, ControllerConfig* out, std::string* error);

// Settings the daemon cannot serve without (load_controller_config accepts
// their absence so that --list-routes and tests work on defaults):
// api_keys (>= 1), token_keys (>= 1) and token_kid naming one of them,
// janus_admin_secret, credential_secret, and turn_secret whenever
// turn_urls is set.
// false with *error naming the key.
bool check_required_config(const ControllerConfig& cfg, std::string* error);

// public_url, else public_base_url, else http://<listen_address>:<port>
// (IPv6 addresses in brackets); never ends with '/'.
std::string effective_public_url(const ControllerConfig& cfg);

// Every key load_controller_config knows, in documentation order.
std::vector<std::string> controller_config_keys();

}  // namespace telemed
