// plugin/plugin_core (+ admin.cpp): the control plane driven through a fake
// Host that records every push_event / close_pc / notify_event / handle
// release, with a fixed clock. Queued work is run with drain() on the test
// thread, except in the worker-thread test.
//
// Test bodies keep to plain values (a failing CMocka assertion longjmps past
// C++ destructors); the fixture lives in setup/teardown state and the helpers
// return ints, bools and C strings owned by the fixture.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/token.hpp"
#include "plugin/plugin_core.hpp"

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

constexpr const char* kKid = "k1";
constexpr const char* kSecret = "0123456789abcdef0123456789abcdef-one";
constexpr const char* kWrongSecret = "ffffffffffffffffffffffffffffffff-bad";
constexpr const char* kRoom = "11111111-1111-4111-8111-111111111111";
constexpr const char* kRoom2 = "22222222-2222-4222-8222-222222222222";
constexpr const char* kRoom3 = "33333333-3333-4333-8333-333333333333";
constexpr const char* kDoc = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
constexpr const char* kPat = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
constexpr const char* kObs = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
constexpr const char* kMed = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";
constexpr int64_t kNow = 1800000000;
constexpr int kHandles = 6;

struct Call {
    enum Kind { Push, Close, Notify } kind;
    HostHandle h;
    bool has_txn;
    std::string txn;
    std::string json;
};

class FakeHost final : public Host {
public:
    void push_event(HostHandle h, const char* transaction, const json_t* event) override {
        record(Call{Call::Push, h, transaction != nullptr, transaction ? transaction : "", json_dump(event)});
    }
    void close_pc(HostHandle h) override { record(Call{Call::Close, h, false, "", ""}); }
    void notify_event(HostHandle h, Json event) override {
        record(Call{Call::Notify, h, false, "", json_dump(event.get())});
    }
    void release_handle(HostHandle h) noexcept override {
        std::lock_guard lk(mu);
        released.push_back(h);
    }
    int64_t now_unix() override { return now; }
    void log(LogLevel, std::string_view line) override {
        std::lock_guard lk(mu);
        logs.emplace_back(line);
    }

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
    std::vector<HostHandle> released;
    std::vector<std::string> logs;
    int64_t now = kNow;
};

struct Fixture {
    FakeHost host;
    std::unique_ptr<PluginCore> core;
    char slots[kHandles] = {};
    std::deque<std::string> kept;  // C strings handed to test bodies
    std::string last_admin;
    int txn_counter = 0;
};

Fixture* F(void** state) { return static_cast<Fixture*>(*state); }
HostHandle H(Fixture* f, int i) { return &f->slots[i]; }

const char* keep(Fixture* f, std::string s) {
    f->kept.push_back(std::move(s));
    return f->kept.back().c_str();
}

PluginConfig test_config(bool events) {
    PluginConfig c;
    c.token_keys = std::string(kKid) + ":" + kSecret;
    c.max_rooms = 3;
    c.max_participants_per_room = 3;
    c.events = events;
    return c;
}

Fixture* make_fixture(bool events) {
    auto* f = new Fixture;
    KeyRing keys;
    keys.add(kKid, kSecret);
    f->core = std::make_unique<PluginCore>(f->host, test_config(events), std::move(keys));
    for (int i = 0; i < kHandles; ++i) f->core->attach(H(f, i));
    return f;
}

int setup(void** state) {
    *state = make_fixture(true);
    return 0;
}
int setup_no_events(void** state) {
    *state = make_fixture(false);
    return 0;
}
int teardown(void** state) {
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

const char* token(Fixture* f, const char* pid, const char* room, Role role, PermissionSet perms, Mods m = {}) {
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

const char* doctor_token(Fixture* f, const char* pid = kDoc, const char* room = kRoom) {
    return token(f, pid, room, Role::Doctor, kAllPermissions);
}
const char* patient_token(Fixture* f, const char* pid = kPat, const char* room = kRoom) {
    return token(f, pid, room, Role::Patient, default_permissions(Role::Patient, SessionKind::Consultation));
}

// A hand-made JWT: header and payload JSON as given, HS256 over them.
const char* crafted(Fixture* f, const char* header, const char* payload, const char* secret = kSecret) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    std::string sig = hmac_sha256(secret, input);
    return keep(f, input + "." + base64url_encode(sig));
}

const char* payload_with(Fixture* f, const char* aud, const char* role_json) {
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "{\"iss\":\"telemed-controller\",\"aud\":\"%s\",\"sub\":\"%s\",\"sid\":\"%s\",%s"
                  "\"perms\":[\"chat\"],\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j-1\"}",
                  aud, kPat, kRoom, role_json, static_cast<long long>(f->host.now),
                  static_cast<long long>(f->host.now), static_cast<long long>(f->host.now + 300));
    return keep(f, buf);
}

// ---- talking to the core ----

