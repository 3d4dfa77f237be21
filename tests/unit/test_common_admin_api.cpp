// The plugin Admin API contract (common/admin_api.hpp, plugin_errors.hpp,
// plugin_params.hpp): every builder's body parses back with the plugin's
// parser to an equal struct, and has the exact wire text the plugin has
// always read; limits and bad input get their numbered codes; the reply
// builders and the controller's reading of Janus replies (moved here from
// test_controller_aux_janus_reply, with the admin half of
// test_plugin_protocol); UUID normalisation; the stable code list.
// Helpers do the C++ work and return plain values (a failing CMocka
// assertion longjmps past destructors).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "common/admin_api.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/plugin_errors.hpp"
#include "common/token.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;
using namespace telemed::admin_api;

namespace {

constexpr const char* kRoom = "11111111-1111-4111-8111-111111111111";
constexpr const char* kPid = "22222222-2222-4222-8222-222222222222";
constexpr const char* kPid2 = "0000aaaa-0000-4000-8000-00000000000b";

std::string compact(const json_t* j) {
    if (!j) return "null";
    char* s = json_dumps(j, JSON_COMPACT);
    std::string out = s ? s : "null";
    std::free(s);
    return out;
}

// ---- requests ----

FileSharedRequest sample_file_shared(std::vector<std::string> to) {
    SharedFile f;
    f.id = "33333333-3333-4333-8333-333333333333";
    f.session_id = kRoom;
    f.name = "Befund M\xc3\xbcller.pdf";
    f.size = 12345;
    f.content_type = "application/pdf";
    f.sha256 = std::string(64, 'a');
    f.sender = kPid;
    f.to = std::move(to);
    f.created_at = "2026-12-05T19:00:00.123456Z";
    return FileSharedRequest{kRoom, f};
}

// The body as sent (compact, keys in the builder's order).
std::string wire(const AdminRequest& r) {
    Json j = build_request(r);
    return compact(j.get());
}

// "equal" when build(r) parses back to r; else what went wrong.
std::string round_trip(const AdminRequest& r) {
    Json j = build_request(r);
    Parsed<AdminRequest> p = parse_request(j.get());
    if (!p.ok()) return "refused " + std::to_string(to_int(p.failure.code)) + ": " + p.failure.text;
    return *p.value == r ? "equal" : "different";
}

// 0 = accepted, else the error code; -1 if the test JSON itself is invalid.
int code_of(const std::string& text) {
    Json body = json_parse(text, nullptr);
    if (!body) {
        json_error_t err;
        body.reset(json_loads(text.c_str(), JSON_DECODE_ANY, &err));
        if (!body) return -1;
    }
    Parsed<AdminRequest> p = parse_request(body.get());
    return p.ok() ? 0 : to_int(p.failure.code);
}

int null_body_code() {
    Parsed<AdminRequest> p = parse_request(nullptr);
    return p.ok() ? 0 : to_int(p.failure.code);
}

// Code of the parse of build(r).
int built_code(const AdminRequest& r) {
    Json j = build_request(r);
    Parsed<AdminRequest> p = parse_request(j.get());
    return p.ok() ? 0 : to_int(p.failure.code);
}

// build(r) is refused as a body over kMaxRequestBytes.
bool built_too_large(const AdminRequest& r) {
    Json j = build_request(r);
    Parsed<AdminRequest> p = parse_request(j.get());
    return !p.ok() && p.failure.code == PluginError::InvalidElement &&
           p.failure.text.find("too large") != std::string::npos;
}

bool error_contains(const std::string& text, const char* needle) {
    Json body = json_parse(text, nullptr);
    Parsed<AdminRequest> p = parse_request(body.get());
    return !p.ok() && p.failure.text.find(needle) != std::string::npos;
}

CreateRoomRequest full_create_room() {
    CreateRoomRequest r;
    r.room = kRoom;
    r.kind = SessionKind::Emergency;
    r.state = SessionStatus::Active;
    r.recording_policy = RecordingPolicy::Required;
    r.revoked = {kPid2};
    r.grants.push_back({kPid, Role::Patient, bit(Permission::PublishAudio) | bit(Permission::Chat), "Jane Roe"});
    r.grants.push_back({kPid2, Role::Doctor, kAllPermissions, std::nullopt});
    return r;
}

CreateRoomRequest create_room_with(std::size_t revoked, std::size_t grants) {
    CreateRoomRequest r;
    r.room = kRoom;
    r.revoked.assign(revoked, kPid);
    r.grants.assign(grants, CreateRoomRequest::Grant{kPid2, Role::Observer, 0, std::nullopt});
    return r;
}

CreateRoomRequest create_room_in(SessionStatus state) {
    CreateRoomRequest r;
    r.room = kRoom;
    r.state = state;
    return r;
}

CreateRoomRequest create_room_named(std::size_t display_name_chars) {
    CreateRoomRequest r;
    r.room = kRoom;
    r.grants.push_back({kPid, Role::Patient, 0, std::string(display_name_chars, 'x')});
    return r;
}

KickRequest kick_with_reason(std::string reason) { return KickRequest{kRoom, kPid, std::move(reason)}; }

// The parsed struct of a body, as a short text ("!" on refusal).
std::string parsed_create_room(const std::string& text) {
    Json body = json_parse(text, nullptr);
    Parsed<AdminRequest> p = parse_request(body.get());
    if (!p.ok()) return "!";
    const auto* r = std::get_if<CreateRoomRequest>(&*p.value);
    if (!r) return "?";
    std::string out = r->room + " " + std::string(to_string(r->kind)) + " " + std::string(to_string(r->state)) +
                      " " + (r->recording_policy ? std::string(to_string(*r->recording_policy)) : "-") + " revoked:";
    for (const auto& id : r->revoked) out += id + ",";
    return out;
}

unsigned set_permissions_bits(const std::string& text) {
    Json body = json_parse(text, nullptr);
    Parsed<AdminRequest> p = parse_request(body.get());
    if (!p.ok()) return 0xFFFFFFFFu;
    const auto* r = std::get_if<SetPermissionsRequest>(&*p.value);
    return r ? r->permissions : 0xFFFFFFFEu;
}

std::string revoked_body(std::size_t n) {
    std::string s = std::string("{\"request\":\"create_room\",\"room\":\"") + kRoom +
                    "\",\"kind\":\"consultation\",\"state\":\"scheduled\",\"revoked\":[";
    for (std::size_t i = 0; i < n; ++i) {
        if (i) s += ",";
        s += std::string("\"") + kPid + "\"";
    }
    return s + "]}";
}

std::string permissions_body(std::size_t names) {
    std::string s = std::string("{\"request\":\"set_permissions\",\"room\":\"") + kRoom + "\",\"participant_id\":\"" +
                    kPid + "\",\"permissions\":[";
    for (std::size_t i = 0; i < names; ++i) s += i ? ",\"chat\"" : "\"chat\"";
    return s + "]}";
}

// A ping padded with an unknown field to reach `bytes` of compact JSON.
int padded_ping_code(std::size_t bytes) {
    const std::string head = "{\"request\":\"ping\",\"pad\":\"";
    const std::string tail = "\"}";
    return code_of(head + std::string(bytes - head.size() - tail.size(), 'x') + tail);
}

bool padded_ping_is_too_large(std::size_t bytes) {
    const std::string head = "{\"request\":\"ping\",\"pad\":\"";
    return error_contains(head + std::string(bytes - head.size() - 2, 'x') + "\"}", "too large");
}

// ---- replies ----

char g_buf[4096];

// "ok=<0|1> unreachable=<0|1> plugin_error=<n> error=<text> response=<json|null>"
const char* parse(const char* body, const char* tx = "tx1") {
    Reply r = parse_message_plugin_reply(body, tx);
    char* resp = r.response ? json_dumps(r.response.get(), JSON_COMPACT | JSON_SORT_KEYS) : nullptr;
    std::snprintf(g_buf, sizeof g_buf, "ok=%d unreachable=%d plugin_error=%d error=%s response=%s", r.ok ? 1 : 0,
                  r.unreachable ? 1 : 0, r.plugin_error, r.error.c_str(), resp ? resp : "null");
    std::free(resp);
    return g_buf;
}

// A plugin answer as the controller reads it inside a Janus success reply:
// "ok <kind>" / "error <code> <no such room?>" / "unreachable".
std::string read_answer(Json response) {
    Json reply(json_object());
    json_object_set_new(reply.get(), "janus", json_string("success"));
    json_object_set_new(reply.get(), "transaction", json_string("t1"));
    json_object_set_new(reply.get(), "response", response.release());
    Reply r = parse_message_plugin_reply(compact(reply.get()), "t1");
    if (r.ok) return "ok " + std::string(reply_kind(r.response.get()));
    if (r.unreachable) return "unreachable";
    return "error " + std::to_string(r.plugin_error) + (r.refused_with(PluginError::NoSuchRoom) ? " no-such-room" : "");
}

std::string reply_text(Json j) { return compact(j.get()); }

// Body as sent, keys sorted; and the request's reference count afterwards.
const char* build(const char* request_json, int* refcount_after) {
    json_t* req = json_loads(request_json, 0, nullptr);
    std::string out = "null";
    {
        Json body = build_message_plugin(req, "s3cret", "tx5");
        if (body) {
            char* s = json_dumps(body.get(), JSON_COMPACT | JSON_SORT_KEYS);
            out = s;
            std::free(s);
        }
    }
    *refcount_after = req ? static_cast<int>(req->refcount) : -1;
    json_decref(req);
    std::snprintf(g_buf, sizeof g_buf, "%s", out.c_str());
    return g_buf;
}

std::string janus_ping_text() { return reply_text(build_janus_ping("s3cret", "tx6")); }

#define ROOM "\"room\":\"11111111-1111-4111-8111-111111111111\""
#define PID "\"participant_id\":\"22222222-2222-4222-8222-222222222222\""

// create_room as the reconciler sends it after a Janus restart.
CreateRoomRequest restoring_create_room() {
    CreateRoomRequest r = create_room_with(0, 0);
    r.state = SessionStatus::Active;
    r.admitted = {kPid, kPid2};
    r.muted = {MuteEntry{kPid, kMuteAudio, kMuteVideo, std::string(kPid2)}, MuteEntry{kPid2, 0, kMuteScreen, std::nullopt}};
    return r;
}

Snapshot sample_snapshot() {
    Snapshot s;
    s.instance = "0123456789abcdef";
    RoomSnapshot r;
    r.room = kRoom;
    r.state = SessionStatus::Active;
    r.admitted = {kPid};
    r.muted = {MuteEntry{kPid, kMuteAudio | kMuteVideo, 0, std::string(kPid2)}};
    r.revoked = {kPid2};
    s.rooms.push_back(r);
    RoomSnapshot empty;
    empty.room = kPid2;
    s.rooms.push_back(empty);
    return s;
}

// "equal" when snapshot_reply(s) reads back to s; else what went wrong.
std::string snapshot_round_trip(const Snapshot& s) {
    Json j = snapshot_reply(s);
    std::optional<Snapshot> back = parse_snapshot_reply(j.get());
    if (!back) return "unreadable";
    return *back == s ? "equal" : "different";
}

// "read" or "refused" for a snapshot reply text.
std::string snapshot_text(const std::string& text) {
    Json j = json_parse(text, nullptr);
    if (!j) return "invalid test JSON";
    return parse_snapshot_reply(j.get()) ? "read" : "refused";
}

// "N rooms: room/participants ..." for a list_rooms reply text, or "refused".
std::string rooms_text(const std::string& text) {
    Json j = json_parse(text, nullptr);
    if (!j) return "invalid test JSON";
    auto rooms = parse_rooms_reply(j.get());
    if (!rooms) return "refused";
    std::string out = std::to_string(rooms->size()) + " rooms:";
    for (const RoomSummary& r : *rooms) out += " " + r.room + "/" + std::to_string(r.participants);
    return out;
}

std::string instance_of_pong(const std::string& text) {
    Json j = json_parse(text, nullptr);
    return j ? pong_instance(j.get()) : "invalid test JSON";
}

}  // namespace

