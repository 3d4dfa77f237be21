// janus.plugin.telemed — the one file that touches the Janus C plugin API.
//
// Every Janus callback below runs its body inside guarded(): an exception is
// logged and turned into the callback's error value; none crosses into C.
// All behaviour lives in PluginCore (plugin/plugin_core.hpp), which talks back
// to Janus only through the Host implemented here. docs/PROTOCOL.md documents
// the requests and events; conf/janus.plugin.telemed.jcfg.sample the config.
//
// Ownership rules of the Janus API (janus 1.1.x, API 102) honoured here:
//  - handle_message: the plugin owns `transaction` (g_free), `message` and
//    `jsep` (json_decref);
//  - handle_admin_message: `message` is borrowed, the returned object is given
//    to Janus;
//  - push_event does not steal the event; notify_event does;
//  - query_session: the returned object is given to Janus;
//  - the core holds a reference on each janus_plugin_session for the plugin;
//    we give it back (janus_refcount_decrease) when our Participant dies.
#include <glib.h>
#include <jansson.h>

extern "C" {
#include <config.h>
#include <debug.h>
#include <plugins/plugin.h>
#include <record.h>
#include <rtp.h>
#include <sdp-utils.h>
#include <utils.h>
}

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <unistd.h>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "plugin/chat_http.hpp"
#include "plugin/recording_http.hpp"
#include "plugin/plugin_core.hpp"

namespace {

using telemed::Json;
using namespace telemed::plugin;

#if !defined(PACKAGE_VERSION) || !defined(TELEMED_VERSION_NUMBER)
#error "PACKAGE_VERSION and TELEMED_VERSION_NUMBER come from configure (AC_INIT's version)"
#endif
// One version for the whole project: configure.ac's AC_INIT.
constexpr int kVersion = TELEMED_VERSION_NUMBER;
constexpr const char* kVersionString = PACKAGE_VERSION;
constexpr const char* kDescription = "Telemedicine rooms: token-gated admission, roles and permissions";
constexpr const char* kName = "Telemed plugin";
constexpr const char* kAuthor = "telemed";
constexpr const char* kPackage = "janus.plugin.telemed";

janus_callbacks* gateway = nullptr;
std::atomic<bool> initialized{false};
std::atomic<bool> stopping{false};
PluginCore* core = nullptr;  // owned; created in init, deleted in destroy
HttpChatBackend* chat_backend = nullptr;  // owned; outlives core's chat store threads
HttpRecordingBackend* recording_backend = nullptr;  // owned; outlives core (its exit events)
std::atomic<unsigned long long> chat_warnings{0};
std::atomic<std::size_t> attaches_in_flight{0};   // create_session calls between check and attach
std::atomic<unsigned long long> handles_refused{0};  // attaches refused by max_handles

extern janus_plugin telemed_plugin;

// Runs a callback body; any exception becomes `fallback` and an ERR line.
template <class R, class F>
R guarded(const char* where, R fallback, F&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        JANUS_LOG(LOG_ERR, "[%s] %s failed: %s\n", kPackage, where, e.what());
    } catch (...) {
        JANUS_LOG(LOG_ERR, "[%s] %s failed\n", kPackage, where);
    }
    return fallback;
}

template <class F>
void guarded_void(const char* where, F&& body) noexcept {
    guarded(where, 0, [&] {
        body();
        return 0;
    });
}

bool ready() { return initialized.load() && !stopping.load() && core != nullptr; }