int admin(Fixture* f, const char* body) {
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

int create_room(Fixture* f, const char* room, const char* state = "active", const char* extra = "") {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"request\":\"create_room\",\"room\":\"%s\",\"kind\":\"consultation\",\"state\":\"%s\"%s}", room,
                  state, extra);
    return admin(f, buf);
}

long long admin_int(Fixture* f, const char* key) {
    json_error_t err;
    Json j(json_loads(f->last_admin.c_str(), 0, &err));
    json_t* v = json_object_get(j.get(), key);
    if (json_is_boolean(v)) return json_is_true(v) ? 1 : 0;
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

const char* admin_str(Fixture* f, const char* key) {
    json_error_t err;
    Json j(json_loads(f->last_admin.c_str(), 0, &err));
    const char* v = json_string_value(json_object_get(j.get(), key));
    return keep(f, v ? v : "(none)");
}

// Sends a client message, runs the queue; returns the enqueue result.
int send(Fixture* f, int h, const char* body, const char* txn, bool with_jsep = false) {
    json_error_t err;
    Json msg(json_loads(body, JSON_DECODE_ANY, &err));
    Json jsep(with_jsep ? json_pack("{s:s,s:s}", "type", "offer", "sdp", "v=0") : nullptr);
    auto r = f->core->enqueue_message(H(f, h), txn ? std::optional<std::string>(txn) : std::nullopt, std::move(msg),
                                      std::move(jsep));
    f->core->drain();
    return static_cast<int>(r);
}

// The answer to transaction `txn` on handle h: its error_code, 0 for a
// non-error event, -1 if there is none.
int reply(Fixture* f, int h, const char* txn) {
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

const char* next_txn(Fixture* f) { return keep(f, "t" + std::to_string(++f->txn_counter)); }

int request(Fixture* f, int h, const char* body) {
    const char* txn = next_txn(f);
    send(f, h, body, txn);
    return reply(f, h, txn);
}

int join(Fixture* f, int h, const char* tok, const char* session_id = nullptr) {
    std::string body = std::string("{\"request\":\"join\",\"token\":\"") + tok + "\"";
    if (session_id) body += std::string(",\"session_id\":\"") + session_id + "\"";
    body += "}";
    return request(f, h, body.c_str());
}

int leave(Fixture* f, int h) { return request(f, h, "{\"request\":\"leave\"}"); }

// Pushes to handle h whose "telemed" is `kind` (any transaction).
int count(Fixture* f, int h, const char* kind) {
    int n = 0;
    for (const Call& c : f->host.calls) {
        if (c.kind != Call::Push || c.h != H(f, h)) continue;
        if (c.json.find(std::string("\"telemed\":\"") + kind + "\"") != std::string::npos) ++n;
    }
    return n;
}

int closes(Fixture* f, int h) {
    int n = 0;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Close && c.h == H(f, h)) ++n;
    return n;
}

int notifications(Fixture* f, const char* event) {
    int n = 0;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Notify && c.json.find(std::string("\"event\":\"") + event + "\"") != std::string::npos) ++n;
    return n;
}

// Index of the last push of `kind` to h in the call log, -1 if none.
int index_of_last(Fixture* f, int h, const char* kind) {
    int idx = -1;
    for (std::size_t i = 0; i < f->host.calls.size(); ++i) {
        const Call& c = f->host.calls[i];
        if (c.kind == Call::Push && c.h == H(f, h) &&
            c.json.find(std::string("\"telemed\":\"") + kind + "\"") != std::string::npos)
            idx = static_cast<int>(i);
    }
    return idx;
}

int index_of_close(Fixture* f, int h) {
    for (std::size_t i = 0; i < f->host.calls.size(); ++i)
        if (f->host.calls[i].kind == Call::Close && f->host.calls[i].h == H(f, h)) return static_cast<int>(i);
    return -1;
}

// A string field of the last `kind` event to h.
const char* field(Fixture* f, int h, const char* kind, const char* key) {
    int idx = index_of_last(f, h, kind);
    if (idx < 0) return "(no event)";
    json_error_t err;
    Json j(json_loads(f->host.calls[static_cast<std::size_t>(idx)].json.c_str(), 0, &err));
    const char* v = json_string_value(json_object_get(j.get(), key));
    return keep(f, v ? v : "(none)");
}

// Size of the array `key` in the last `kind` event to h (-1 if none).
int array_size(Fixture* f, int h, const char* kind, const char* key) {
    int idx = index_of_last(f, h, kind);
    if (idx < 0) return -1;
    json_error_t err;
    Json j(json_loads(f->host.calls[static_cast<std::size_t>(idx)].json.c_str(), 0, &err));
    json_t* a = json_object_get(j.get(), key);
    return json_is_array(a) ? static_cast<int>(json_array_size(a)) : -1;
}

