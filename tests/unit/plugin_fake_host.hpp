// Shared by the PluginCore tests (test_plugin_core.cpp, test_plugin_media.cpp):
// a recording Host, a fixture that owns a PluginCore with a few attached
// handles, token minting and small helpers that talk to the core and read
// what the host recorded.
//
// The FakeHost
//  - records every push_event (event and jsep as compact JSON), close_pc,
//    notify_event, release_handle, relay_rtp (a copy of the packet) and
//    send_pli;
//  - answers offers like Janus does for the plugin's plan, in miniature: one
//    m-line per offered m-line, same kind and mid, port 0 for Reject, the
//    plan's direction (Inactive -> inactive, Publish -> recvonly, Slot ->
//    sendonly) and only the planned codec, with the offer's payload type;
//  - has fixed clocks the tests move by hand (and a one-shot hook on the
//    monotonic clock, on_monotonic).
//
// CMocka (STYLE.md rule 12): a failing assertion longjmps past C++
// destructors. Test bodies keep to plain values; everything with a destructor
// lives in the Fixture (setup / teardown), and the helpers below return ints,
// bools and C strings owned by the fixture. Include this header after every
// other header except cmocka.h, which it includes last.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/token.hpp"
#include "plugin/plugin_core.hpp"
#include "plugin/sdp.hpp"

#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

namespace plugin_test {

using namespace telemed;
using namespace telemed::plugin;

inline constexpr const char* kKid = "k1";
inline constexpr const char* kSecret = "0123456789abcdef0123456789abcdef-one";
inline constexpr const char* kWrongSecret = "ffffffffffffffffffffffffffffffff-bad";
inline constexpr const char* kRoom = "11111111-1111-4111-8111-111111111111";
inline constexpr const char* kRoom2 = "22222222-2222-4222-8222-222222222222";
inline constexpr const char* kRoom3 = "33333333-3333-4333-8333-333333333333";
inline constexpr const char* kDoc = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
inline constexpr const char* kPat = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
inline constexpr const char* kObs = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
inline constexpr const char* kMed = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";
inline constexpr const char* kDoc2 = "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee";
inline constexpr int64_t kNow = 1800000000;
inline constexpr int64_t kMonoStart = 1000'000'000;  // 1000 s after "boot"
inline constexpr int kHandles = 6;

struct Call {
    enum Kind { Push, Close, Notify } kind;
    HostHandle h;
    bool has_txn;
    std::string txn;
    std::string json;
    std::string jsep;  // "" when the push had none
};

struct Relay {
    HostHandle h;
    int mindex;
    bool video;
    std::vector<uint8_t> bytes;
    const void* ext;
    int ext_value;  // *(const int*)ext at relay time (the tests' extension info is an int); -1 if none
};

struct Pli {
    HostHandle h;
    int mindex;
};

// Minimal answer for `plan` (see the header comment). nullopt if the offer
// cannot be read.
inline std::optional<std::string> fake_answer(const std::string& offer_text, const std::vector<sdp::MLinePlan>& plan,
                                              bool violate) {
    std::optional<sdp::Session> offer = sdp::parse(offer_text);
    if (!offer || offer->mlines.size() != plan.size()) return std::nullopt;
    std::string out = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const sdp::MLine& m = offer->mlines[i];
        const sdp::MLinePlan& p = plan[i];
        const char* kind = m.kind == sdp::Kind::Audio ? "audio"
                           : m.kind == sdp::Kind::Video ? "video"
                           : m.kind == sdp::Kind::Application ? "application"
                                                               : "text";
        std::optional<uint8_t> pt;
        if (p.use != sdp::Use::Reject && !p.codec.empty()) pt = sdp::payload_type_of(m, p.codec);
        if (!pt) {
            if (m.kind == sdp::Kind::Application)
                out += "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n";
            else
                out += std::string("m=") + kind + " 0 UDP/TLS/RTP/SAVPF 0\r\n";
            if (!m.mid.empty()) out += "a=mid:" + m.mid + "\r\n";
            continue;
        }
        const char* dir = "inactive";
        if (p.use == sdp::Use::Publish) dir = "recvonly";
        if (p.use == sdp::Use::Slot) dir = "sendonly";
        if (p.use == sdp::Use::Both) dir = "sendrecv";
        if (violate) dir = "sendrecv";
        const std::string n = std::to_string(*pt);
        out += std::string("m=") + kind + " 9 UDP/TLS/RTP/SAVPF " + n + "\r\nc=IN IP4 127.0.0.1\r\n";
        if (!m.mid.empty()) out += "a=mid:" + m.mid + "\r\n";
        out += std::string("a=") + dir + "\r\n";
        out += "a=rtpmap:" + n + (m.kind == sdp::Kind::Audio ? " opus/48000/2\r\n" : " VP8/90000\r\n");
    }
    return out;
}