// ---- Host: PluginCore's only way back into Janus ----
class JanusHost final : public Host {
public:
    void push_event(HostHandle h, const char* transaction, const json_t* event, const json_t* jsep) override {
        const int rc = gateway->push_event(static_cast<janus_plugin_session*>(h), &telemed_plugin, transaction,
                                           const_cast<json_t*>(event), const_cast<json_t*>(jsep));
        if (rc != 0 && jsep != nullptr)
            JANUS_LOG(LOG_WARN, "[%s] Janus refused an answer (error %d)\n", kPackage, rc);
    }
    std::optional<std::string> answer_offer(const std::string& offer_text, const std::vector<sdp::MLinePlan>& plan,
                                            std::string* error) override {
        char why[256];
        janus_sdp* offer = janus_sdp_parse(offer_text.c_str(), why, sizeof(why));
        if (offer == nullptr) {
            if (error) *error = "offer not parsed by Janus";
            return std::nullopt;
        }
        std::unique_ptr<janus_sdp, void (*)(janus_sdp*)> offer_owner(offer, janus_sdp_destroy);
        janus_sdp* answer = janus_sdp_generate_answer(offer);
        if (answer == nullptr) {
            if (error) *error = "answer not generated";
            return std::nullopt;
        }
        std::unique_ptr<janus_sdp, void (*)(janus_sdp*)> answer_owner(answer, janus_sdp_destroy);
        std::size_t i = 0;
        for (GList* l = offer->m_lines; l != nullptr; l = l->next, ++i) {
            auto* m = static_cast<janus_sdp_mline*>(l->data);
            const sdp::MLinePlan* step = i < plan.size() ? &plan[i] : nullptr;
            const bool enabled = step != nullptr && step->use != sdp::Use::Reject &&
                                 (m->type == JANUS_SDP_AUDIO || m->type == JANUS_SDP_VIDEO);
            janus_sdp_mdirection dir = JANUS_SDP_INACTIVE;
            if (step && step->use == sdp::Use::Publish) dir = JANUS_SDP_RECVONLY;
            if (step && step->use == sdp::Use::Slot) dir = JANUS_SDP_SENDONLY;
            if (step && step->use == sdp::Use::Both) dir = JANUS_SDP_SENDRECV;
            const char* codec = enabled && !step->codec.empty() ? step->codec.c_str() : nullptr;
            // What goes out on a slot pair is one stream to the browser (lip
            // sync); without an msid Janus would name every m-line's track
            // "janus janus<mid>", all in one stream.
            std::string msid, mstid;
            if (enabled && step->pair >= 0) {
                msid = "slot" + std::to_string(step->pair);
                mstid = msid + (m->type == JANUS_SDP_VIDEO ? "-video" : "-audio");
            }
            janus_sdp_generate_answer_mline(offer, answer, m,
                JANUS_SDP_OA_MLINE, m->type,
                JANUS_SDP_OA_ENABLED, enabled ? TRUE : FALSE,
                JANUS_SDP_OA_DIRECTION, dir,
                JANUS_SDP_OA_CODEC, codec,
                JANUS_SDP_OA_MSID, msid.empty() ? nullptr : msid.c_str(), mstid.empty() ? nullptr : mstid.c_str(),
                JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_MID,
                JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_AUDIO_LEVEL,
                JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_VIDEO_ORIENTATION,
                JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC,
                JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_ABS_SEND_TIME,
                JANUS_SDP_OA_DONE);
        }
        char* text = janus_sdp_write(answer);
        if (text == nullptr) {
            if (error) *error = "answer not written";
            return std::nullopt;
        }
        std::string out(text);
        g_free(text);
        return out;
    }
    void relay_rtp(HostHandle h, int mindex, bool video, uint8_t* buf, std::size_t len,
                   const void* ext) noexcept override {
        janus_plugin_rtp packet;
        packet.mindex = mindex;
        packet.video = video ? TRUE : FALSE;
        packet.buffer = reinterpret_cast<char*>(buf);
        packet.length = static_cast<uint16_t>(len);
        if (ext != nullptr)
            packet.extensions = *static_cast<const janus_plugin_rtp_extensions*>(ext);
        else
            janus_plugin_rtp_extensions_reset(&packet.extensions);
        gateway->relay_rtp(static_cast<janus_plugin_session*>(h), &packet);
    }
    std::size_t rtp_extensions_size() const noexcept override { return sizeof(janus_plugin_rtp_extensions); }
    void send_pli(HostHandle h, int mindex) noexcept override {
        gateway->send_pli_stream(static_cast<janus_plugin_session*>(h), mindex);
    }
    int64_t now_monotonic_us() noexcept override { return janus_get_monotonic_time(); }
    void close_pc(HostHandle h) override { gateway->close_pc(static_cast<janus_plugin_session*>(h)); }
    void notify_event(HostHandle h, Json event) override {
        if (!gateway->events_is_enabled()) return;
        gateway->notify_event(&telemed_plugin, static_cast<janus_plugin_session*>(h), event.release());
    }
    void release_handle(HostHandle h) noexcept override {
        auto* session = static_cast<janus_plugin_session*>(h);
        janus_refcount_decrease(&session->ref);
    }
    int64_t now_unix() override { return static_cast<int64_t>(std::time(nullptr)); }
    int64_t now_unix_micros() override { return janus_get_real_time(); }
    // ---- recording: Janus's recorder (record.h) ----
    bool make_dirs(const std::string& path) override {
        if (g_mkdir_with_parents(path.c_str(), 0750) != 0) return false;
        return g_file_test(path.c_str(), G_FILE_TEST_IS_DIR) != FALSE;
    }
    void* open_recorder(const std::string& dir, const std::string& codec, const std::string& name) override {
        return janus_recorder_create_full(dir.c_str(), codec.c_str(), nullptr, name.c_str());
    }
    int write_recorder(void* recorder, uint8_t* buf, std::size_t len) noexcept override {
        if (len > 0xffff) return -1;
        auto* r = static_cast<janus_recorder*>(recorder);
        const int rc = janus_recorder_save_frame(r, reinterpret_cast<char*>(buf), static_cast<uint>(len));
        if (rc < 0) return rc;
        // A full disk rarely shows in the answer: Janus writes through stdio,
        // whose buffer takes the frame while the flush underneath failed
        // (ENOSPC), and logs the short header writes as warnings only. The
        // stream's error flag says it. Unlocked: this media thread is the
        // only one that writes this recorder, and it is closed only once no
        // view holds it (plugin/recording.hpp).
        if (r->file != nullptr && ferror_unlocked(r->file) != 0) return -1;
        return rc;
    }
    void close_recorder(void* recorder) override {
        auto* r = static_cast<janus_recorder*>(recorder);
        janus_recorder_close(r);
        janus_recorder_destroy(r);  // the last reference: the file is flushed and closed
    }
    bool write_file_atomic(const std::string& path, const std::string& content) override {
        const std::string tmp = path + ".tmp";
        FILE* f = std::fopen(tmp.c_str(), "wb");
        if (f == nullptr) return false;
        const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
        const bool flushed = std::fflush(f) == 0 && fsync(fileno(f)) == 0;
        const bool closed = std::fclose(f) == 0;
        if (!written || !flushed || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
            std::remove(tmp.c_str());
            return false;
        }
        return true;
    }
    void log(LogLevel level, std::string_view line) override {
        const int n = static_cast<int>(line.size());
        switch (level) {
            case LogLevel::Error: JANUS_LOG(LOG_ERR, "[%s] %.*s\n", kPackage, n, line.data()); break;
            case LogLevel::Warn: JANUS_LOG(LOG_WARN, "[%s] %.*s\n", kPackage, n, line.data()); break;
            case LogLevel::Info: JANUS_LOG(LOG_INFO, "[%s] %.*s\n", kPackage, n, line.data()); break;
            case LogLevel::Verbose: JANUS_LOG(LOG_VERB, "[%s] %.*s\n", kPackage, n, line.data()); break;
        }
    }
};
JanusHost host;