// ---- builders: round trip and the exact wire text ----

// Issue 14: record (start with / without an id, stop) and its answer.
static void record_request_and_reply(void**) {
    assert_str_eq(round_trip(AdminRecordRequest{kRoom, true, std::nullopt}), "equal");
    assert_str_eq(round_trip(AdminRecordRequest{kRoom, true, std::string(kRoom)}), "equal");
    assert_str_eq(round_trip(AdminRecordRequest{kRoom, false, std::nullopt}), "equal");
    Json b = build_request(AdminRecordRequest{kRoom, false, std::nullopt});
    assert_str_eq(compact(b.get()),
                  std::string("{\"request\":\"record\",\"room\":\"") + kRoom + "\",\"action\":\"stop\"}");
    assert_int_equal(code_of(std::string("{\"request\":\"record\",\"room\":\"") + kRoom +
                             "\",\"action\":\"stop\",\"recording_id\":\"" + kRoom + "\"}"),
                     4003);
    assert_int_equal(code_of(std::string("{\"request\":\"record\",\"room\":\"") + kRoom + "\",\"action\":\"go\"}"),
                     4003);
    RecordingState st{true, std::string(kRoom), RecordingPolicy::Required, {std::string(kRoom)}};
    Json r = recording_reply(kRoom, st);
    auto back = parse_recording_reply(r.get());
    assert_true(back.has_value() && *back == st);
    RecordingState off{false, std::nullopt, RecordingPolicy::Optional, {}};
    Json r2 = recording_reply(kRoom, off);
    assert_str_eq(compact(r2.get()), std::string("{\"telemed\":\"recording\",\"room\":\"") + kRoom +
                                         "\",\"state\":\"off\",\"recording_id\":null,\"policy\":\"optional\","
                                         "\"recorded\":[]}");
    auto back2 = parse_recording_reply(r2.get());
    assert_true(back2.has_value() && *back2 == off);
}