class FakeHost final : public Host {
public:
    enum class Answer { Normal, Fail, Violate };

    void push_event(HostHandle h, const char* transaction, const json_t* event, const json_t* jsep) override {
        record(Call{Call::Push, h, transaction != nullptr, transaction ? transaction : "", json_dump(event),
                    jsep ? json_dump(jsep) : ""});
    }
    std::optional<std::string> answer_offer(const std::string& offer, const std::vector<sdp::MLinePlan>& plan,
                                            std::string* error) override {
        {
            std::lock_guard lk(mu);
            ++answers;
            last_plan = plan;
        }
        if (answer_mode == Answer::Fail) {
            if (error) *error = "refused by the fake host";
            return std::nullopt;
        }
        return fake_answer(offer, plan, answer_mode == Answer::Violate);
    }
    void relay_rtp(HostHandle h, int mindex, bool video, uint8_t* buf, std::size_t len,
                   const void* ext) noexcept override {
        relay_total.fetch_add(1, std::memory_order_relaxed);
        if (!record_relays.load(std::memory_order_relaxed)) return;
        std::lock_guard lk(mu);
        relays.push_back(Relay{h, mindex, video, std::vector<uint8_t>(buf, buf + len), ext,
                               ext != nullptr ? *static_cast<const int*>(ext) : -1});
    }
    std::size_t rtp_extensions_size() const noexcept override { return sizeof(int); }
    void send_pli(HostHandle h, int mindex) noexcept override {
        std::lock_guard lk(mu);
        plis.push_back(Pli{h, mindex});
    }
    int64_t now_monotonic_us() noexcept override {
        if (on_monotonic) {  // one shot: another thread's work at this point
            std::function<void()> fn = std::move(on_monotonic);
            on_monotonic = nullptr;
            fn();
        }
        return mono_us;
    }
    void close_pc(HostHandle h) override { record(Call{Call::Close, h, false, "", "", ""}); }
    void notify_event(HostHandle h, Json event) override {
        record(Call{Call::Notify, h, false, "", json_dump(event.get()), ""});
    }
    void release_handle(HostHandle h) noexcept override {
        {
            std::lock_guard lk(mu);
            released.push_back(h);
        }
        cv.notify_all();
    }
    int64_t now_unix() override { return now; }
    void log(LogLevel, std::string_view line) override {
        std::lock_guard lk(mu);
        logs.emplace_back(line);
    }

    // ---- recording: files in memory ----
    struct FakeRecorder {
        std::string dir, codec, name;
        int writes = 0;
        bool closed = false;
        std::vector<uint16_t> seqs;  // RTP sequence numbers written
    };
    bool make_dirs(const std::string& path) override {
        std::lock_guard lk(mu);
        if (fail_dirs) return false;
        dirs.push_back(path);
        return true;
    }
    void* open_recorder(const std::string& dir, const std::string& codec, const std::string& name) override {
        std::lock_guard lk(mu);
        if (fail_open) return nullptr;
        recorders.push_back(std::make_unique<FakeRecorder>(FakeRecorder{dir, codec, name, 0, false, {}}));
        return recorders.back().get();
    }
    int write_recorder(void* rec, uint8_t* buf, std::size_t len) noexcept override {
        auto* r = static_cast<FakeRecorder*>(rec);
        if (r->closed) return -100;  // a write after close: the tests look for this
        if (fail_writes.load()) return -6;
        ++r->writes;
        if (len >= 4) r->seqs.push_back(static_cast<uint16_t>((buf[2] << 8) | buf[3]));
        return 0;
    }
    void close_recorder(void* rec) override {
        std::lock_guard lk(mu);
        static_cast<FakeRecorder*>(rec)->closed = true;
    }
    bool write_file_atomic(const std::string& path, const std::string& content) override {
        std::lock_guard lk(mu);
        files[path] = content;
        return true;
    }
    int64_t now_unix_micros() override { return now * 1000000; }