// Reads [general] of <config_path>/janus.plugin.telemed.jcfg as raw strings.
// Never prints the file (token_keys holds secrets).
bool read_general(const char* config_path, std::vector<std::pair<std::string, std::string>>* items) {
    std::string file = std::string(config_path) + "/" + kPackage + ".jcfg";
    janus_config* config = janus_config_parse(file.c_str());
    if (config == nullptr) return false;
    std::unique_ptr<janus_config, void (*)(janus_config*)> owner(config, janus_config_destroy);
    janus_config_category* general = janus_config_get(config, nullptr, janus_config_type_category, "general");
    if (general != nullptr) {
        for (GList* l = general->list; l != nullptr; l = l->next) {
            auto* item = static_cast<janus_config_item*>(l->data);
            if (item && item->type == janus_config_type_item && item->name && item->value)
                items->emplace_back(item->name, item->value);
        }
    }
    return true;
}

// ---- janus_plugin callbacks ----

int plugin_init(janus_callbacks* callback, const char* config_path) {
    return guarded("init", -1, [&]() -> int {
        if (stopping.load() || callback == nullptr || config_path == nullptr) return -1;
        std::vector<std::pair<std::string, std::string>> items;
        if (!read_general(config_path, &items)) {
            JANUS_LOG(LOG_ERR, "[%s] cannot read %s/%s.jcfg: refusing to start without token_keys\n", kPackage,
                      config_path, kPackage);
            return -1;
        }
        ConfigParse parsed = parse_plugin_config(items);
        for (const std::string& k : parsed.unknown_keys)
            JANUS_LOG(LOG_WARN, "[%s] unknown configuration key ignored: %s\n", kPackage, k.c_str());
        if (!parsed.config) {
            JANUS_LOG(LOG_ERR, "[%s] configuration error: %s\n", kPackage, parsed.error.c_str());
            return -1;
        }
        telemed::KeyRing keys;
        std::string error;
        if (!load_key_ring(*parsed.config, &keys, &error)) {
            JANUS_LOG(LOG_ERR, "[%s] configuration error: %s\n", kPackage, error.c_str());
            return -1;
        }
        const PluginConfig& c = *parsed.config;
        JANUS_LOG(LOG_INFO,
                  "[%s] %zu token key(s), issuer %s, clock_skew %lld s, max_rooms %zu, "
                  "max_participants_per_room %zu, max_handles %zu, events %s\n",
                  kPackage, keys.size(), c.token_issuer.empty() ? "(any)" : c.token_issuer.c_str(),
                  static_cast<long long>(c.clock_skew), c.max_rooms, c.max_participants_per_room, c.max_handles,
                  c.events ? "on" : "off");
        gateway = callback;
        const bool chat_on = !c.controller_url.empty();
        JANUS_LOG(LOG_INFO, "[%s] chat: %s, %lld msg/s burst %lld per participant, queue %zu per room, %zu thread(s), "
                            "timeout %lld ms\n",
                  kPackage, chat_on ? "stored through the controller" : "off (no controller_url: 5030)",
                  static_cast<long long>(c.chat_rate_per_s), static_cast<long long>(c.chat_burst),
                  c.chat_queue_per_room, c.chat_store_threads, static_cast<long long>(c.chat_store_timeout_ms));
        std::unique_ptr<HttpChatBackend> backend;
        std::unique_ptr<HttpRecordingBackend> rec_backend;
        JANUS_LOG(LOG_INFO, "[%s] recording: %s, consent %s\n", kPackage,
                  c.recordings_dir.empty() ? "unavailable (no recordings_dir: start 5032)" : c.recordings_dir.c_str(),
                  chat_on ? "stored through the controller" : "cannot be stored (no controller_url: 5031)");
        if (chat_on) {
            curl_global_init(CURL_GLOBAL_DEFAULT);
            // First failure and then every 100th: an outage does not flood the log.
            backend = std::make_unique<HttpChatBackend>(
                c.controller_url, c.controller_secret, c.chat_store_timeout_ms, [](std::string_view line) {
                    if (chat_warnings.fetch_add(1) % 100 == 0)
                        JANUS_LOG(LOG_WARN, "[%s] %.*s (%llu so far)\n", kPackage, static_cast<int>(line.size()),
                                  line.data(), chat_warnings.load());
                });
            // Recording events are rare: every warning is logged (ids and status codes only).
            rec_backend = std::make_unique<HttpRecordingBackend>(
                c.controller_url, c.controller_secret, c.chat_store_timeout_ms, [](std::string_view line) {
                    JANUS_LOG(LOG_WARN, "[%s] %.*s\n", kPackage, static_cast<int>(line.size()), line.data());
                });
        }
        const std::size_t chat_threads = c.chat_store_threads;
        auto fresh = std::make_unique<PluginCore>(host, std::move(*parsed.config), std::move(keys));
        if (backend) fresh->attach_chat_backend(*backend, chat_threads);
        if (rec_backend) fresh->attach_recording_backend(*rec_backend, 1);
        chat_backend = backend.release();
        recording_backend = rec_backend.release();
        fresh->start_worker();
        core = fresh.release();
        initialized.store(true);
        JANUS_LOG(LOG_INFO, "%s initialized\n", kName);
        return 0;
    });
}