static void every_builder_round_trips(void**) {
    assert_str_eq(round_trip(PingRequest{}), "equal");
    assert_str_eq(round_trip(ListRoomsRequest{}), "equal");
    assert_str_eq(round_trip(full_create_room()), "equal");
    assert_str_eq(round_trip(create_room_with(0, 0)), "equal");  // no revoked, grants []
    assert_str_eq(round_trip(create_room_in(SessionStatus::Scheduled)), "equal");
    assert_str_eq(round_trip(DestroyRoomRequest{kRoom}), "equal");
    assert_str_eq(round_trip(RoomInfoRequest{kRoom}), "equal");
    assert_str_eq(round_trip(SetPermissionsRequest{kRoom, kPid, bit(Permission::Subscribe), Role::Observer}), "equal");
    assert_str_eq(round_trip(SetPermissionsRequest{kRoom, kPid, 0, std::nullopt}), "equal");
    assert_str_eq(round_trip(SetPermissionsRequest{kRoom, kPid, kAllPermissions, Role::Doctor}), "equal");
    assert_str_eq(round_trip(KickRequest{kRoom, kPid, std::string("removed")}), "equal");
    assert_str_eq(round_trip(KickRequest{kRoom, kPid, std::nullopt}), "equal");
    assert_str_eq(round_trip(SnapshotRequest{}), "equal");
    assert_str_eq(round_trip(StatsRequest{}), "equal");
    assert_str_eq(round_trip(restoring_create_room()), "equal");
    assert_str_eq(round_trip(sample_file_shared({})), "equal");
    assert_str_eq(round_trip(sample_file_shared({kPid2})), "equal");
}

// Issue 11 item 4: the room reconciler's additions to the contract.
static void restore_fields_wire_format(void**) {
    assert_str_eq(wire(SnapshotRequest{}), R"({"request":"snapshot"})");
    assert_str_eq(wire(StatsRequest{}), R"({"request":"stats"})");
    assert_str_eq(wire(restoring_create_room()),
                  R"({"request":"create_room","room":"11111111-1111-4111-8111-111111111111","kind":"consultation",)"
                  R"("state":"active","grants":[],"admitted":["22222222-2222-4222-8222-222222222222",)"
                  R"("0000aaaa-0000-4000-8000-00000000000b"],"muted":[{"participant_id":)"
                  R"("22222222-2222-4222-8222-222222222222","moderator":["audio"],"self":["video"],)"
                  R"("by":"0000aaaa-0000-4000-8000-00000000000b"},{"participant_id":)"
                  R"("0000aaaa-0000-4000-8000-00000000000b","moderator":[],"self":["screen"]}]})");
    // Bad restore fields: 4003.
    assert_int_equal(code_of(R"({"request":"create_room",)" ROOM R"(,"kind":"consultation","state":"active",)"
                             R"("admitted":["nope"]})"), 4003);
    assert_int_equal(code_of(R"({"request":"create_room",)" ROOM R"(,"kind":"consultation","state":"active",)"
                             R"("muted":[{)" PID R"(,"moderator":["audio","smell"],"self":[]}]})"), 4003);
    assert_int_equal(code_of(R"({"request":"create_room",)" ROOM R"(,"kind":"consultation","state":"active",)"
                             R"("muted":[{)" PID R"(,"moderator":[]}]})"), 4003);
    assert_int_equal(code_of(R"({"request":"create_room",)" ROOM R"(,"kind":"consultation","state":"active",)"
                             R"("muted":[{)" PID R"(,"moderator":[],"self":[],"extra":1}]})"), 4003);
    assert_int_equal(code_of(R"({"request":"snapshot","room":"x"})"), 4003);
    std::string many = R"({"request":"create_room",)" ROOM R"(,"kind":"consultation","state":"active","admitted":[)";
    for (std::size_t i = 0; i <= kMaxGrantsInRequest; ++i) many += std::string(i ? "," : "") + "\"" + kPid + "\"";
    many += "]}";
    assert_int_equal(code_of(many), 4003);
}

// Issue 15: the stored recording consents a restore sends with the room.
CreateRoomRequest restoring_with_consents() {
    CreateRoomRequest r = restoring_create_room();
    r.consents = {CreateRoomRequest::Consent{kPid, true, kRoom}, CreateRoomRequest::Consent{kPid2, false, kPid}};
    return r;
}

// The consents of a parsed create_room as "pid=yes|no/consent_id;...", or "!" on refusal.
std::string parsed_consents(const std::string& text) {
    Json body = json_parse(text, nullptr);
    Parsed<AdminRequest> p = parse_request(body.get());
    if (!p.ok()) return "!";
    const auto* r = std::get_if<CreateRoomRequest>(&*p.value);
    if (!r) return "?";
    std::string out;
    for (const auto& c : r->consents) out += c.participant_id + "=" + (c.recording ? "yes/" : "no/") + c.consent_id + ";";
    return out;
}

#define CR_HEAD R"({"request":"create_room",)" ROOM R"(,"kind":"consultation","state":"active",)"
#define CID "\"consent_id\":\"33333333-3333-4333-8333-333333333333\""

