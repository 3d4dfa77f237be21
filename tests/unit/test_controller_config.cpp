// Unit tests for controller/config.cpp: defaults, file values, list parsing,
// TELEMED_<KEY> environment overrides, range and format errors that name the
// key but never echo the value, unknown keys, and check_required_config.
// The loaded config lives in CMocka state; helpers return plain values.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "controller/config.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::ControllerConfig;

namespace {

char g_path[256];
char g_error[1024];

const char* kSecretA = "0123456789abcdef0123456789abcdef";  // 32 bytes
const char* kApiKey = "api-key-0123456789";

void clear_env() {
    for (const std::string& k : telemed::controller_config_keys()) {
        std::string name = "TELEMED_";
        for (char c : k) name += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        unsetenv(name.c_str());
    }
}

int setup(void** state) {
    clear_env();
    std::snprintf(g_path, sizeof g_path, "%s/test_controller_config.XXXXXX",
                  std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(g_path);
    if (fd < 0) return -1;
    close(fd);
    *state = new ControllerConfig;
    return 0;
}

int teardown(void** state) {
    clear_env();
    unlink(g_path);
    delete static_cast<ControllerConfig*>(*state);
    return 0;
}

ControllerConfig& C(void** state) { return *static_cast<ControllerConfig*>(*state); }

void write_file(const char* text) {
    FILE* f = std::fopen(g_path, "w");
    std::fputs(text, f);
    std::fclose(f);
}

// Loads g_path (or defaults when `use_file` is false). true on success;
// otherwise the error is in g_error.
bool load(void** state, bool use_file = true) {
    std::string error;
    bool ok = telemed::load_controller_config(use_file ? g_path : "", &C(state), &error);
    std::snprintf(g_error, sizeof g_error, "%s", error.c_str());
    return ok;
}

bool required_ok(void** state) {
    std::string error;
    bool ok = telemed::check_required_config(C(state), &error);
    std::snprintf(g_error, sizeof g_error, "%s", error.c_str());
    return ok;
}

void test_defaults_without_file(void** state) {
    assert_true(load(state, false));
    const ControllerConfig& c = C(state);
    assert_string_equal(c.listen_address.c_str(), "127.0.0.1");
    assert_int_equal(c.port, 8080);
    assert_int_equal(c.threads, 4);
    assert_int_equal(c.max_body_bytes, 65536);
    assert_int_equal(c.token_ttl_s, 300);
    assert_true(c.credential_secret.empty());
    assert_int_equal(c.credential_grace_s, 3600);
    assert_int_equal(c.credential_max_ttl_s, 2592000);
    assert_int_equal(c.join_rate_per_credential, 10);
    assert_int_equal(c.join_rate_per_address, 60);
    assert_true(c.janus_token_secret.empty());
    assert_int_equal(c.janus_token_ttl_s, 43200);
    assert_string_equal(c.log_level.c_str(), "info");
    assert_true(c.api_keys.empty());
    assert_false(required_ok(state));  // defaults alone cannot serve
    assert_non_null(std::strstr(g_error, "api_keys"));
}

void test_file_values_and_lists(void** state) {
    std::string text = std::string("# comment\n") +
                       "listen_address = ::1\n"
                       "port = 18080\n"
                       "threads = 2\n"
                       "max_body_bytes = 2048\n"
                       "api_keys = " + kApiKey + " , second-key-0123456789 ,\n"
                       "public_base_url = https://api.example/\n"
                       "token_keys = k1:" + kSecretA + ",k2:" + kSecretA + "\n"
                       "token_kid = k2\n"
                       "janus_admin_secret = s3cret\n"
                       "credential_secret = " + kSecretA + "\n"
                       "credential_grace_s = 0\n"
                       "join_rate_per_address = 0\n"
                       "turn_urls = turn:127.0.0.1:3478?transport=udp, turns:t.example:5349\n"
                       "turn_secret = turnsecret\n"
                       "log_level = debug\n";
    write_file(text.c_str());
    assert_true(load(state));
    const ControllerConfig& c = C(state);
    assert_string_equal(c.listen_address.c_str(), "::1");
    assert_int_equal(c.port, 18080);
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.max_body_bytes, 2048);
    assert_int_equal(c.api_keys.size(), 2);
    assert_string_equal(c.api_keys[0].c_str(), kApiKey);
    assert_string_equal(c.api_keys[1].c_str(), "second-key-0123456789");
    assert_string_equal(c.public_base_url.c_str(), "https://api.example");  // trailing '/' dropped
    assert_int_equal(c.token_keys.size(), 2);
    assert_string_equal(c.token_kid.c_str(), "k2");
    assert_int_equal(c.turn_urls.size(), 2);
    assert_string_equal(c.turn_urls[1].c_str(), "turns:t.example:5349");
    assert_string_equal(c.log_level.c_str(), "debug");
    assert_string_equal(c.credential_secret.c_str(), kSecretA);
    assert_int_equal(c.credential_grace_s, 0);
    assert_int_equal(c.join_rate_per_address, 0);
    assert_int_equal(c.redis_port, 6379);  // untouched keys keep defaults
    assert_true(required_ok(state));
}

void test_env_overrides_file(void** state) {
    write_file("port = 18080\nthreads = 2\n");
    setenv("TELEMED_PORT", "19090", 1);
    setenv("TELEMED_API_KEYS", "env-key-0123456789abc", 1);
    assert_true(load(state));
    assert_int_equal(C(state).port, 19090);
    assert_int_equal(C(state).threads, 2);
    assert_int_equal(C(state).api_keys.size(), 1);
    assert_string_equal(C(state).api_keys[0].c_str(), "env-key-0123456789abc");
}

void test_env_applies_without_file(void** state) {
    setenv("TELEMED_REDIS_PORT", "26379", 1);
    assert_true(load(state, false));
    assert_int_equal(C(state).redis_port, 26379);
}

void test_env_value_is_validated_and_named(void** state) {
    setenv("TELEMED_THREADS", "0", 1);
    assert_false(load(state, false));
    assert_non_null(std::strstr(g_error, "threads"));
    assert_non_null(std::strstr(g_error, "TELEMED_THREADS"));
}

void test_range_errors_name_key_not_value(void** state) {
    write_file("port = 654321\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "port"));
    assert_null(std::strstr(g_error, "654321"));

    write_file("max_connections = 12abc\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "max_connections"));
    assert_null(std::strstr(g_error, "12abc"));

    write_file("connection_timeout_s = -1\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "connection_timeout_s"));

    write_file("listen_address = localhost\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "listen_address"));

    write_file("log_level = verbose\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "log_level"));

    write_file("janus_admin_url = ftp://x/admin\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "janus_admin_url"));

    write_file("stun_urls = turn:1.2.3.4:3478\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "stun_urls"));
}

// Lifecycle policies (jobs/session_lifecycle.hpp): off by default but the
// idempotency key retention (48 h); the retention is a promise to clients,
// never under 24 h (0 = keep forever).
void test_lifecycle_keys(void** state) {
    assert_true(load(state, false));
    assert_int_equal(C(state).lifecycle_sweep_interval_s, 60);
    assert_int_equal(C(state).session_expire_after_s, 0);
    assert_int_equal(C(state).session_max_duration_s, 0);
    assert_int_equal(C(state).session_idle_end_s, 0);
    assert_int_equal(C(state).idempotency_key_retention_h, 48);

    write_file("lifecycle_sweep_interval_s = 1\nsession_expire_after_s = 86400\n"
               "session_max_duration_s = 7200\nsession_idle_end_s = 4\nidempotency_key_retention_h = 24\n");
    assert_true(load(state));
    assert_int_equal(C(state).lifecycle_sweep_interval_s, 1);
    assert_int_equal(C(state).session_expire_after_s, 86400);
    assert_int_equal(C(state).session_max_duration_s, 7200);
    assert_int_equal(C(state).session_idle_end_s, 4);
    assert_int_equal(C(state).idempotency_key_retention_h, 24);

    write_file("idempotency_key_retention_h = 0\n");
    assert_true(load(state));
    assert_int_equal(C(state).idempotency_key_retention_h, 0);

    const char* refused[] = {"idempotency_key_retention_h = 23\n", "idempotency_key_retention_h = 1\n",
                             "idempotency_key_retention_h = -24\n", "idempotency_key_retention_h = 87601\n",
                             "idempotency_key_retention_h = 24h\n", "lifecycle_sweep_interval_s = 0\n",
                             "lifecycle_sweep_interval_s = 3601\n", "session_idle_end_s = -1\n",
                             "session_max_duration_s = 316224001\n", "session_expire_after_s = 1.5\n"};
    for (const char* text : refused) {
        write_file(text);
        assert_false(load(state));
        char key[64];  // no C++ object: a failing assertion longjmps
        std::snprintf(key, sizeof key, "%.*s", static_cast<int>(std::strchr(text, ' ') - text), text);
        assert_non_null(std::strstr(g_error, key));
    }
}

// Delivered outbox events are pruned after outbox_retention_h (default a
// week; 0 = keep forever; at most 10 years).
void test_outbox_retention_key(void** state) {
    assert_true(load(state, false));
    assert_int_equal(C(state).outbox_retention_h, 168);
    write_file("outbox_retention_h = 1\n");
    assert_true(load(state));
    assert_int_equal(C(state).outbox_retention_h, 1);
    write_file("outbox_retention_h = 0\n");
    assert_true(load(state));
    assert_int_equal(C(state).outbox_retention_h, 0);
    write_file("outbox_retention_h = 87600\n");
    assert_true(load(state));
    assert_int_equal(C(state).outbox_retention_h, 87600);
    const char* refused[] = {"outbox_retention_h = -1\n", "outbox_retention_h = 87601\n",
                             "outbox_retention_h = 24h\n", "outbox_retention_h = \n"};
    for (const char* text : refused) {
        write_file(text);
        assert_false(load(state));
        assert_non_null(std::strstr(g_error, "outbox_retention_h"));
    }
}

void test_secret_errors_do_not_echo(void** state) {
    write_file("api_keys = tooShortKeyXYZ\n");  // < 16 chars
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "api_keys"));
    assert_null(std::strstr(g_error, "tooShortKeyXYZ"));

    write_file("token_keys = k1:shortSecretQQQ\n");  // secret < 32 bytes
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "token_keys"));
    assert_null(std::strstr(g_error, "shortSecretQQQ"));

    write_file("credential_secret = shortCredSecretQQQ\n");  // < 32 characters
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "credential_secret"));
    assert_null(std::strstr(g_error, "shortCredSecretQQQ"));

    write_file("plugin_secret = shortPluginSecretQQQ\n");  // < 32 characters
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "plugin_secret"));
    assert_null(std::strstr(g_error, "shortPluginSecretQQQ"));

