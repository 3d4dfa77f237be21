// plugin/plugin_config: [general] of janus.plugin.telemed.jcfg.
#include <string>
#include <utility>
#include <vector>

#include "plugin/plugin_config.hpp"

#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;
using namespace telemed::plugin;

namespace {

using Items = std::vector<std::pair<std::string, std::string>>;
constexpr const char* kKeys = "k1:0123456789abcdef0123456789abcdef, k2:fedcba9876543210fedcba9876543210";

bool defaults_apply() {
    ConfigParse p = parse_plugin_config(Items{{"token_keys", kKeys}});
    if (!p.config) return false;
    const PluginConfig& c = *p.config;
    return c.token_issuer == "telemed-controller" && c.clock_skew == 30 && c.max_rooms == 1000 &&
           c.max_participants_per_room == 50 && c.max_handles == 2000 && c.events && p.unknown_keys.empty();
}

bool values_apply() {
    ConfigParse p = parse_plugin_config(Items{{"token_keys", kKeys},
                                              {"token_issuer", ""},
                                              {"clock_skew", "5"},
                                              {"max_rooms", "7"},
                                              {"max_participants_per_room", "3"},
                                              {"max_handles", "9"},
                                              {"events", "false"}});
    if (!p.config) return false;
    const PluginConfig& c = *p.config;
    return c.token_issuer.empty() && c.clock_skew == 5 && c.max_rooms == 7 && c.max_participants_per_room == 3 &&
           c.max_handles == 9 && !c.events;
}

// 1 if refused and the error names `key`, 0 if accepted, -1 if refused otherwise.
int refused_naming(const char* key, const char* value) {
    ConfigParse p = parse_plugin_config(Items{{"token_keys", kKeys}, {key, value}});
    if (p.config) return 0;
    return p.error.find(key) != std::string::npos ? 1 : -1;
}

bool chat_defaults_and_values() {
    ConfigParse d = parse_plugin_config(Items{{"token_keys", kKeys}});
    if (!d.config) return false;
    const PluginConfig& c = *d.config;
    if (!c.controller_url.empty() || c.chat_rate_per_s != 20 || c.chat_burst != 40 || c.chat_queue_per_room != 256 ||
        c.chat_store_threads != 2 || c.chat_store_timeout_ms != 2000)
        return false;
    const std::string secret(40, 's');
    ConfigParse v = parse_plugin_config(Items{{"token_keys", kKeys},
                                              {"controller_url", "http://127.0.0.1:8080/"},
                                              {"controller_secret", secret},
                                              {"chat_rate_per_s", "5"},
                                              {"chat_burst", "9"},
                                              {"chat_queue_per_room", "10"},
                                              {"chat_store_threads", "3"},
                                              {"chat_store_timeout_ms", "500"}});
    if (!v.config) return false;
    const PluginConfig& w = *v.config;
    return w.controller_url == "http://127.0.0.1:8080" && w.controller_secret == secret && w.chat_rate_per_s == 5 &&
           w.chat_burst == 9 && w.chat_queue_per_room == 10 && w.chat_store_threads == 3 &&
           w.chat_store_timeout_ms == 500;
}

// The error never carries the secret.
bool chat_keys_refused() {
    const std::string secret(40, 's');
    ConfigParse no_secret = parse_plugin_config(Items{{"token_keys", kKeys}, {"controller_url", "http://x:1"}});
    ConfigParse short_secret = parse_plugin_config(Items{{"token_keys", kKeys}, {"controller_secret", "short-secret"}});
    return !no_secret.config && no_secret.error.find("controller_secret") != std::string::npos && !short_secret.config &&
           short_secret.error.find("short-secret") == std::string::npos &&
           refused_naming("controller_url", "ftp://x") == 1 && refused_naming("chat_rate_per_s", "0") == 1 &&
           refused_naming("chat_burst", "10001") == 1 && refused_naming("chat_queue_per_room", "x") == 1 &&
           refused_naming("chat_store_threads", "17") == 1 && refused_naming("chat_store_timeout_ms", "99") == 1;
}

// recordings_dir: empty by default (recording unavailable); absolute, no
// "..", printable, <= 512 characters; a trailing slash is dropped.
bool recordings_dir_values() {
    ConfigParse d = parse_plugin_config(Items{{"token_keys", kKeys}});
    ConfigParse v = parse_plugin_config(Items{{"token_keys", kKeys}, {"recordings_dir", " /srv/rec/ "}});
    const std::string long_dir = "/" + std::string(kMaxRecordingsDirChars, 'r');
    return d.config && d.config->recordings_dir.empty() && v.config && v.config->recordings_dir == "/srv/rec" &&
           refused_naming("recordings_dir", "rec") == 1 && refused_naming("recordings_dir", "/srv/../etc") == 1 &&
           refused_naming("recordings_dir", "/srv/..") == 1 && refused_naming("recordings_dir", "/srv/\x01") == 1 &&
           refused_naming("recordings_dir", long_dir.c_str()) == 1 && refused_naming("recordings_dir", "") == 0;
}

int long_issuer_refused() {
    const std::string issuer(kMaxIssuerChars + 1, 'i');
    return refused_naming("token_issuer", issuer.c_str());
}

bool missing_keys_refused() {
    ConfigParse a = parse_plugin_config(Items{});
    ConfigParse b = parse_plugin_config(Items{{"token_keys", "   "}});
    return !a.config && !b.config && a.error.find("token_keys") != std::string::npos;
}

bool unknown_keys_reported() {
    ConfigParse p = parse_plugin_config(Items{{"token_keys", kKeys}, {"colour", "blue"}});
    return p.config && p.unknown_keys.size() == 1 && p.unknown_keys[0] == "colour";
}

std::size_t ring_size(const char* spec) {
    ConfigParse p = parse_plugin_config(Items{{"token_keys", spec}});
    if (!p.config) return 1000;
    KeyRing ring;
    std::string error;
    if (!load_key_ring(*p.config, &ring, &error)) return 0;
    return ring.size();
}

// The error of a refused ring never contains key material.
bool ring_error_hides_secret() {
    ConfigParse p = parse_plugin_config(Items{{"token_keys", "k1:SHORTSECRET"}});
    if (!p.config) return false;
    KeyRing ring;
    std::string error;
    if (load_key_ring(*p.config, &ring, &error)) return false;
    return !error.empty() && error.find("SHORTSECRET") == std::string::npos && ring.empty();
}

}  // namespace