static void create_room_consents(void**) {
    assert_str_eq(round_trip(restoring_with_consents()), "equal");
    CreateRoomRequest one = create_room_with(0, 0);
    one.consents = {CreateRoomRequest::Consent{kPid, true, kPid2}};
    assert_str_eq(wire(one),
                  R"({"request":"create_room","room":"11111111-1111-4111-8111-111111111111","kind":"consultation",)"
                  R"("state":"scheduled","grants":[],"consents":[{"participant_id":)"
                  R"("22222222-2222-4222-8222-222222222222","recording":true,"consent_id":)"
                  R"("0000aaaa-0000-4000-8000-00000000000b"}]})");
    // Absent when empty (the wire format of a room without consents is unchanged).
    assert_true(wire(create_room_with(0, 0)).find("consents") == std::string::npos);
    // Parsed: ids normalised to lower case, both answers.
    assert_str_eq(parsed_consents(CR_HEAD R"("consents":[{"participant_id":"22222222-2222-4222-8222-22222222222A",)"
                                  R"("recording":false,)" CID "}]}"),
                  "22222222-2222-4222-8222-22222222222a=no/33333333-3333-4333-8333-333333333333;");
    assert_str_eq(parsed_consents(CR_HEAD R"("consents":[]})"), "");
    // Malformed entries: 4003, nothing applied.
    const char* bad[] = {
        CR_HEAD R"("consents":{}})",
        CR_HEAD R"("consents":["x"]})",
        CR_HEAD R"("consents":[{)" PID R"(,"recording":"yes",)" CID "}]}",
        CR_HEAD R"("consents":[{)" PID R"(,"recording":1,)" CID "}]}",
        CR_HEAD R"("consents":[{)" PID R"(,"recording":true}]})",
        CR_HEAD R"("consents":[{)" PID R"(,)" CID "}]}",
        CR_HEAD R"("consents":[{"recording":true,)" CID "}]}",
        CR_HEAD R"("consents":[{"participant_id":"nope","recording":true,)" CID "}]}",
        CR_HEAD R"("consents":[{)" PID R"(,"recording":true,"consent_id":"nope"}]})",
        CR_HEAD R"("consents":[{)" PID R"(,"recording":true,)" CID R"(,"extra":1}]})",
        // One entry per participant.
        CR_HEAD R"("consents":[{)" PID R"(,"recording":true,)" CID R"(},{)" PID R"(,"recording":false,)" CID "}]}",
    };
    for (const char* text : bad) {
        assert_str_eq(parsed_consents(text), "!");
        assert_int_equal(code_of(text), 4003);
    }
    // At most kMaxGrantsInRequest entries.
    std::string many = CR_HEAD R"("consents":[)";
    for (std::size_t i = 0; i <= kMaxGrantsInRequest; ++i) {
        char pid[40];
        std::snprintf(pid, sizeof pid, "22222222-2222-4222-8222-%012zx", i);
        many += std::string(i ? "," : "") + R"({"participant_id":")" + pid + R"(","recording":true,)" CID "}";
    }
    many += "]}";
    assert_int_equal(code_of(many), 4003);
}

static void snapshot_reply_reads_back(void**) {
    assert_str_eq(snapshot_round_trip(sample_snapshot()), "equal");
    assert_str_eq(snapshot_round_trip(Snapshot{"x", {}}), "equal");
    assert_str_eq(reply_text(snapshot_reply(sample_snapshot())),
                  R"({"telemed":"snapshot","instance":"0123456789abcdef","rooms":[{"room":)"
                  R"("11111111-1111-4111-8111-111111111111","state":"active","admitted":)"
                  R"(["22222222-2222-4222-8222-222222222222"],"muted":[{"participant_id":)"
                  R"("22222222-2222-4222-8222-222222222222","moderator":["audio","video"],"self":[],)"
                  R"("by":"0000aaaa-0000-4000-8000-00000000000b"}],"revoked":["0000aaaa-0000-4000-8000-00000000000b"]},)"
                  R"({"room":"0000aaaa-0000-4000-8000-00000000000b","state":"scheduled","admitted":[],"muted":[],)"
                  R"("revoked":[]}]})");
    // Malformed or over a limit: refused whole.
    assert_str_eq(snapshot_text(R"({"telemed":"snapshot","instance":"a","rooms":[]})"), "read");
    assert_str_eq(snapshot_text(R"({"telemed":"snapshot","instance":"","rooms":[]})"), "refused");
    assert_str_eq(snapshot_text(R"({"telemed":"snapshot","instance":"a b","rooms":[]})"), "refused");
    assert_str_eq(snapshot_text(R"({"telemed":"snapshot","rooms":[]})"), "refused");
    assert_str_eq(snapshot_text(R"({"telemed":"rooms","instance":"a","rooms":[]})"), "refused");
    assert_str_eq(snapshot_text(R"({"telemed":"snapshot","instance":"a","rooms":[{"room":"x","state":"active",)"
                                R"("admitted":[],"muted":[],"revoked":[]}]})"), "refused");
    assert_str_eq(snapshot_text(R"({"telemed":"snapshot","instance":"a","rooms":[{)" ROOM R"(,"state":"ended",)"
                                R"("admitted":[],"muted":[],"revoked":[]}]})"), "refused");
    assert_str_eq(snapshot_text(R"({"telemed":"snapshot","instance":"a","rooms":[{)" ROOM R"(,"state":"active",)"
                                R"("admitted":[],"muted":[]}]})"), "refused");
    // The pong's instance.
    assert_str_eq(reply_text(pong_reply(1, "abc")), R"({"telemed":"pong","rooms":1,"instance":"abc"})");
    assert_str_eq(instance_of_pong(R"({"telemed":"pong","rooms":1,"instance":"abc"})"), "abc");
    assert_str_eq(instance_of_pong(R"({"telemed":"pong","rooms":1})"), "");
    assert_str_eq(instance_of_pong(R"({"telemed":"pong","rooms":1,"instance":"a\nb"})"), "");
}

static void builders_keep_the_wire_format(void**) {
    // What the controller has always sent (docs/PROTOCOL.md "Admin API").
    assert_str_eq(wire(PingRequest{}), R"({"request":"ping"})");
    assert_str_eq(wire(ListRoomsRequest{}), R"({"request":"list_rooms"})");
    assert_str_eq(wire(full_create_room()),
                  R"({"request":"create_room","room":"11111111-1111-4111-8111-111111111111","kind":"emergency",)"
                  R"("state":"active","recording_policy":"required","revoked":["0000aaaa-0000-4000-8000-00000000000b"],)"
                  R"("grants":[{"participant_id":"22222222-2222-4222-8222-222222222222","role":"patient",)"
                  R"("permissions":["publish_audio","chat"],"display_name":"Jane Roe"},)"
                  R"({"participant_id":"0000aaaa-0000-4000-8000-00000000000b","role":"doctor",)"
                  R"("permissions":["publish_audio","publish_video","publish_screen","subscribe","chat",)"
                  R"("share_files","record","moderate","bypass_lobby"]}]})");
    // No revoked ids: the key is left out; grants are always sent.
    assert_str_eq(wire(create_room_with(0, 0)),
                  R"({"request":"create_room","room":"11111111-1111-4111-8111-111111111111","kind":"consultation",)"
                  R"("state":"scheduled","grants":[]})");
    assert_str_eq(wire(DestroyRoomRequest{kRoom}),
                  R"({"request":"destroy_room","room":"11111111-1111-4111-8111-111111111111"})");
    assert_str_eq(wire(RoomInfoRequest{kRoom}),
                  R"({"request":"room_info","room":"11111111-1111-4111-8111-111111111111"})");
    assert_str_eq(wire(SetPermissionsRequest{kRoom, kPid, bit(Permission::Subscribe) | bit(Permission::Chat),
                                             Role::Observer}),
                  R"({"request":"set_permissions","room":"11111111-1111-4111-8111-111111111111",)"
                  R"("participant_id":"22222222-2222-4222-8222-222222222222","role":"observer",)"
                  R"("permissions":["subscribe","chat"]})");
    assert_str_eq(wire(KickRequest{kRoom, kPid, std::string("removed")}),
                  R"({"request":"kick","room":"11111111-1111-4111-8111-111111111111",)"
                  R"("participant_id":"22222222-2222-4222-8222-222222222222","reason":"removed"})");
}