    void record(Call c) {
        {
            std::lock_guard lk(mu);
            calls.push_back(std::move(c));
        }
        cv.notify_all();
    }

    std::mutex mu;
    std::condition_variable cv;
    std::vector<Call> calls;
    std::vector<Relay> relays;
    std::atomic<bool> record_relays{true};  // false: relay_rtp only counts (stress tests)
    std::atomic<long> relay_total{0};
    std::vector<Pli> plis;
    std::vector<HostHandle> released;
    std::vector<std::string> logs;
    std::vector<sdp::MLinePlan> last_plan;
    int answers = 0;
    Answer answer_mode = Answer::Normal;
    int64_t now = kNow;
    int64_t mono_us = kMonoStart;
    std::vector<std::string> dirs;
    std::vector<std::unique_ptr<FakeRecorder>> recorders;
    std::map<std::string, std::string> files;
    bool fail_dirs = false;
    bool fail_open = false;
    std::atomic<bool> fail_writes{false};
    // Run once at the next now_monotonic_us() call, then cleared: lets a test
    // put a control-plane call (media_up...) between two steps of the media
    // path, where another thread could run it.
    std::function<void()> on_monotonic;
};

struct Fixture {
    FakeHost host;
    std::unique_ptr<PluginCore> core;
    char slots[kHandles] = {};
    std::deque<std::string> kept;  // C strings handed to test bodies
    std::string last_admin;
    int txn_counter = 0;
    // The plugin's worker thread runs (start_worker below): requests are
    // answered on it, so the helpers wait for the answer instead of running
    // the queue with drain() (which must not be mixed with the worker).
    bool worker = false;
};

inline Fixture* F(void** state) { return static_cast<Fixture*>(*state); }
inline HostHandle H(Fixture* f, int i) { return &f->slots[i]; }

inline void start_worker(Fixture* f) {
    f->worker = true;
    f->core->start_worker();
}

inline void stop_worker(Fixture* f) {
    f->core->stop_worker();
    f->worker = false;
}

// Waits (5 s at most) until transaction `txn` on handle h was answered.
inline bool wait_for_reply(Fixture* f, int h, const char* txn) {
    std::unique_lock lk(f->host.mu);
    return f->host.cv.wait_for(lk, std::chrono::seconds(5), [&] {
        for (const Call& c : f->host.calls)
            if (c.kind == Call::Push && c.h == H(f, h) && c.has_txn && c.txn == txn) return true;
        return false;
    });
}

inline const char* keep(Fixture* f, std::string s) {
    f->kept.push_back(std::move(s));
    return f->kept.back().c_str();
}

inline PluginConfig test_config(bool events) {
    PluginConfig c;
    c.token_keys = std::string(kKid) + ":" + kSecret;
    c.max_rooms = 3;
    c.max_participants_per_room = 3;
    c.events = events;
    return c;
}

inline Fixture* make_fixture(PluginConfig config) {
    auto* f = new Fixture;
    KeyRing keys;
    keys.add(kKid, kSecret);
    f->core = std::make_unique<PluginCore>(f->host, std::move(config), std::move(keys));
    for (int i = 0; i < kHandles; ++i) f->core->attach(H(f, i));
    return f;
}

inline int teardown(void** state) {
    delete F(state);
    return 0;
}

// ---- tokens ----

struct Mods {
    const char* iss = "telemed-controller";
    int64_t nbf_offset = 0;
    int64_t exp_offset = 300;
    const char* kid = kKid;
    const char* secret = kSecret;
};

inline const char* token(Fixture* f, const char* pid, const char* room, Role role, PermissionSet perms,
                         Mods m = {}) {
    TokenClaims c;
    c.iss = m.iss;
    c.sub = pid;
    c.sid = room;
    c.role = role;
    c.perms = perms;
    c.iat = f->host.now;
    c.nbf = f->host.now + m.nbf_offset;
    c.exp = f->host.now + m.exp_offset;
    c.jti = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f";
    return keep(f, mint_token(c, m.kid, m.secret));
}