    write_file("janus_events_secret = shortEventsSecretQQQ\n");  // < 32 characters
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "janus_events_secret"));
    assert_null(std::strstr(g_error, "shortEventsSecretQQQ"));

    write_file("janus_token_secret = shortJanusSecretQQQ\n");  // < 32 characters
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "janus_token_secret"));
    assert_null(std::strstr(g_error, "shortJanusSecretQQQ"));

    // Janus checks the token on every keepalive: not shorter than 10 minutes.
    write_file("janus_token_ttl_s = 300\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "janus_token_ttl_s"));
    write_file("janus_token_ttl_s = 604801\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "janus_token_ttl_s"));

    write_file("credential_max_ttl_s = 60\n");  // below one hour
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "credential_max_ttl_s"));
}

void test_unknown_key_refused(void** state) {
    write_file("port = 8081\ndatabase_uri = postgresql:///x\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "unknown key"));
    assert_non_null(std::strstr(g_error, "database_uri"));
    assert_null(std::strstr(g_error, "postgresql"));
}

void test_syntax_error_and_missing_file(void** state) {
    write_file("port 8081\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "line 1"));

    std::string error;
    ControllerConfig other;
    bool ok = telemed::load_controller_config("/nonexistent/telemed.conf", &other, &error);
    std::snprintf(g_error, sizeof g_error, "%s", error.c_str());
    assert_false(ok);
    assert_non_null(std::strstr(g_error, "/nonexistent/telemed.conf"));
}

void test_failed_load_leaves_output_untouched(void** state) {
    C(state).port = 1234;
    write_file("threads = 2\nport = 0\n");
    assert_false(load(state));
    assert_int_equal(C(state).port, 1234);
    assert_int_equal(C(state).threads, 4);
}

void test_required_settings(void** state) {
    std::string base = std::string("api_keys = ") + kApiKey + "\n" + "token_keys = k1:" + kSecretA + "\n" +
                       "janus_admin_secret = s\ncredential_secret = " + kSecretA + "\n";
    write_file((base + "token_kid = k1\n").c_str());
    assert_true(load(state));
    assert_true(required_ok(state));

    write_file(base.c_str());  // no token_kid
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "token_kid"));

    write_file((base + "token_kid = k9\n").c_str());  // kid not in the ring
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "token_kid"));

    write_file((std::string("api_keys = ") + kApiKey + "\ntoken_keys = k1:" + kSecretA + "\ntoken_kid = k1\n").c_str());
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "janus_admin_secret"));

    write_file((std::string("api_keys = ") + kApiKey + "\ntoken_keys = k1:" + kSecretA +
                "\ntoken_kid = k1\njanus_admin_secret = s\n").c_str());  // no credential_secret
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "credential_secret"));

    write_file((base + "token_kid = k1\nturn_urls = turn:127.0.0.1:3478\n").c_str());
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "turn_secret"));
}