// "permissions" of the last `kind` event to h as a bit set.
long perms_of(Fixture* f, int h, const char* kind) {
    int idx = index_of_last(f, h, kind);
    if (idx < 0) return -1;
    json_error_t err;
    Json j(json_loads(f->host.calls[static_cast<std::size_t>(idx)].json.c_str(), 0, &err));
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

long caps(Fixture* f, int h) {
    Participant* p = f->core->find_raw(H(f, h));
    return p ? static_cast<long>(p->capabilities()) : -1;
}

long query_joined(Fixture* f, int h) {
    Json q = f->core->query(H(f, h));
    if (!q) return -1;
    return json_is_true(json_object_get(q.get(), "joined")) ? 1 : 0;
}

const char* query_dump(Fixture* f, int h) {
    Json q = f->core->query(H(f, h));
    return keep(f, q ? json_dump(q.get()) : "null");
}

void clear_calls(Fixture* f) { f->host.calls.clear(); }

bool logs_contain(Fixture* f, const char* needle) {
    for (const std::string& l : f->host.logs)
        if (l.find(needle) != std::string::npos) return true;
    return false;
}

bool calls_contain(Fixture* f, const char* needle) {
    for (const Call& c : f->host.calls)
        if (c.json.find(needle) != std::string::npos) return true;
    return false;
}

// Queues a join without running the queue; returns the Enqueued value.
int enqueue_join(Fixture* f, int h, const char* tok, const char* txn) {
    std::string body = std::string("{\"request\":\"join\",\"token\":\"") + tok + "\"}";
    json_error_t err;
    return static_cast<int>(
        f->core->enqueue_message(H(f, h), std::string(txn), Json(json_loads(body.c_str(), 0, &err)), nullptr));
}

int released_count(Fixture* f, int h) {
    int n = 0;
    for (HostHandle x : f->host.released)
        if (x == H(f, h)) ++n;
    return n;
}

}  // namespace

// ---------------------------------------------------------------- join

static void join_succeeds_with_token_claims(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "active"), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_string_equal(field(f, 0, "joined", "participant_id"), kDoc);
    assert_string_equal(field(f, 0, "joined", "session_id"), kRoom);
    assert_string_equal(field(f, 0, "joined", "role"), "doctor");
    assert_string_equal(field(f, 0, "joined", "session_state"), "active");
    assert_int_equal(perms_of(f, 0, "joined"), kAllPermissions);
    assert_int_equal(array_size(f, 0, "joined", "participants"), 0);
    assert_int_equal(caps(f, 0), kAllPermissions);
    assert_int_equal(query_joined(f, 0), 1);
    assert_int_equal(notifications(f, "joined"), 1);
}

static void join_reports_scheduled_state(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "scheduled"), 0);
    assert_int_equal(join(f, 0, patient_token(f)), 0);
    assert_string_equal(field(f, 0, "joined", "session_state"), "scheduled");
    assert_int_equal(caps(f, 0), default_permissions(Role::Patient, SessionKind::Consultation));
}

static void others_get_roster_updates(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_int_equal(array_size(f, 1, "joined", "participants"), 1);  // sees the doctor
    assert_int_equal(count(f, 0, "participants"), 1);                // doctor told about the patient
    assert_int_equal(array_size(f, 0, "participants", "participants"), 1);
    assert_true(f->host.calls[static_cast<std::size_t>(index_of_last(f, 0, "participants"))].has_txn == false);
    assert_int_equal(leave(f, 1), 0);
    assert_int_equal(count(f, 0, "participants"), 2);
    assert_int_equal(array_size(f, 0, "participants", "participants"), 0);
}

static void token_errors_map_to_codes(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    const char* hs = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
    Mods wrong_iss;
    wrong_iss.iss = "someone-else";
    Mods early;
    early.nbf_offset = 3600;
    Mods late;
    late.nbf_offset = -7200;
    late.exp_offset = -3600;
    Mods unknown_kid;
    unknown_kid.kid = "k9";
    Mods bad_sig;
    bad_sig.secret = kWrongSecret;

    assert_int_equal(join(f, 0, "not-a-jwt"), 4010);
    assert_int_equal(join(f, 0, crafted(f, "{\"alg\":\"none\",\"kid\":\"k1\"}", payload_with(f, "janus.plugin.telemed", "\"role\":\"patient\","))), 4011);
    assert_int_equal(join(f, 0, crafted(f, "{\"alg\":\"HS512\",\"kid\":\"k1\"}", payload_with(f, "janus.plugin.telemed", "\"role\":\"patient\","))), 4011);
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, 0, unknown_kid)), 4012);
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, 0, bad_sig)), 4013);
    assert_int_equal(join(f, 0, crafted(f, hs, payload_with(f, "janus.plugin.videoroom", "\"role\":\"patient\","))), 4014);
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, 0, wrong_iss)), 4015);
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, 0, early)), 4016);
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, 0, late)), 4017);
    assert_int_equal(join(f, 0, crafted(f, hs, payload_with(f, "janus.plugin.telemed", "\"role\":\"king\","))), 4018);
    assert_int_equal(join(f, 0, crafted(f, hs, payload_with(f, "janus.plugin.telemed", ""))), 4018);
    // The crafted path itself is sound: the same payload with a real role joins.
    assert_int_equal(join(f, 0, crafted(f, hs, payload_with(f, "janus.plugin.telemed", "\"role\":\"patient\","))), 0);
    assert_int_equal(perms_of(f, 0, "joined"), bit(Permission::Chat));
}