static void built_ids_are_normalised_by_the_parser(void**) {
    assert_str_eq(parsed_create_room(R"({"request":"create_room","room":"ABCDEF01-2345-4678-9abc-def012345678",)"
                                     R"("kind":"emergency","state":"active","recording_policy":"required",)"
                                     R"("revoked":["0000AAAA-0000-4000-8000-00000000000B"]})"),
                  "abcdef01-2345-4678-9abc-def012345678 emergency active required "
                  "revoked:0000aaaa-0000-4000-8000-00000000000b,");
    // An upper-case id built by a client is accepted, and comes back lower-cased.
    assert_str_eq(round_trip(DestroyRoomRequest{"ABCDEF01-2345-4678-9ABC-DEF012345678"}), "different");
    assert_int_equal(built_code(DestroyRoomRequest{"ABCDEF01-2345-4678-9ABC-DEF012345678"}), 0);
}

static void uuid_normalisation(void**) {
    assert_str_eq(normalize_uuid("ABCDEF01-2345-4678-9ABC-DEF012345678"), "abcdef01-2345-4678-9abc-def012345678");
    assert_str_eq(normalize_uuid("abcdef01-2345-4678-9abc-def012345678"), "abcdef01-2345-4678-9abc-def012345678");
    assert_str_eq(normalize_uuid("AbCdEf01-2345-4678-9aBc-DeF012345678"), "abcdef01-2345-4678-9abc-def012345678");
    assert_true(is_uuid(normalize_uuid("ABCDEF01-2345-4678-9ABC-DEF012345678")));
}

// ---- limits ----

static void limits_give_4003(void**) {
    assert_int_equal(built_code(create_room_with(kMaxRevokedInRequest, 0)), 0);
    assert_int_equal(built_code(create_room_with(kMaxRevokedInRequest + 1, 0)), 4003);
    assert_int_equal(code_of(revoked_body(kMaxRevokedInRequest)), 0);
    assert_int_equal(code_of(revoked_body(kMaxRevokedInRequest + 1)), 4003);
    // Grants: the byte bound comes first. Even the smallest grant (no
    // permissions, no display name) takes ~90 bytes, so about 700 fit in
    // kMaxRequestBytes and kMaxGrantsInRequest is never reached by a body
    // the plugin accepts: a session with that many active participants gets
    // its create_room refused (4003).
    assert_int_equal(built_code(create_room_with(0, 600)), 0);
    assert_true(built_too_large(create_room_with(0, kMaxGrantsInRequest)));
    assert_int_equal(built_code(create_room_with(0, kMaxGrantsInRequest + 1)), 4003);
    assert_int_equal(code_of(permissions_body(kMaxPermissionNames)), 0);
    assert_int_equal(code_of(permissions_body(kMaxPermissionNames + 1)), 4003);
    assert_int_equal(built_code(kick_with_reason(std::string(kMaxReasonChars, 'r'))), 0);
    assert_int_equal(built_code(kick_with_reason(std::string(kMaxReasonChars + 1, 'r'))), 4003);
    assert_int_equal(built_code(create_room_named(kMaxGrantDisplayNameChars)), 0);
    assert_int_equal(built_code(create_room_named(kMaxGrantDisplayNameChars + 1)), 4003);
    assert_int_equal(kMaxGrantDisplayNameChars, kMaxDisplayNameChars);
    // The whole body: within kMaxRequestBytes only the unknown field is wrong.
    assert_int_equal(padded_ping_code(kMaxRequestBytes), 4003);
    assert_false(padded_ping_is_too_large(kMaxRequestBytes));
    assert_true(padded_ping_is_too_large(kMaxRequestBytes + 1));
}

// ---- bad input (moved from test_plugin_protocol) ----

static void admin_simple_requests(void**) {
    assert_int_equal(code_of("{\"request\":\"ping\"}"), 0);
    assert_int_equal(code_of("{\"request\":\"ping\",\"x\":1}"), 4003);
    assert_int_equal(code_of("{\"request\":\"list_rooms\"}"), 0);
    assert_int_equal(code_of("{\"request\":\"list_rooms\",\"x\":1}"), 4003);
    assert_int_equal(code_of("{\"request\":\"destroy_room\"," ROOM "}"), 0);
    assert_int_equal(code_of("{\"request\":\"room_info\"," ROOM "}"), 0);
    assert_int_equal(code_of("{\"request\":\"room_info\"}"), 4003);
    assert_int_equal(code_of("{\"request\":\"room_info\",\"room\":\"not-a-uuid\"}"), 4003);
    assert_int_equal(code_of("{\"request\":\"drop_tables\"}"), 4002);
    assert_int_equal(code_of("{\"request\":7}"), 4002);
    assert_int_equal(code_of("{}"), 4002);
    assert_int_equal(code_of("[]"), 4001);
    assert_int_equal(code_of("\"ping\""), 4001);
    assert_int_equal(null_body_code(), 4001);
}