// Webhooks: off by default; URLs bounded (scheme, count, duplicates); the
// whsec_ secret parsed, required with URLs, never echoed; the lease must
// outlast a POST.
void test_webhooks(void** state) {
    std::string base = std::string("api_keys = ") + kApiKey + "\n" + "token_keys = k1:" + kSecretA + "\n" +
                       "token_kid = k1\njanus_admin_secret = s\ncredential_secret = " + kSecretA + "\n";
    write_file(base.c_str());
    assert_true(load(state));
    assert_true(required_ok(state));
    assert_false(C(state).webhooks_enabled());
    assert_int_equal(C(state).webhook_workers, 1);
    assert_int_equal(C(state).webhook_timeout_ms, 5000);
    assert_int_equal(C(state).webhook_max_attempts, 15);
    assert_int_equal(C(state).webhook_max_age_s, 172800);
    assert_int_equal(C(state).webhook_retry_base_ms, 500);
    assert_int_equal(C(state).webhook_retry_max_s, 900);
    assert_int_equal(C(state).webhook_lease_s, 30);

    // 24 bytes: the Standard Webhooks test key.
    const std::string secret = "webhook_secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
    write_file((base + "webhook_urls = http://127.0.0.1:9/a,https://hooks.example/b?t=1\n" + secret).c_str());
    assert_true(load(state));
    assert_true(required_ok(state));
    assert_true(C(state).webhooks_enabled());
    assert_int_equal(C(state).webhook_urls.size(), 2);
    assert_int_equal(C(state).webhook_key.size(), 24);

    write_file((base + "webhook_urls = http://127.0.0.1:9/a\n").c_str());  // no secret
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "webhook_secret"));

    write_file((base + "webhook_urls = http://127.0.0.1:9/a\nwebhook_workers = 0\n" + secret).c_str());
    assert_true(load(state));
    assert_false(C(state).webhooks_enabled());

    for (const char* bad : {"webhook_urls = ftp://x/\n", "webhook_urls = http://a/#frag\n",
                            "webhook_urls = http://a/1,http://a/1\n",
                            "webhook_urls = http://a/1,http://a/2,http://a/3,http://a/4,http://a/5\n",
                            "webhook_workers = 9\n", "webhook_timeout_ms = 99\n", "webhook_max_attempts = 0\n",
                            "webhook_lease_s = 4\n"}) {
        write_file(bad);
        assert_false(load(state));
        assert_non_null(std::strstr(g_error, "webhook_"));
    }
    write_file("webhook_secret = whsec_notBase64QQQ!\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "webhook_secret"));
    assert_null(std::strstr(g_error, "notBase64QQQ"));
    write_file("webhook_secret = MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");  // no whsec_ prefix
    assert_false(load(state));
    assert_null(std::strstr(g_error, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));

    write_file((base + "webhook_timeout_ms = 20000\nwebhook_lease_s = 30\n").c_str());
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "webhook_lease_s"));
}