inline const char* doctor_token(Fixture* f, const char* pid = kDoc, const char* room = kRoom) {
    return token(f, pid, room, Role::Doctor, kAllPermissions);
}
inline const char* patient_token(Fixture* f, const char* pid = kPat, const char* room = kRoom) {
    return token(f, pid, room, Role::Patient, default_permissions(Role::Patient, SessionKind::Consultation));
}
inline const char* observer_token(Fixture* f, const char* pid = kObs, const char* room = kRoom) {
    return token(f, pid, room, Role::Observer, default_permissions(Role::Observer, SessionKind::Consultation));
}
// Paramedic in an emergency: everything but record (moderate, bypass_lobby, screen).
inline const char* paramedic_token(Fixture* f, const char* pid = kMed, const char* room = kRoom) {
    return token(f, pid, room, Role::Paramedic, default_permissions(Role::Paramedic, SessionKind::Emergency));
}

// ---- talking to the core ----

inline int admin(Fixture* f, const char* body) {
    json_error_t err;
    Json req(json_loads(body, 0, &err));
    if (!req) return -1;
    Json resp = f->core->handle_admin(req.get());
    f->last_admin = json_dump(resp.get());
    const char* kind = json_string_value(json_object_get(resp.get(), "telemed"));
    if (kind && std::strcmp(kind, "error") == 0)
        return static_cast<int>(json_integer_value(json_object_get(resp.get(), "error_code")));
    return 0;
}

inline int create_room(Fixture* f, const char* room, const char* state = "active", const char* extra = "") {
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "{\"request\":\"create_room\",\"room\":\"%s\",\"kind\":\"consultation\",\"state\":\"%s\"%s}", room,
                  state, extra);
    return admin(f, buf);
}

inline int set_permissions(Fixture* f, const char* pid, const char* perms_json) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"request\":\"set_permissions\",\"room\":\"%s\",\"participant_id\":\"%s\",\"permissions\":%s}",
                  kRoom, pid, perms_json);
    return admin(f, buf);
}

inline long long admin_int(Fixture* f, const char* key) {
    json_error_t err;
    Json j(json_loads(f->last_admin.c_str(), 0, &err));
    json_t* v = json_object_get(j.get(), key);
    if (json_is_boolean(v)) return json_is_true(v) ? 1 : 0;
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

inline const char* admin_str(Fixture* f, const char* key) {
    json_error_t err;
    Json j(json_loads(f->last_admin.c_str(), 0, &err));
    const char* v = json_string_value(json_object_get(j.get(), key));
    return keep(f, v ? v : "(none)");
}

// Sends a client message with an optional jsep (JSON text), runs the queue;
// returns the enqueue result.
inline int send_jsep(Fixture* f, int h, const char* body, const char* txn, const char* jsep_json) {
    json_error_t err;
    Json msg(json_loads(body, JSON_DECODE_ANY, &err));
    Json jsep(jsep_json ? json_loads(jsep_json, JSON_DECODE_ANY, &err) : nullptr);
    auto r = f->core->enqueue_message(H(f, h), txn ? std::optional<std::string>(txn) : std::nullopt, std::move(msg),
                                      std::move(jsep));
    if (!f->worker)
        f->core->drain();
    else if (txn && r == PluginCore::Enqueued::Ok)
        wait_for_reply(f, h, txn);
    return static_cast<int>(r);
}

inline int send(Fixture* f, int h, const char* body, const char* txn, bool with_jsep = false) {
    return send_jsep(f, h, body, txn, with_jsep ? "{\"type\":\"offer\",\"sdp\":\"v=0\"}" : nullptr);
}

// The answer to transaction `txn` on handle h: its error_code, 0 for a
// non-error event, -1 if there is none.
inline int reply(Fixture* f, int h, const char* txn) {
    std::lock_guard lk(f->host.mu);  // the worker thread may be pushing
    for (const Call& c : f->host.calls) {
        if (c.kind != Call::Push || c.h != H(f, h) || !c.has_txn || c.txn != txn) continue;
        json_error_t err;
        Json j(json_loads(c.json.c_str(), 0, &err));
        const char* kind = json_string_value(json_object_get(j.get(), "telemed"));
        if (kind && std::strcmp(kind, "error") == 0)
            return static_cast<int>(json_integer_value(json_object_get(j.get(), "error_code")));
        return 0;
    }
    return -1;
}

// Number of pushes on transaction `txn` to h (a request is answered once).
inline int replies(Fixture* f, int h, const char* txn) {
    int n = 0;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Push && c.h == H(f, h) && c.has_txn && c.txn == txn) ++n;
    return n;
}