void plugin_destroy() {
    guarded_void("destroy", [] {
        if (!initialized.load()) return;
        stopping.store(true);
        PluginCore* doomed = core;
        if (doomed) doomed->stop_worker();
        core = nullptr;
        delete doomed;  // its store threads were joined by stop_worker; recordings finalised
        delete recording_backend;
        recording_backend = nullptr;
        if (chat_backend) {
            delete chat_backend;
            chat_backend = nullptr;
            curl_global_cleanup();
        }
        initialized.store(false);
        stopping.store(false);
        JANUS_LOG(LOG_INFO, "%s destroyed\n", kName);
    });
}

int plugin_get_api_compatibility() { return JANUS_PLUGIN_API_VERSION; }
int plugin_get_version() { return kVersion; }
const char* plugin_get_version_string() { return kVersionString; }
const char* plugin_get_description() { return kDescription; }
const char* plugin_get_name() { return kName; }
const char* plugin_get_author() { return kAuthor; }
const char* plugin_get_package() { return kPackage; }

void plugin_create_session(janus_plugin_session* handle, int* error) {
    guarded_void("create_session", [&] {
        *error = 0;
        if (!ready() || handle == nullptr) {
            *error = -1;
            return;
        }
        // max_handles (conf/janus.plugin.telemed.jcfg.sample): attaches in
        // flight count too, so concurrent attaches cannot overshoot it. Janus
        // answers the refused attach with error 461 "Couldn't attach to
        // plugin: error '4090'". The plugin cannot bound per Janus session:
        // plugin.h gives it no way from a handle to its session.
        struct InFlight {
            std::size_t before = attaches_in_flight.fetch_add(1);
            ~InFlight() { attaches_in_flight.fetch_sub(1); }
        } in_flight;
        if (core->handle_count() + in_flight.before >= core->config().max_handles) {
            *error = static_cast<int>(ErrorCode::LimitReached);
            if (handles_refused.fetch_add(1) % 1000 == 0)
                JANUS_LOG(LOG_WARN, "[%s] max_handles (%zu) reached: attach refused (%llu so far)\n", kPackage,
                          core->config().max_handles, static_cast<unsigned long long>(handles_refused.load()));
            return;
        }
        if (!core->attach(handle)) {
            *error = -2;
            return;
        }
        handle->plugin_handle = core->find_raw(handle);
    });
}