static void defaults(void**) { assert_true(defaults_apply()); }
static void explicit_values(void**) { assert_true(values_apply()); }

static void bad_values_refused(void**) {
    assert_int_equal(refused_naming("clock_skew", "-1"), 1);
    assert_int_equal(refused_naming("clock_skew", "601"), 1);
    assert_int_equal(refused_naming("clock_skew", "3x"), 1);
    assert_int_equal(refused_naming("max_rooms", "0"), 1);
    assert_int_equal(refused_naming("max_rooms", "100001"), 1);
    assert_int_equal(refused_naming("max_participants_per_room", "0"), 1);
    assert_int_equal(refused_naming("max_participants_per_room", ""), 1);
    assert_int_equal(refused_naming("events", "maybe"), 1);
    assert_int_equal(refused_naming("max_handles", "0"), 1);
    assert_int_equal(refused_naming("max_handles", "100001"), 1);
    assert_int_equal(refused_naming("max_handles", "-5"), 1);
    assert_int_equal(long_issuer_refused(), 1);
    assert_int_equal(refused_naming("events", "yes"), 0);
    assert_int_equal(refused_naming("clock_skew", "0"), 0);
}

static void token_keys_required(void**) { assert_true(missing_keys_refused()); }
static void unknown_keys(void**) { assert_true(unknown_keys_reported()); }

static void key_ring(void**) {
    assert_int_equal(ring_size(kKeys), 2);
    assert_int_equal(ring_size("k1:0123456789abcdef0123456789abcdef"), 1);
    assert_int_equal(ring_size("k1:short"), 0);
    assert_int_equal(ring_size("no-colon-here-0123456789abcdef0123456789"), 0);
    assert_true(ring_error_hides_secret());
}

void chat_config(void**) {
    assert_true(chat_defaults_and_values());
    assert_true(chat_keys_refused());
}

static void recordings_dir(void**) {
    assert_true(recordings_dir_values());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(explicit_values),
        cmocka_unit_test(bad_values_refused),
        cmocka_unit_test(token_keys_required),
        cmocka_unit_test(chat_config),
        cmocka_unit_test(recordings_dir),
        cmocka_unit_test(unknown_keys),
        cmocka_unit_test(key_ring),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