inline const char* next_txn(Fixture* f) { return keep(f, "t" + std::to_string(++f->txn_counter)); }

inline int request(Fixture* f, int h, const char* body) {
    const char* txn = next_txn(f);
    send(f, h, body, txn);
    return reply(f, h, txn);
}

inline int join(Fixture* f, int h, const char* tok, const char* session_id = nullptr) {
    std::string body = std::string("{\"request\":\"join\",\"token\":\"") + tok + "\"";
    if (session_id) body += std::string(",\"session_id\":\"") + session_id + "\"";
    body += "}";
    return request(f, h, body.c_str());
}

inline int leave(Fixture* f, int h) { return request(f, h, "{\"request\":\"leave\"}"); }

// {"request":verb,"participant_id":pid} (admit / deny / kick).
inline int moderate(Fixture* f, int h, const char* verb, const char* pid) {
    char body[256];
    std::snprintf(body, sizeof body, "{\"request\":\"%s\",\"participant_id\":\"%s\"}", verb, pid);
    return request(f, h, body);
}

// mute / unmute; pid null: no participant_id (self).
inline int mute(Fixture* f, int h, const char* verb, const char* pid, const char* media) {
    char body[256];
    if (pid)
        std::snprintf(body, sizeof body, "{\"request\":\"%s\",\"participant_id\":\"%s\",\"media\":\"%s\"}", verb, pid,
                      media);
    else
        std::snprintf(body, sizeof body, "{\"request\":\"%s\",\"media\":\"%s\"}", verb, media);
    return request(f, h, body);
}

// Does the push look like {"telemed":kind,...}?
inline bool is_kind(const Call& c, const char* kind) {
    return c.json.find(std::string("\"telemed\":\"") + kind + "\"") != std::string::npos;
}

// Pushes to handle h whose "telemed" is `kind` (any transaction).
inline int count(Fixture* f, int h, const char* kind) {
    int n = 0;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Push && c.h == H(f, h) && is_kind(c, kind)) ++n;
    return n;
}

inline int closes(Fixture* f, int h) {
    int n = 0;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Close && c.h == H(f, h)) ++n;
    return n;
}

inline int notifications(Fixture* f, const char* event) {
    int n = 0;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Notify && c.json.find(std::string("\"event\":\"") + event + "\"") != std::string::npos) ++n;
    return n;
}

// Index of the last push of `kind` to h in the call log, -1 if none.
inline int index_of_last(Fixture* f, int h, const char* kind) {
    int idx = -1;
    for (std::size_t i = 0; i < f->host.calls.size(); ++i) {
        const Call& c = f->host.calls[i];
        if (c.kind == Call::Push && c.h == H(f, h) && is_kind(c, kind)) idx = static_cast<int>(i);
    }
    return idx;
}

inline int index_of_close(Fixture* f, int h) {
    for (std::size_t i = 0; i < f->host.calls.size(); ++i)
        if (f->host.calls[i].kind == Call::Close && f->host.calls[i].h == H(f, h)) return static_cast<int>(i);
    return -1;
}

// The last `kind` event to h, parsed (null if none).
inline Json last_event(Fixture* f, int h, const char* kind) {
    std::lock_guard lk(f->host.mu);  // the worker thread may be pushing
    int idx = index_of_last(f, h, kind);
    if (idx < 0) return nullptr;
    json_error_t err;
    return Json(json_loads(f->host.calls[static_cast<std::size_t>(idx)].json.c_str(), 0, &err));
}

// A string field of the last `kind` event to h.
inline const char* field(Fixture* f, int h, const char* kind, const char* key) {
    Json j = last_event(f, h, kind);
    if (!j) return "(no event)";
    const char* v = json_string_value(json_object_get(j.get(), key));
    return keep(f, v ? v : "(none)");
}