janus_plugin_result* plugin_handle_message(janus_plugin_session* handle, char* transaction, json_t* message,
                                           json_t* jsep) {
    // Take ownership first, so every path below frees them.
    std::unique_ptr<char, void (*)(gpointer)> txn_owner(transaction, g_free);
    Json msg(message), js(jsep);
    janus_plugin_result* result = guarded("handle_message", static_cast<janus_plugin_result*>(nullptr), [&]() -> janus_plugin_result* {
        if (!ready())
            return janus_plugin_result_new(JANUS_PLUGIN_ERROR, stopping.load() ? "Shutting down" : "Plugin not initialized",
                                           nullptr);
        std::optional<std::string> txn;
        if (transaction) txn.emplace(transaction);
        switch (core->enqueue_message(handle, std::move(txn), std::move(msg), std::move(js))) {
            case PluginCore::Enqueued::Ok: return janus_plugin_result_new(JANUS_PLUGIN_OK_WAIT, nullptr, nullptr);
            case PluginCore::Enqueued::UnknownHandle:
                return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "No session associated with this handle", nullptr);
            case PluginCore::Enqueued::Busy: return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "Busy", nullptr);
            case PluginCore::Enqueued::Stopped:
                return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "Shutting down", nullptr);
        }
        return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "Internal error", nullptr);
    });
    return result ? result : janus_plugin_result_new(JANUS_PLUGIN_ERROR, "Internal error", nullptr);
}