static void admin_create_room_fields(void**) {
    assert_int_equal(code_of("{\"request\":\"create_room\"," ROOM ",\"kind\":\"consultation\"}"), 4003);
    assert_int_equal(code_of("{\"request\":\"create_room\"," ROOM ",\"kind\":\"party\",\"state\":\"active\"}"), 4003);
    assert_int_equal(code_of("{\"request\":\"create_room\"," ROOM ",\"kind\":\"follow_up\",\"state\":\"ended\"}"), 4003);
    assert_int_equal(code_of("{\"request\":\"create_room\"," ROOM
                             ",\"kind\":\"follow_up\",\"state\":\"scheduled\",\"recording_policy\":\"always\"}"),
                     4003);
    assert_int_equal(
        code_of("{\"request\":\"create_room\"," ROOM ",\"kind\":\"follow_up\",\"state\":\"scheduled\",\"revoked\":[1]}"),
        4003);
    assert_int_equal(code_of("{\"request\":\"create_room\"," ROOM
                             ",\"kind\":\"follow_up\",\"state\":\"scheduled\",\"revoked\":\"x\"}"),
                     4003);
    // Only "scheduled" and "active" are room states.
    assert_int_equal(built_code(create_room_in(SessionStatus::Ended)), 4003);
    assert_int_equal(built_code(create_room_in(SessionStatus::Cancelled)), 4003);
    // grants: display_name is an optional string within the REST bound (kMaxDisplayNameChars)
    const std::string grant_head = "{\"request\":\"create_room\"," ROOM
                                   ",\"kind\":\"consultation\",\"state\":\"active\",\"grants\":[{\"participant_id\":"
                                   "\"0000aaaa-0000-4000-8000-00000000000b\",\"role\":\"patient\",\"permissions\":[]";
    assert_int_equal(code_of(grant_head + ",\"display_name\":\"Jane Roe\"}]}"), 0);
    assert_int_equal(code_of(grant_head + ",\"display_name\":null}]}"), 4003);
    assert_int_equal(code_of(grant_head + ",\"display_name\":\"" + std::string(kMaxDisplayNameChars + 1, 'x') + "\"}]}"),
                     4003);
    assert_int_equal(code_of(grant_head + ",\"display_name\":\"" + std::string(kMaxDisplayNameChars, 'x') + "\"}]}"), 0);
    assert_int_equal(code_of(grant_head + ",\"x\":1}]}"), 4003);
    assert_int_equal(code_of(grant_head + "},7]}"), 4003);
}

static void admin_set_permissions_fields(void**) {
    assert_int_equal(set_permissions_bits("{\"request\":\"set_permissions\"," ROOM "," PID
                                          ",\"permissions\":[\"chat\",\"publish_audio\",\"chat\"]}"),
                     bit(Permission::Chat) | bit(Permission::PublishAudio));
    assert_int_equal(set_permissions_bits("{\"request\":\"set_permissions\"," ROOM "," PID ",\"permissions\":[]}"), 0);
    assert_int_equal(code_of("{\"request\":\"set_permissions\"," ROOM "," PID ",\"permissions\":[\"fly\"]}"), 4003);
    assert_int_equal(code_of("{\"request\":\"set_permissions\"," ROOM "," PID ",\"permissions\":\"chat\"}"), 4003);
    assert_int_equal(code_of("{\"request\":\"set_permissions\"," ROOM "," PID ",\"permissions\":[3]}"), 4003);
    assert_int_equal(code_of("{\"request\":\"set_permissions\"," ROOM "," PID ",\"permissions\":[],\"role\":\"king\"}"),
                     4003);
    assert_int_equal(code_of("{\"request\":\"set_permissions\"," ROOM "," PID ",\"permissions\":[],\"role\":\"observer\"}"),
                     0);
    assert_int_equal(code_of("{\"request\":\"set_permissions\"," ROOM ",\"permissions\":[]}"), 4003);
}

static void admin_kick_fields(void**) {
    assert_int_equal(code_of("{\"request\":\"kick\"," ROOM "," PID "}"), 0);
    assert_int_equal(code_of("{\"request\":\"kick\"," ROOM "," PID ",\"reason\":\"removed by doctor\"}"), 0);
    assert_int_equal(code_of("{\"request\":\"kick\"," ROOM "," PID ",\"reason\":\"bad\\u0001text\"}"), 4003);
    assert_int_equal(code_of("{\"request\":\"kick\"," ROOM "," PID ",\"reason\":7}"), 4003);
    assert_int_equal(code_of("{\"request\":\"kick\"," ROOM ",\"participant_id\":\"bob\"}"), 4003);
}

static void refusals_never_echo_input(void**) {
    assert_false(error_contains("{\"request\":\"create_room\"," ROOM ",\"kind\":\"SECRETKIND\",\"state\":\"active\"}",
                                "SECRETKIND"));
    assert_false(error_contains("{\"request\":\"kick\"," ROOM "," PID ",\"SECRETFIELD\":1}", "SECRETFIELD"));
    assert_false(error_contains("{\"request\":\"SECRETREQ\"}", "SECRETREQ"));
    // ...but they do name our own field.
    assert_true(error_contains("{\"request\":\"kick\"," ROOM ",\"participant_id\":\"bob\"}", "participant_id"));
}

// ---- error codes ----

static void error_codes_are_stable(void**) {
    assert_int_equal(to_int(PluginError::InvalidJson), 4001);
    assert_int_equal(to_int(PluginError::InvalidRequest), 4002);
    assert_int_equal(to_int(PluginError::InvalidElement), 4003);
    assert_int_equal(to_int(PluginError::TokenMalformed), 4010);
    assert_int_equal(to_int(PluginError::TokenWrongSession), 4019);
    assert_int_equal(to_int(PluginError::TokenRevoked), 4020);
    assert_int_equal(to_int(PluginError::AlreadyJoined), 4030);
    assert_int_equal(to_int(PluginError::NotAdmitted), 4032);
    assert_int_equal(to_int(PluginError::NoSuchRoom), 4040);
    assert_int_equal(to_int(PluginError::NoSuchParticipant), 4041);
    assert_int_equal(to_int(PluginError::PermissionDenied), 4043);
    assert_int_equal(to_int(PluginError::MutedByModerator), 4044);
    assert_int_equal(to_int(PluginError::CannotTargetSelf), 4046);
    assert_int_equal(to_int(PluginError::InvalidSdp), 4050);
    assert_int_equal(to_int(PluginError::NegotiationFailed), 4051);
    assert_int_equal(to_int(PluginError::LimitReached), 4090);
    assert_int_equal(to_int(PluginError::Internal), 5000);
    assert_str_eq(default_error_text(PluginError::NoSuchRoom), "no such session");
    assert_int_equal(to_int(error_for(TokenError::Malformed)), 4010);
    assert_int_equal(to_int(error_for(TokenError::UnsupportedAlg)), 4011);
    assert_int_equal(to_int(error_for(TokenError::UnknownKey)), 4012);
    assert_int_equal(to_int(error_for(TokenError::BadSignature)), 4013);
    assert_int_equal(to_int(error_for(TokenError::WrongAudience)), 4014);
    assert_int_equal(to_int(error_for(TokenError::WrongIssuer)), 4015);
    assert_int_equal(to_int(error_for(TokenError::NotYetValid)), 4016);
    assert_int_equal(to_int(error_for(TokenError::Expired)), 4017);
    assert_int_equal(to_int(error_for(TokenError::BadClaims)), 4018);
    assert_int_equal(to_int(error_for(TokenError::None)), 5000);
}

// ---- replies: the plugin's builders, the controller's reading ----