// Patient/Doctor Service: off by default; the profile, URLs, timeout,
// cache, token and status switch validated (the token never echoed); both
// URLs required once a profile is on; status updates follow the profile
// and need a worker.
void test_directory(void** state) {
    std::string base = std::string("api_keys = ") + kApiKey + "\n" + "token_keys = k1:" + kSecretA + "\n" +
                       "token_kid = k1\njanus_admin_secret = s\ncredential_secret = " + kSecretA + "\n";
    write_file(base.c_str());
    assert_true(load(state));
    assert_true(required_ok(state));
    assert_string_equal(C(state).directory_profile.c_str(), "off");
    assert_false(C(state).directory_enabled());
    assert_false(C(state).directory_status_enabled());
    assert_int_equal(C(state).directory_timeout_ms, 2000);
    assert_int_equal(C(state).directory_cache_s, 60);
    assert_true(C(state).directory_bearer_token.empty());
    assert_true(C(state).directory_status_updates);

    const std::string urls = "patient_service_url = http://127.0.0.1:9/p/\ndoctor_service_url = https://d.example/fhir\n";
    write_file((base + "directory_profile = fhir\n" + urls +
                "directory_timeout_ms = 500\ndirectory_cache_s = 0\ndirectory_bearer_token = tok-123\n")
                   .c_str());
    assert_true(load(state));
    assert_true(required_ok(state));
    assert_true(C(state).directory_enabled());
    assert_true(C(state).directory_status_enabled());
    assert_string_equal(C(state).patient_service_url.c_str(), "http://127.0.0.1:9/p");  // trailing '/' dropped
    assert_int_equal(C(state).directory_timeout_ms, 500);
    assert_int_equal(C(state).directory_cache_s, 0);
    assert_string_equal(C(state).directory_bearer_token.c_str(), "tok-123");

    write_file((base + "directory_profile = json\n" + urls + "directory_status_updates = false\n").c_str());
    assert_true(load(state));
    assert_true(C(state).directory_enabled());
    assert_false(C(state).directory_status_enabled());
    write_file((base + "directory_profile = json\n" + urls + "webhook_workers = 0\n").c_str());
    assert_true(load(state));
    assert_false(C(state).directory_status_enabled());

    write_file((base + "directory_profile = json\npatient_service_url = http://127.0.0.1:9/p\n").c_str());
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "doctor_service_url"));
    write_file((base + "doctor_service_url = http://x.example/" + std::string(1000, 'a') + "\n").c_str());
    assert_true(load(state));
    assert_false(required_ok(state));
    assert_non_null(std::strstr(g_error, "doctor_service_url"));

    for (const char* bad : {"directory_profile = FHIR\n", "directory_profile = \n", "patient_service_url = ftp://x\n",
                            "doctor_service_url = http://x/?q=1\n", "directory_timeout_ms = 99\n",
                            "directory_timeout_ms = 30001\n", "directory_cache_s = -1\n",
                            "directory_cache_s = 86401\n", "directory_status_updates = yes\n"}) {
        write_file(bad);
        assert_false(load(state));
        assert_true(std::strstr(g_error, "directory_") != nullptr || std::strstr(g_error, "_service_url") != nullptr);
    }
    write_file("directory_bearer_token = has space-SECRETTOKEN\n");
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "directory_bearer_token"));
    assert_null(std::strstr(g_error, "SECRETTOKEN"));
}