// The compact JSON of member `key` of the last `kind` event to h.
inline const char* field_json(Fixture* f, int h, const char* kind, const char* key) {
    Json j = last_event(f, h, kind);
    if (!j) return "(no event)";
    json_t* v = json_object_get(j.get(), key);
    return keep(f, v ? json_dump(v) : "(none)");
}

// Size of the array `key` in the last `kind` event to h (-1 if none).
inline int array_size(Fixture* f, int h, const char* kind, const char* key) {
    Json j = last_event(f, h, kind);
    if (!j) return -1;
    json_t* a = json_object_get(j.get(), key);
    return json_is_array(a) ? static_cast<int>(json_array_size(a)) : -1;
}

// "permissions" of the last `kind` event to h as a bit set.
inline long perms_of(Fixture* f, int h, const char* kind) {
    Json j = last_event(f, h, kind);
    if (!j) return -1;
    json_t* a = json_object_get(j.get(), "permissions");
    if (!json_is_array(a)) return -1;
    PermissionSet s = 0;
    std::size_t i;
    json_t* v;
    json_array_foreach(a, i, v) {
        auto p = parse_permission(json_string_value(v));
        if (!p) return -2;
        s |= bit(*p);
    }
    return static_cast<long>(s);
}

inline long caps(Fixture* f, int h) {
    Participant* p = f->core->find_raw(H(f, h));
    return p ? static_cast<long>(p->capabilities()) : -1;
}

inline long query_joined(Fixture* f, int h) {
    Json q = f->core->query(H(f, h));
    if (!q) return -1;
    return json_is_true(json_object_get(q.get(), "joined")) ? 1 : 0;
}

inline const char* query_dump(Fixture* f, int h) {
    Json q = f->core->query(H(f, h));
    return keep(f, q ? json_dump(q.get()) : "null");
}

inline void clear_calls(Fixture* f) {
    f->host.calls.clear();
    f->host.relays.clear();
    f->host.plis.clear();
}

inline bool logs_contain(Fixture* f, const char* needle) {
    for (const std::string& l : f->host.logs)
        if (l.find(needle) != std::string::npos) return true;
    return false;
}

inline bool calls_contain(Fixture* f, const char* needle) {
    for (const Call& c : f->host.calls)
        if (c.json.find(needle) != std::string::npos || c.jsep.find(needle) != std::string::npos) return true;
    return false;
}

// Queues a join without running the queue; returns the Enqueued value.
inline int enqueue_join(Fixture* f, int h, const char* tok, const char* txn) {
    std::string body = std::string("{\"request\":\"join\",\"token\":\"") + tok + "\"}";
    json_error_t err;
    return static_cast<int>(
        f->core->enqueue_message(H(f, h), std::string(txn), Json(json_loads(body.c_str(), 0, &err)), nullptr));
}

inline int released_count(Fixture* f, int h) {
    int n = 0;
    for (HostHandle x : f->host.released)
        if (x == H(f, h)) ++n;
    return n;
}

// The room_info entry of `pid` in kRoom, as compact JSON ("(none)" if absent).
inline const char* room_member(Fixture* f, const char* pid) {
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"room_info\",\"room\":\"%s\"}", kRoom);
    if (admin(f, body) != 0) return "(no room)";
    json_error_t err;
    Json j(json_loads(f->last_admin.c_str(), 0, &err));
    std::size_t i;
    json_t* v;
    json_array_foreach(json_object_get(j.get(), "participants"), i, v) {
        const char* id = json_string_value(json_object_get(v, "participant_id"));
        if (id && std::strcmp(id, pid) == 0) return keep(f, json_dump(v));
    }
    return "(none)";
}

// room_info stats counter `key` of `pid` in kRoom (-1 if absent).
inline long long stat_of(Fixture* f, const char* pid, const char* key) {
    json_error_t err;
    Json j(json_loads(room_member(f, pid), 0, &err));
    json_t* v = json_object_get(json_object_get(j.get(), "stats"), key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

// Does `haystack` contain `needle`?
inline bool has_text(const char* haystack, const char* needle) { return std::strstr(haystack, needle) != nullptr; }

}  // namespace plugin_test