static void reply_builders_keep_the_wire_format(void**) {
    assert_str_eq(reply_text(pong_reply(2)), R"({"telemed":"pong","rooms":2})");
    assert_str_eq(reply_text(room_created_reply(kRoom, SessionStatus::Active, true)),
                  R"({"telemed":"room_created","room":"11111111-1111-4111-8111-111111111111","state":"active",)"
                  R"("existed":true})");
    assert_str_eq(reply_text(room_destroyed_reply(kRoom, 2)),
                  R"({"telemed":"room_destroyed","room":"11111111-1111-4111-8111-111111111111",)"
                  R"("participants_disconnected":2})");
    assert_str_eq(reply_text(rooms_reply({RoomSummary{kRoom, SessionKind::Consultation, SessionStatus::Active, 2}})),
                  R"({"telemed":"rooms","rooms":[{"room":"11111111-1111-4111-8111-111111111111",)"
                  R"("kind":"consultation","state":"active","participants":2}]})");
    assert_str_eq(reply_text(rooms_reply({})), R"({"telemed":"rooms","rooms":[]})");
    assert_str_eq(reply_text(room_info_reply(kRoom, SessionKind::FollowUp, SessionStatus::Scheduled,
                                             RecordingPolicy::Required, Json(json_array()), 1)),
                  R"({"telemed":"room","room":"11111111-1111-4111-8111-111111111111","kind":"follow_up",)"
                  R"("state":"scheduled","recording_policy":"required","participants":[],"revoked":1})");
    assert_str_eq(reply_text(permissions_set_reply(kRoom, kPid, true)),
                  R"({"telemed":"permissions_set","room":"11111111-1111-4111-8111-111111111111",)"
                  R"("participant_id":"22222222-2222-4222-8222-222222222222","connected":true})");
    assert_str_eq(reply_text(kicked_reply(kRoom, kPid, false)),
                  R"({"telemed":"kicked","room":"11111111-1111-4111-8111-111111111111",)"
                  R"("participant_id":"22222222-2222-4222-8222-222222222222","connected":false})");
    assert_str_eq(reply_text(error_reply(PluginFailure::of(PluginError::NoSuchRoom))),
                  R"({"telemed":"error","error_code":4040,"error":"no such session"})");
}

// "equal" when rooms_reply of two rooms reads back to them.
static std::string rooms_round_trip() {
    std::vector<RoomSummary> rooms{RoomSummary{kRoom, SessionKind::Emergency, SessionStatus::Active, 3},
                                   RoomSummary{kPid, SessionKind::Consultation, SessionStatus::Scheduled, 0}};
    Json j = rooms_reply(rooms);
    auto back = parse_rooms_reply(j.get());
    if (!back) return "unreadable";
    return *back == rooms ? "equal" : "different";
}

static void rooms_reply_reads_back(void**) {
    assert_str_eq(rooms_round_trip(), "equal");
    assert_str_eq(rooms_text(R"({"telemed":"rooms","rooms":[]})"), "0 rooms:");
    // Upper-case ids come back lower-case.
    assert_str_eq(rooms_text(R"({"telemed":"rooms","rooms":[{"room":"AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA",)"
                             R"("kind":"consultation","state":"active","participants":1}]})"),
                  "1 rooms: aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/1");
    // Refused: another kind of answer, no array, a non-UUID room, a negative
    // or non-integer count, an unknown state or kind, a missing or extra field.
    assert_str_eq(rooms_text(R"({"telemed":"snapshot","rooms":[]})"), "refused");
    assert_str_eq(rooms_text(R"({"telemed":"rooms"})"), "refused");
    assert_str_eq(rooms_text(R"({"telemed":"rooms","rooms":{}})"), "refused");
    const std::string head = R"({"telemed":"rooms","rooms":[{"room":)";
    assert_str_eq(rooms_text(head + R"("lobby","kind":"consultation","state":"active","participants":1}]})"),
                  "refused");
    assert_str_eq(rooms_text(head + R"("11111111-1111-4111-8111-111111111111","kind":"consultation",)"
                                    R"("state":"active","participants":-1}]})"),
                  "refused");
    assert_str_eq(rooms_text(head + R"("11111111-1111-4111-8111-111111111111","kind":"consultation",)"
                                    R"("state":"active","participants":"1"}]})"),
                  "refused");
    assert_str_eq(rooms_text(head + R"("11111111-1111-4111-8111-111111111111","kind":"consultation",)"
                                    R"("state":"ended","participants":1}]})"),
                  "refused");
    assert_str_eq(rooms_text(head + R"("11111111-1111-4111-8111-111111111111","kind":"party",)"
                                    R"("state":"active","participants":1}]})"),
                  "refused");
    assert_str_eq(rooms_text(head + R"("11111111-1111-4111-8111-111111111111","kind":"consultation",)"
                                    R"("state":"active"}]})"),
                  "refused");
    assert_str_eq(rooms_text(head + R"("11111111-1111-4111-8111-111111111111","kind":"consultation",)"
                                    R"("state":"active","participants":1,"x":1}]})"),
                  "refused");
}

static void replies_read_back_by_the_controller(void**) {
    assert_str_eq(read_answer(pong_reply(0)), "ok pong");
    assert_str_eq(read_answer(room_created_reply(kRoom, SessionStatus::Scheduled, false)), "ok room_created");
    assert_str_eq(read_answer(room_destroyed_reply(kRoom, 0)), "ok room_destroyed");
    assert_str_eq(read_answer(rooms_reply({})), "ok rooms");
    assert_str_eq(read_answer(room_info_reply(kRoom, SessionKind::Consultation, SessionStatus::Active,
                                              RecordingPolicy::Optional, Json(json_array()), 0)),
                  "ok room");
    assert_str_eq(read_answer(permissions_set_reply(kRoom, kPid, false)), "ok permissions_set");
    assert_str_eq(read_answer(kicked_reply(kRoom, kPid, true)), "ok kicked");
    assert_str_eq(read_answer(error_reply(PluginFailure::of(PluginError::NoSuchRoom))), "error 4040 no-such-room");
    assert_str_eq(read_answer(error_reply(PluginFailure::of(PluginError::LimitReached, "revoked list full"))),
                  "error 4090");
    assert_str_eq(read_answer(error_reply(PluginFailure::of(PluginError::InvalidElement))), "error 4003");
}

// ---- the Janus envelope (moved from test_controller_aux_janus_reply) ----

static void test_success(void**) {
    assert_string_equal(
        parse(R"({"janus":"success","transaction":"tx1","response":{"telemed":"created","room":"r1"}})"),
        R"(ok=1 unreachable=0 plugin_error=0 error= response={"room":"r1","telemed":"created"})");
    // No transaction in the reply is accepted.
    assert_string_equal(parse(R"({"janus":"success","response":{}})"),
                        "ok=1 unreachable=0 plugin_error=0 error= response={}");
}