// public_url / web_root: syntax only (the folder may appear later), and the
// public_url fallback chain of effective_public_url().
void test_public_url_and_web_root(void** state) {
    assert_true(load(state, false));
    assert_string_equal(telemed::effective_public_url(C(state)).c_str(), "http://127.0.0.1:8080");
    assert_string_equal(C(state).web_root.c_str(), "");  // the installed $(pkgdatadir)/web

    write_file("listen_address = ::1\nport = 9090\n");
    assert_true(load(state));
    assert_string_equal(telemed::effective_public_url(C(state)).c_str(), "http://[::1]:9090");

    write_file("public_base_url = https://api.example/base/\nweb_root = /srv/telemed web\n");
    assert_true(load(state));
    assert_string_equal(telemed::effective_public_url(C(state)).c_str(), "https://api.example/base");
    assert_string_equal(C(state).web_root.c_str(), "/srv/telemed web");

    write_file("public_base_url = https://api.example\npublic_url = https://clinic.example//\n");
    assert_true(load(state));
    assert_string_equal(telemed::effective_public_url(C(state)).c_str(), "https://clinic.example");

    for (const char* bad : {"public_url = ftp://x\n", "public_url = https://x/#frag\n", "public_url = https://x/?q\n",
                            "web_root = relative/web\n"}) {
        write_file(bad);
        assert_false(load(state));
        assert_non_null(std::strstr(g_error, bad[0] == 'w' ? "web_root" : "public_url"));
    }
}