static void clock_skew_is_honoured(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    Mods slightly_early;
    slightly_early.nbf_offset = 20;  // within the default 30 s leeway
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, 0, slightly_early)), 0);
    Mods just_expired;
    just_expired.nbf_offset = -600;
    just_expired.exp_offset = -20;  // expired 20 s ago: still inside the leeway
    assert_int_equal(join(f, 1, token(f, kDoc, kRoom, Role::Doctor, 0, just_expired)), 0);
}

static void session_id_must_match_token(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    create_room(f, kRoom2);
    assert_int_equal(join(f, 0, doctor_token(f), kRoom2), 4019);
    assert_int_equal(query_joined(f, 0), 0);
    assert_int_equal(join(f, 0, doctor_token(f), "11111111-1111-4111-8111-111111111111"), 0);
}

static void room_must_exist(void** state) {
    Fixture* f = F(state);
    assert_int_equal(join(f, 0, doctor_token(f)), 4040);
    assert_int_equal(caps(f, 0), 0);
}

static void join_twice_on_one_handle(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 4030);
    assert_int_equal(join(f, 0, patient_token(f)), 4030);
    assert_int_equal(caps(f, 0), kAllPermissions);
}

static void room_full(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);  // fixture: 3 participants per room
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_int_equal(join(f, 2, patient_token(f, kObs)), 0);
    assert_int_equal(join(f, 3, patient_token(f, kMed)), 4090);
    // Replacing an existing participant does not need a free seat.
    assert_int_equal(join(f, 4, patient_token(f, kObs)), 0);
}

static void jsep_and_bad_bodies_refused(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    const char* txn = next_txn(f);
    send(f, 0, "{\"request\":\"leave\"}", txn, true);
    assert_int_equal(reply(f, 0, txn), 4003);
    assert_int_equal(request(f, 0, "[\"join\"]"), 4001);
    assert_int_equal(request(f, 0, "{\"request\":\"dance\"}"), 4002);
    assert_int_equal(request(f, 0, "{\"request\":\"join\",\"tokn\":\"x\"}"), 4003);
}

// ---------------------------------------------------------------- leave

static void leave_rules(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    assert_int_equal(leave(f, 0), 4031);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(leave(f, 0), 0);
    assert_int_equal(count(f, 0, "left"), 1);
    assert_int_equal(caps(f, 0), 0);
    assert_int_equal(query_joined(f, 0), 0);
    assert_int_equal(leave(f, 0), 4031);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);  // may join again
}

// ---------------------------------------------------------------- kick

static void kick_connected_participant(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    clear_calls(f);
    char body[256];
    std::snprintf(body, sizeof body, "{\"request\":\"kick\",\"room\":\"%s\",\"participant_id\":\"%s\",\"reason\":\"x\"}",
                  kRoom, kPat);
    assert_int_equal(admin(f, body), 0);
    assert_string_equal(admin_str(f, "telemed"), "kicked");
    assert_int_equal(admin_int(f, "connected"), 1);
    assert_int_equal(caps(f, 1), 0);  // at once, before any queued event runs
    f->core->drain();
    assert_int_equal(count(f, 1, "kicked"), 1);
    assert_string_equal(field(f, 1, "kicked", "reason"), "removed");
    assert_int_equal(closes(f, 1), 1);
    assert_true(index_of_last(f, 1, "kicked") < index_of_close(f, 1));  // event first, then close_pc
    assert_int_equal(array_size(f, 0, "participants", "participants"), 0);
    assert_int_equal(query_joined(f, 1), 0);
    // Banned: every token for this participant id is dead in this room.
    assert_int_equal(join(f, 1, patient_token(f)), 4020);
    assert_int_equal(join(f, 2, patient_token(f)), 4020);
    // Not in another room.
    create_room(f, kRoom2);
    assert_int_equal(join(f, 2, patient_token(f, kPat, kRoom2)), 0);
}

static void kick_before_join_bans(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    char body[256];
    std::snprintf(body, sizeof body, "{\"request\":\"kick\",\"room\":\"%s\",\"participant_id\":\"%s\"}", kRoom, kPat);
    assert_int_equal(admin(f, body), 0);
    assert_int_equal(admin_int(f, "connected"), 0);
    assert_int_equal(join(f, 0, patient_token(f)), 4020);
    std::snprintf(body, sizeof body, "{\"request\":\"kick\",\"room\":\"%s\",\"participant_id\":\"%s\"}", kRoom3, kPat);
    assert_int_equal(admin(f, body), 4040);
}