json_t* plugin_handle_admin_message(json_t* message) {
    json_t* out = guarded("handle_admin_message", static_cast<json_t*>(nullptr), [&]() -> json_t* {
        if (!ready()) return error_event(Failure::of(ErrorCode::Internal, "plugin not initialized")).release();
        return core->handle_admin(message).release();
    });
    if (out == nullptr) {
        // The guard caught something: answer a well-formed 5000 error.
        json_t* e = json_object();
        json_object_set_new(e, "telemed", json_string("error"));
        json_object_set_new(e, "error_code", json_integer(5000));
        json_object_set_new(e, "error", json_string("internal error"));
        out = e;
    }
    return out;
}

void plugin_setup_media(janus_plugin_session* handle) {
    guarded_void("setup_media", [&] {
        if (ready()) core->media_up(handle);
    });
}

// The media callbacks: no guard is needed (the core's media path is noexcept
// and allocation-free); they only check the handle is live. `plugin_handle`
// is the handle's Participant, set at create_session and cleared first thing
// in destroy_session.
Participant* media_participant(janus_plugin_session* handle) noexcept {
    if (handle == nullptr || g_atomic_int_get(&handle->stopped) || !ready()) return nullptr;
    return static_cast<Participant*>(handle->plugin_handle);
}

void plugin_incoming_rtp(janus_plugin_session* handle, janus_plugin_rtp* packet) {
    Participant* p = media_participant(handle);
    if (p == nullptr || packet == nullptr || packet->buffer == nullptr) return;
    core->on_rtp(*p, packet->mindex, packet->video != FALSE, reinterpret_cast<uint8_t*>(packet->buffer),
                 packet->length, &packet->extensions);
}

void plugin_incoming_rtcp(janus_plugin_session* handle, janus_plugin_rtcp* packet) {
    Participant* p = media_participant(handle);
    if (p == nullptr || packet == nullptr || packet->buffer == nullptr) return;
    core->on_rtcp(*p, packet->mindex, packet->video != FALSE, reinterpret_cast<const uint8_t*>(packet->buffer),
                  packet->length);
}

void plugin_incoming_data(janus_plugin_session* handle, janus_plugin_data*) {
    Participant* p = media_participant(handle);
    if (p != nullptr) core->on_data(*p);
}

void plugin_data_ready(janus_plugin_session*) {}
void plugin_slow_link(janus_plugin_session*, int, gboolean, gboolean) {}

void plugin_hangup_media(janus_plugin_session* handle) {
    guarded_void("hangup_media", [&] {
        if (ready()) core->hangup(handle);
    });
}

void plugin_destroy_session(janus_plugin_session* handle, int* error) {
    guarded_void("destroy_session", [&] {
        *error = 0;
        if (!ready()) {
            *error = -1;
            return;
        }
        // Cleared first: detach() may drop the plugin's last reference on the
        // Janus handle (release_handle), after which Janus frees it; touching
        // it afterwards was a use-after-free (found by ASan in the stack).
        handle->plugin_handle = nullptr;
        if (!core->detach(handle)) *error = -2;
    });
}

json_t* plugin_query_session(janus_plugin_session* handle) {
    return guarded("query_session", static_cast<json_t*>(nullptr), [&]() -> json_t* {
        if (!ready()) return nullptr;
        return core->query(handle).release();
    });
}

// Positional aggregate initialisation, in the declared member order of
// struct janus_plugin (JANUS_PLUGIN_INIT is C-only).
janus_plugin telemed_plugin = {
    plugin_init,
    plugin_destroy,
    plugin_get_api_compatibility,
    plugin_get_version,
    plugin_get_version_string,
    plugin_get_description,
    plugin_get_name,
    plugin_get_author,
    plugin_get_package,
    plugin_create_session,
    plugin_handle_message,
    plugin_handle_admin_message,
    plugin_setup_media,
    plugin_incoming_rtp,
    plugin_incoming_rtcp,
    plugin_incoming_data,
    plugin_data_ready,
    plugin_slow_link,
    plugin_hangup_media,
    plugin_destroy_session,
    plugin_query_session,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) janus_plugin* create(void) {
    JANUS_LOG(LOG_VERB, "%s created\n", kName);
    return &telemed_plugin;
}