static void test_plugin_error(void**) {
    assert_string_equal(
        parse(R"({"janus":"success","transaction":"tx1","response":{"telemed":"error","error_code":427,"error":"x"}})"),
        R"(ok=0 unreachable=0 plugin_error=427 error=plugin error 427 response={"error":"x","error_code":427,"telemed":"error"})");
    // A plugin error without a usable code is a protocol failure.
    assert_string_equal(parse(R"({"janus":"success","response":{"telemed":"error"}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=plugin error without a valid error_code response=null");
    assert_string_equal(parse(R"({"janus":"success","response":{"telemed":"error","error_code":"427"}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=plugin error without a valid error_code response=null");
}

static void test_janus_error(void**) {
    assert_string_equal(
        parse(R"({"janus":"error","transaction":"tx1","error":{"code":403,"reason":"Unauthorized request"}})"),
        "ok=0 unreachable=1 plugin_error=0 error=janus error 403 response=null");
    assert_string_equal(parse(R"({"janus":"error","error":{"code":460,"reason":"No such plugin"}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=janus error 460 response=null");
    assert_string_equal(parse(R"({"janus":"error"})"),
                        "ok=0 unreachable=1 plugin_error=0 error=janus error response=null");
}

static void test_malformed(void**) {
    assert_string_equal(parse("not json"), "ok=0 unreachable=1 plugin_error=0 error=invalid JSON from Janus response=null");
    assert_string_equal(parse("[1]"), "ok=0 unreachable=1 plugin_error=0 error=invalid JSON from Janus response=null");
    assert_string_equal(parse(R"({"janus":"success","response":{}} x)"),
                        "ok=0 unreachable=1 plugin_error=0 error=invalid JSON from Janus response=null");
    assert_string_equal(parse(R"({"janus":"success","janus":"error","response":{}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=invalid JSON from Janus response=null");
    assert_string_equal(parse(R"({"janus":"ack","transaction":"tx1"})"),
                        "ok=0 unreachable=1 plugin_error=0 error=unexpected Janus reply response=null");
    assert_string_equal(parse(R"({"janus":"success","response":[1]})"),
                        "ok=0 unreachable=1 plugin_error=0 error=Janus reply without a response object response=null");
    assert_string_equal(parse(R"({"janus":"success","transaction":"other","response":{}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=reply for another transaction response=null");
    assert_string_equal(parse(R"({"janus":"success","transaction":7,"response":{}})"),
                        "ok=0 unreachable=1 plugin_error=0 error=reply for another transaction response=null");
}

static void test_ping_reply(void**) {
    assert_true(parse_ping_reply(R"({"janus":"pong","transaction":"t9"})", "t9"));
    assert_true(parse_ping_reply(R"({"janus":"pong"})", "t9"));
    assert_false(parse_ping_reply(R"({"janus":"pong","transaction":"t8"})", "t9"));
    assert_false(parse_ping_reply(R"({"janus":"error","transaction":"t9"})", "t9"));
    assert_false(parse_ping_reply("pong", "t9"));
}

static void test_build_body(void**) {
    int refs = 0;
    assert_string_equal(build(R"({"request":"create_room","room":"r1"})", &refs),
                        R"({"admin_secret":"s3cret","janus":"message_plugin","plugin":"janus.plugin.telemed",)"
                        R"("request":{"request":"create_room","room":"r1"},"transaction":"tx5"})");
    assert_int_equal(refs, 1);  // borrowed: the body released its reference
    assert_string_equal(build("[1,2]", &refs), "null");  // only objects are sent
    assert_str_eq(janus_ping_text(), R"({"janus":"ping","transaction":"tx6","admin_secret":"s3cret"})");
}

namespace {

void admin_file_shared_fields(void**) {
    assert_str_eq(wire(sample_file_shared({kPid2})),
                  std::string(R"({"request":"file_shared","room":")") + kRoom +
                      R"(","file":{"id":"33333333-3333-4333-8333-333333333333","session_id":")" + kRoom +
                      R"(","name":"Befund Müller.pdf","size":12345,"content_type":"application/pdf","sha256":")" +
                      std::string(64, 'a') + R"(","sender":")" + kPid + R"(","to":[")" + kPid2 +
                      R"("],"created_at":"2026-12-05T19:00:00.123456Z"}})");
    Json good = build_request(sample_file_shared({}));
    auto with = [&](const char* key, json_t* value) {
        Json j(json_deep_copy(good.get()));
        json_object_set_new(json_object_get(j.get(), "file"), key, value);
        return to_int(parse_request(j.get()).failure.code);
    };
    assert_int_equal(with("size", json_integer(-1)), 4003);
    assert_int_equal(with("size", json_string("1")), 4003);
    assert_int_equal(with("sha256", json_string("ABC")), 4003);
    assert_int_equal(with("name", json_string("")), 4003);
    assert_int_equal(with("name", json_string(std::string(256, 'a').c_str())), 4003);
    assert_int_equal(with("name", json_string("a\nb")), 4003);
    assert_int_equal(with("sender", json_string("nope")), 4003);
    assert_int_equal(with("session_id", json_string(kPid)), 4003);  // not the room
    assert_int_equal(with("extra", json_true()), 4003);
    json_t* many = json_array();
    for (int i = 0; i < 51; ++i) json_array_append_new(many, json_string(kPid2));
    assert_int_equal(with("to", many), 4003);
    Json nofile(json_deep_copy(good.get()));
    json_object_del(nofile.get(), "file");
    assert_int_equal(to_int(parse_request(nofile.get()).failure.code), 4003);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_builder_round_trips),
        cmocka_unit_test(record_request_and_reply),
        cmocka_unit_test(builders_keep_the_wire_format),
        cmocka_unit_test(restore_fields_wire_format),
        cmocka_unit_test(create_room_consents),
        cmocka_unit_test(snapshot_reply_reads_back),
        cmocka_unit_test(rooms_reply_reads_back),
        cmocka_unit_test(built_ids_are_normalised_by_the_parser),
        cmocka_unit_test(uuid_normalisation),
        cmocka_unit_test(limits_give_4003),
        cmocka_unit_test(admin_simple_requests),
        cmocka_unit_test(admin_create_room_fields),
        cmocka_unit_test(admin_set_permissions_fields),
        cmocka_unit_test(admin_kick_fields),
        cmocka_unit_test(admin_file_shared_fields),
        cmocka_unit_test(refusals_never_echo_input),
        cmocka_unit_test(error_codes_are_stable),
        cmocka_unit_test(reply_builders_keep_the_wire_format),
        cmocka_unit_test(replies_read_back_by_the_controller),
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_plugin_error),
        cmocka_unit_test(test_janus_error),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_ping_reply),
        cmocka_unit_test(test_build_body),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