static void create_room_revoked_list(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, patient_token(f));
    char extra[128];
    std::snprintf(extra, sizeof extra, ",\"revoked\":[\"%s\"]", kPat);
    assert_int_equal(create_room(f, kRoom, "active", extra), 0);  // upsert with a ban list
    f->core->drain();
    assert_int_equal(count(f, 0, "kicked"), 1);
    assert_int_equal(join(f, 1, patient_token(f)), 4020);
}

// ---------------------------------------------------------------- set_permissions

static void set_permissions_live_and_on_later_join(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    assert_int_equal(join(f, 0, patient_token(f)), 0);
    char body[256];
    std::snprintf(body, sizeof body,
                  "{\"request\":\"set_permissions\",\"room\":\"%s\",\"participant_id\":\"%s\","
                  "\"permissions\":[\"subscribe\",\"chat\"]}",
                  kRoom, kPat);
    assert_int_equal(admin(f, body), 0);
    assert_int_equal(admin_int(f, "connected"), 1);
    const long expected = bit(Permission::Subscribe) | bit(Permission::Chat);
    assert_int_equal(caps(f, 0), expected);  // live, before the event is even sent
    f->core->drain();
    assert_int_equal(perms_of(f, 0, "permissions"), expected);
    // Later joins use the stored set, whatever the token says.
    assert_int_equal(leave(f, 0), 0);
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, kAllPermissions)), 0);
    assert_int_equal(perms_of(f, 0, "joined"), expected);
    assert_int_equal(caps(f, 0), expected);
}

static void set_permissions_before_join_with_role(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    char body[256];
    std::snprintf(body, sizeof body,
                  "{\"request\":\"set_permissions\",\"room\":\"%s\",\"participant_id\":\"%s\","
                  "\"permissions\":[\"subscribe\"],\"role\":\"observer\"}",
                  kRoom, kMed);
    assert_int_equal(admin(f, body), 0);
    assert_int_equal(admin_int(f, "connected"), 0);
    assert_int_equal(join(f, 0, token(f, kMed, kRoom, Role::Paramedic, kAllPermissions)), 0);
    assert_string_equal(field(f, 0, "joined", "role"), "observer");
    assert_int_equal(perms_of(f, 0, "joined"), bit(Permission::Subscribe));
    // Unknown room.
    std::snprintf(body, sizeof body,
                  "{\"request\":\"set_permissions\",\"room\":\"%s\",\"participant_id\":\"%s\",\"permissions\":[]}",
                  kRoom3, kMed);
    assert_int_equal(admin(f, body), 4040);
}

// A room (re-)created with "grants" (the controller's authoritative sets,
// e.g. after a Janus restart lost the room) overrides a token minted before
// the permission change, exactly as set_permissions does.
static void create_room_grants_override_stale_tokens(void** state) {
    Fixture* f = F(state);
    char body[512];
    std::snprintf(body, sizeof body,
                  "{\"request\":\"create_room\",\"room\":\"%s\",\"kind\":\"consultation\","
                  "\"state\":\"active\",\"grants\":[{\"participant_id\":\"%s\",\"role\":\"observer\","
                  "\"permissions\":[\"subscribe\"]}]}",
                  kRoom, kPat);
    assert_int_equal(admin(f, body), 0);
    // The token still says patient with every permission.
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, kAllPermissions)), 0);
    assert_string_equal(field(f, 0, "joined", "role"), "observer");
    assert_int_equal(perms_of(f, 0, "joined"), bit(Permission::Subscribe));
    assert_int_equal(caps(f, 0), bit(Permission::Subscribe));
    // Refusals: unknown permission, bad id, unknown role, extra member.
    const char* bad[] = {
        "[{\"participant_id\":\"%s\",\"role\":\"observer\",\"permissions\":[\"fly\"]}]",
        "[{\"participant_id\":\"not-a-uuid\",\"role\":\"observer\",\"permissions\":[]}]",
        "[{\"participant_id\":\"%s\",\"role\":\"surgeon\",\"permissions\":[]}]",
        "[{\"participant_id\":\"%s\",\"role\":\"observer\",\"permissions\":[],\"x\":1}]",
        "[\"%s\"]",
    };
    for (const char* grants_fmt : bad) {
        char grants[256];
        std::snprintf(grants, sizeof grants, grants_fmt, kMed);
        std::snprintf(body, sizeof body,
                      "{\"request\":\"create_room\",\"room\":\"%s\",\"kind\":\"consultation\","
                      "\"state\":\"active\",\"grants\":%s}",
                      kRoom2, grants);
        assert_int_equal(admin(f, body), 4003);
    }
}

// ---------------------------------------------------------------- replace