// support_phone: optional (empty by default), at most 32 of "+0-9 ()-." and
// spaces with a digit; a refusal names the key, never the value.
void test_support_phone(void** state) {
    assert_true(load(state, false));
    assert_string_equal(C(state).support_phone.c_str(), "");

    write_file("support_phone = +1 555 0100\n");
    assert_true(load(state));
    assert_string_equal(C(state).support_phone.c_str(), "+1 555 0100");

    write_file("support_phone = +41 (0)44 555-01.00\n");
    assert_true(load(state));
    assert_string_equal(C(state).support_phone.c_str(), "+41 (0)44 555-01.00");

    write_file("support_phone = 01234567890123456789012345678901\n");  // 32: the bound
    assert_true(load(state));
    assert_int_equal(C(state).support_phone.size(), 32);

    write_file("support_phone =\n");  // empty: none
    assert_true(load(state));
    assert_string_equal(C(state).support_phone.c_str(), "");

    for (const char* bad : {"support_phone = 012345678901234567890123456789012\n",  // 33
                            "support_phone = +1 555 CALLUS\n", "support_phone = +1-555-0100 ext. 7\n",
                            "support_phone = tel:+15550100\n", "support_phone = +1 555 0100;x\n",
                            "support_phone = (--)\n", "support_phone = \"+1 555 <0100>\"\n"}) {
        write_file(bad);
        assert_false(load(state));
        assert_non_null(std::strstr(g_error, "support_phone"));
        assert_null(std::strstr(g_error, "555"));
    }

    setenv("TELEMED_SUPPORT_PHONE", "+1 555 0199", 1);  // the environment overrides too
    write_file("support_phone = +1 555 0100\n");
    assert_true(load(state));
    assert_string_equal(C(state).support_phone.c_str(), "+1 555 0199");
    setenv("TELEMED_SUPPORT_PHONE", "call us", 1);
    assert_false(load(state));
    assert_non_null(std::strstr(g_error, "TELEMED_SUPPORT_PHONE"));
}

#ifdef TELEMED_SAMPLE_CONF
// conf/telemed-controller.conf.sample documents every key: uncommenting all
// its "#key = value" lines must give a file that loads and can serve.
const char* sample_check() {
    static char result[512];
    FILE* in = std::fopen(TELEMED_SAMPLE_CONF, "r");
    if (!in) return "cannot open the sample";
    std::string text;
    std::string keys_seen = ",";
    char line[1024];
    while (std::fgets(line, sizeof line, in)) {
        std::string l(line);
        if (l.size() > 1 && l[0] == '#' && l[1] >= 'a' && l[1] <= 'z' && l.find(" =") != std::string::npos) {
            std::string key = l.substr(1, l.find(" =") - 1);
            if (key.find(' ') != std::string::npos) continue;  // prose, not a setting
            text += l.substr(1);
            keys_seen += key + ",";
        }
    }
    std::fclose(in);
    for (const std::string& k : telemed::controller_config_keys())
        if (keys_seen.find("," + k + ",") == std::string::npos) {
            std::snprintf(result, sizeof result, "key missing from the sample: %s", k.c_str());
            return result;
        }
    write_file(text.c_str());
    ControllerConfig c;
    std::string error;
    if (!telemed::load_controller_config(g_path, &c, &error) || !telemed::check_required_config(c, &error)) {
        std::snprintf(result, sizeof result, "sample does not load: %s", error.c_str());
        return result;
    }
    return "ok";
}

void test_sample_documents_every_key(void**) { assert_string_equal(sample_check(), "ok"); }
#endif

}  // namespace

int main() {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults_without_file),          T(test_file_values_and_lists),
        T(test_env_overrides_file),             T(test_env_applies_without_file),
        T(test_env_value_is_validated_and_named), T(test_range_errors_name_key_not_value),
        T(test_secret_errors_do_not_echo),      T(test_unknown_key_refused),
        T(test_syntax_error_and_missing_file),  T(test_failed_load_leaves_output_untouched),
        T(test_required_settings),              T(test_public_url_and_web_root),
        T(test_support_phone),                  T(test_lifecycle_keys), T(test_outbox_retention_key),
        T(test_webhooks),                       T(test_directory),
#ifdef TELEMED_SAMPLE_CONF
        T(test_sample_documents_every_key),
#endif
    };
#undef T
    return cmocka_run_group_tests_name("controller_config", tests, nullptr, nullptr);
}