static void rejoin_on_new_handle_replaces_old(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    clear_calls(f);
    assert_int_equal(join(f, 2, patient_token(f)), 0);
    assert_int_equal(count(f, 1, "kicked"), 1);
    assert_string_equal(field(f, 1, "kicked", "reason"), "replaced");
    assert_int_equal(closes(f, 1), 1);
    assert_int_equal(caps(f, 1), 0);
    assert_int_equal(query_joined(f, 1), 0);
    assert_int_equal(query_joined(f, 2), 1);
    assert_int_equal(array_size(f, 2, "joined", "participants"), 1);  // only the doctor
    assert_int_equal(array_size(f, 0, "participants", "participants"), 1);  // the patient, once
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"room_info\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 0);
    assert_true(f->last_admin.find("\"revoked\":0") != std::string::npos);
    // The old handle is detached from the room, not banned: it can leave no more...
    assert_int_equal(leave(f, 1), 4031);
    // ...and leaving on it did not remove the new one.
    assert_int_equal(query_joined(f, 2), 1);
}

// ---------------------------------------------------------------- destroy_room

static void destroy_room_ends_everyone(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    clear_calls(f);
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"destroy_room\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 0);
    assert_string_equal(admin_str(f, "telemed"), "room_destroyed");
    assert_int_equal(admin_int(f, "participants_disconnected"), 2);
    assert_int_equal(caps(f, 0), 0);
    assert_int_equal(caps(f, 1), 0);
    f->core->drain();
    assert_int_equal(count(f, 0, "ended"), 1);
    assert_int_equal(count(f, 1, "ended"), 1);
    assert_int_equal(closes(f, 0), 1);
    assert_int_equal(closes(f, 1), 1);
    assert_true(index_of_last(f, 0, "ended") < index_of_close(f, 0));
    assert_int_equal(notifications(f, "room_destroyed"), 1);
    assert_int_equal(leave(f, 0), 4031);
    assert_int_equal(join(f, 0, doctor_token(f)), 4040);
    assert_int_equal(admin(f, body), 4040);
    assert_int_equal(admin(f, "{\"request\":\"ping\"}"), 0);
    assert_int_equal(admin_int(f, "rooms"), 0);
}

// ---------------------------------------------------------------- admin rooms

static void create_room_upsert_and_state(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "scheduled"), 0);
    assert_int_equal(admin_int(f, "existed"), 0);
    assert_string_equal(admin_str(f, "state"), "scheduled");
    assert_int_equal(create_room(f, "11111111-1111-4111-8111-111111111111", "active"), 0);
    assert_int_equal(admin_int(f, "existed"), 1);
    assert_string_equal(admin_str(f, "state"), "active");
    assert_int_equal(create_room(f, kRoom, "scheduled"), 0);  // never back to scheduled
    assert_string_equal(admin_str(f, "state"), "active");
    assert_int_equal(admin(f, "{\"request\":\"ping\"}"), 0);
    assert_int_equal(admin_int(f, "rooms"), 1);
    assert_string_equal(admin_str(f, "telemed"), "pong");
}

static void room_limit(void** state) {
    Fixture* f = F(state);  // fixture: 3 rooms
    assert_int_equal(create_room(f, kRoom), 0);
    assert_int_equal(create_room(f, kRoom2), 0);
    assert_int_equal(create_room(f, kRoom3), 0);
    assert_int_equal(create_room(f, "44444444-4444-4444-8444-444444444444"), 4090);
    assert_int_equal(create_room(f, kRoom2, "active"), 0);  // upsert still fine
}

static void list_rooms_and_room_info(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom, "active", ",\"recording_policy\":\"required\"");
    create_room(f, kRoom2, "scheduled");
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    assert_int_equal(admin(f, "{\"request\":\"list_rooms\"}"), 0);
    assert_string_equal(admin_str(f, "telemed"), "rooms");
    assert_true(f->last_admin.find("{\"room\":\"11111111-1111-4111-8111-111111111111\",\"kind\":\"consultation\","
                                   "\"state\":\"active\",\"participants\":2}") != std::string::npos);
    assert_true(f->last_admin.find("{\"room\":\"22222222-2222-4222-8222-222222222222\",\"kind\":\"consultation\","
                                   "\"state\":\"scheduled\",\"participants\":0}") != std::string::npos);
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"room_info\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 0);
    assert_string_equal(admin_str(f, "telemed"), "room");
    assert_string_equal(admin_str(f, "recording_policy"), "required");
    assert_true(f->last_admin.find("\"participant_id\":\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\",\"role\":\"patient\","
                                   "\"permissions\":[\"publish_audio\",\"publish_video\",\"subscribe\",\"chat\","
                                   "\"share_files\"]") != std::string::npos);
    std::snprintf(body, sizeof body, "{\"request\":\"room_info\",\"room\":\"%s\"}", kRoom3);
    assert_int_equal(admin(f, body), 4040);
    assert_int_equal(admin(f, "{\"request\":\"room_info\",\"room\":\"zzz\"}"), 4003);
    assert_int_equal(admin(f, "{\"request\":\"reboot\"}"), 4002);
}

// ---------------------------------------------------------------- handles

static void detach_while_joined(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    clear_calls(f);
    assert_true(f->core->detach(H(f, 1)));
    assert_false(f->core->detach(H(f, 1)));
    assert_int_equal(query_joined(f, 1), -1);
    f->core->drain();
    assert_int_equal(array_size(f, 0, "participants", "participants"), 0);
    assert_int_equal(count(f, 1, "participants"), 0);  // nothing pushed to a destroyed handle
    assert_int_equal(released_count(f, 1), 1);          // host reference given back once
    assert_int_equal(released_count(f, 0), 0);
    // Messages for a detached handle are refused at the door.
    assert_int_equal(send(f, 1, "{\"request\":\"leave\"}", "x"), static_cast<int>(PluginCore::Enqueued::UnknownHandle));
    // The patient can join again on a new handle (not banned).
    assert_int_equal(join(f, 2, patient_token(f)), 0);
}

static void queued_message_of_destroyed_handle_is_dropped(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    assert_int_equal(enqueue_join(f, 0, doctor_token(f), "late"), static_cast<int>(PluginCore::Enqueued::Ok));
    assert_true(f->core->detach(H(f, 0)));
    assert_int_equal(released_count(f, 0), 0);  // the queued message still holds it
    f->core->drain();
    assert_int_equal(reply(f, 0, "late"), -1);
    assert_int_equal(released_count(f, 0), 1);
    assert_int_equal(admin(f, "{\"request\":\"list_rooms\"}"), 0);
    assert_true(f->last_admin.find("\"participants\":0") != std::string::npos);
}

static void every_handle_released_once_at_shutdown(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    f->core.reset();
    for (int i = 0; i < kHandles; ++i) assert_int_equal(released_count(f, i), 1);
}

static void attach_twice_refused(void** state) {
    Fixture* f = F(state);
    assert_false(f->core->attach(H(f, 0)));
    assert_int_equal(static_cast<int>(f->core->handle_count()), kHandles);
    assert_int_equal(released_count(f, 0), 0);
}

static void query_shows_ids_only(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    const char* tok = doctor_token(f);
    assert_int_equal(query_joined(f, 0), 0);
    assert_true(std::strstr(query_dump(f, 0), "\"participant_id\":null") != nullptr);
    assert_int_equal(join(f, 0, tok), 0);
    const char* q = query_dump(f, 0);
    assert_true(std::strstr(q, "\"participant_id\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\"") != nullptr);
    assert_true(std::strstr(q, "\"session_id\":\"11111111-1111-4111-8111-111111111111\"") != nullptr);
    assert_true(std::strstr(q, "\"role\":\"doctor\"") != nullptr);
    assert_true(std::strstr(q, "\"joined\":true") != nullptr);
    assert_null(std::strstr(q, tok));
    assert_null(std::strstr(q, "token"));
}

static void logs_and_events_never_carry_tokens(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    const char* good = doctor_token(f);
    Mods bad_sig;
    bad_sig.secret = kWrongSecret;
    const char* bad = token(f, kPat, kRoom, Role::Patient, 0, bad_sig);
    join(f, 0, good);
    join(f, 1, bad);
    assert_true(f->host.logs.size() > 0);
    assert_false(logs_contain(f, good));
    assert_false(logs_contain(f, bad));
    assert_false(logs_contain(f, kSecret));
    assert_false(calls_contain(f, good));
    assert_false(calls_contain(f, bad));
    // Logs do carry ids.
    assert_true(logs_contain(f, kDoc));
}

static void no_notifications_when_events_off(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    assert_int_equal(notifications(f, "joined"), 0);
    assert_int_equal(notifications(f, "room_created"), 0);
}

static void flood_is_refused(void** state) {
    Fixture* f = F(state);
    int busy_at = -1;
    for (int i = 0; i < static_cast<int>(kMaxQueuedMessages) + 1 && busy_at < 0; ++i) {
        auto r = f->core->enqueue_message(H(f, 0), std::nullopt, Json(json_pack("{s:s}", "request", "leave")), nullptr);
        if (r == PluginCore::Enqueued::Busy) busy_at = i;
    }
    assert_int_equal(busy_at, static_cast<int>(kMaxQueuedMessages));
    assert_int_equal(static_cast<int>(f->core->drain()), static_cast<int>(kMaxQueuedMessages) * 2);  // + replies
}

// ---------------------------------------------------------------- worker thread

// Waits (max 5 s) until handle h got a push on transaction txn.
bool wait_for_reply(Fixture* f, int h, const char* txn) {
    std::unique_lock lk(f->host.mu);
    return f->host.cv.wait_for(lk, std::chrono::seconds(5), [&] {
        for (const Call& c : f->host.calls)
            if (c.kind == Call::Push && c.h == H(f, h) && c.has_txn && c.txn == txn) return true;
        return false;
    });
}

int send_async(Fixture* f, int h, const char* body, const char* txn) {
    json_error_t err;
    return static_cast<int>(
        f->core->enqueue_message(H(f, h), std::string(txn), Json(json_loads(body, 0, &err)), nullptr));
}

static void worker_thread_answers(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    f->core->start_worker();
    assert_int_equal(enqueue_join(f, 0, doctor_token(f), "w1"), 0);
    assert_true(wait_for_reply(f, 0, "w1"));
    f->core->stop_worker();
    assert_int_equal(reply(f, 0, "w1"), 0);
    assert_int_equal(caps(f, 0), kAllPermissions);
    // Stopped: further messages are refused, not queued forever.
    assert_int_equal(send_async(f, 0, "{\"request\":\"leave\"}", "w2"),
                     static_cast<int>(PluginCore::Enqueued::Stopped));
}

// Admin calls, detaches and attaches on the test thread race the worker
// thread answering joins. Run under TSan/ASan this finds data races and
// use-after-free; in any build it checks that every attached handle is given
// back exactly once.
bool stress_admin_against_worker(Fixture* f, int rounds) {
    const char* pids[4] = {kDoc, kPat, kObs, kMed};
    const char* toks[4];
    for (int i = 0; i < 4; ++i) toks[i] = token(f, pids[i], kRoom, Role::Doctor, kAllPermissions);
    int attaches = kHandles;
    f->core->start_worker();
    char body[256];
    for (int i = 0; i < rounds; ++i) {
        create_room(f, kRoom);
        for (int h = 0; h < 4; ++h) enqueue_join(f, h, toks[(h + i) % 4], "s");
        if (i % 3 == 0) {
            std::snprintf(body, sizeof body, "{\"request\":\"kick\",\"room\":\"%s\",\"participant_id\":\"%s\"}",
                          kRoom, pids[i % 4]);
            admin(f, body);
        }
        if (i % 5 == 0) {
            std::snprintf(body, sizeof body,
                          "{\"request\":\"set_permissions\",\"room\":\"%s\",\"participant_id\":\"%s\","
                          "\"permissions\":[\"chat\"]}",
                          kRoom, pids[(i + 1) % 4]);
            admin(f, body);
        }
        if (i % 7 == 0) {
            std::snprintf(body, sizeof body, "{\"request\":\"destroy_room\",\"room\":\"%s\"}", kRoom);
            admin(f, body);
        }
        if (i % 4 == 0) {
            const int h = i % kHandles;
            if (f->core->detach(H(f, h)) && f->core->attach(H(f, h))) ++attaches;
        }
        admin(f, "{\"request\":\"list_rooms\"}");
    }
    f->core->stop_worker();
    f->core.reset();
    return static_cast<int>(f->host.released.size()) == attaches;
}

static void admin_races_worker(void** state) { assert_true(stress_admin_against_worker(F(state), 300)); }

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(join_succeeds_with_token_claims, setup, teardown),
        cmocka_unit_test_setup_teardown(join_reports_scheduled_state, setup, teardown),
        cmocka_unit_test_setup_teardown(others_get_roster_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(token_errors_map_to_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(clock_skew_is_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(session_id_must_match_token, setup, teardown),
        cmocka_unit_test_setup_teardown(room_must_exist, setup, teardown),
        cmocka_unit_test_setup_teardown(join_twice_on_one_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(room_full, setup, teardown),
        cmocka_unit_test_setup_teardown(jsep_and_bad_bodies_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(leave_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(kick_connected_participant, setup, teardown),
        cmocka_unit_test_setup_teardown(kick_before_join_bans, setup, teardown),
        cmocka_unit_test_setup_teardown(create_room_revoked_list, setup, teardown),
        cmocka_unit_test_setup_teardown(set_permissions_live_and_on_later_join, setup, teardown),
        cmocka_unit_test_setup_teardown(set_permissions_before_join_with_role, setup, teardown),
        cmocka_unit_test_setup_teardown(create_room_grants_override_stale_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(rejoin_on_new_handle_replaces_old, setup, teardown),
        cmocka_unit_test_setup_teardown(destroy_room_ends_everyone, setup, teardown),
        cmocka_unit_test_setup_teardown(create_room_upsert_and_state, setup, teardown),
        cmocka_unit_test_setup_teardown(room_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(list_rooms_and_room_info, setup, teardown),
        cmocka_unit_test_setup_teardown(detach_while_joined, setup, teardown),
        cmocka_unit_test_setup_teardown(queued_message_of_destroyed_handle_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(every_handle_released_once_at_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_twice_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(query_shows_ids_only, setup, teardown),
        cmocka_unit_test_setup_teardown(logs_and_events_never_carry_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(no_notifications_when_events_off, setup_no_events, teardown),
        cmocka_unit_test_setup_teardown(flood_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(worker_thread_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(admin_races_worker, setup, teardown),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
