// plugin/plugin_core (+ admin.cpp, moderation.cpp): the control plane driven
// through the recording FakeHost of plugin_fake_host.hpp, with a fixed clock.
// Queued work is run with drain() on the test thread, except in the
// worker-thread tests. The media path has its own file (test_plugin_media.cpp).
//
// Test bodies keep to plain values (a failing CMocka assertion longjmps past
// C++ destructors); the fixture lives in setup/teardown state and the helpers
// return ints, bools and C strings owned by the fixture.
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "plugin_fake_host.hpp"

using namespace plugin_test;

namespace {

int setup(void** state) {
    *state = make_fixture(test_config(true));
    return 0;
}
int setup_no_events(void** state) {
    *state = make_fixture(test_config(false));
    return 0;
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

// Room's precheck table through its plain interface; 0 when every property
// holds, else the number of the first that failed.
int room_precheck_probe() {
    Room room(kRoom, SessionKind::Consultation, RoomState::Active, RecordingPolicy::Optional);
    Precheck good;
    Precheck audio;
    audio.result = PrecheckResult::AudioOnly;
    audio.camera = false;
    if (room.precheck(kPat) != nullptr) return 1;
    if (!room.set_precheck(kPat, good) || !room.set_precheck(kPat, audio)) return 2;
    if (room.precheck_count() != 1 || !room.precheck(kPat) || !(*room.precheck(kPat) == audio)) return 3;
    if (!room.set_precheck(kDoc, good) || room.precheck_count() != 2) return 4;
    if (!room.revoke(kPat) || room.precheck(kPat) != nullptr || room.precheck_count() != 1) return 5;
    for (std::size_t i = room.precheck_count(); i < kMaxGrantsPerRoom; ++i)
        if (!room.set_precheck("id-" + std::to_string(i), good)) return 6;
    if (room.set_precheck("one-too-many", good)) return 7;      // full: a new id is refused
    if (!room.set_precheck(kDoc, audio)) return 8;              // a known id is still updated
    if (room.precheck_count() != kMaxGrantsPerRoom) return 9;
    return 0;
}

// One count of the admin `stats` answer ("handles", "attached"); -1 if absent.
long long stat(Fixture* f, const char* group, const char* key) {
    if (admin(f, "{\"request\":\"stats\"}") != 0) return -2;
    json_error_t err;
    Json j(json_loads(f->last_admin.c_str(), 0, &err));
    json_t* v = json_object_get(json_object_get(j.get(), group), key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
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
    assert_string_equal(field(f, 0, "joined", "status"), "admitted");  // bypass_lobby
    assert_int_equal(perms_of(f, 0, "joined"), kAllPermissions);
    assert_int_equal(array_size(f, 0, "joined", "participants"), 0);
    assert_int_equal(caps(f, 0), kAllPermissions);
    assert_int_equal(query_joined(f, 0), 1);
    assert_true(has_text(query_dump(f, 0), "\"status\":\"admitted\""));
    assert_int_equal(notifications(f, "joined"), 1);
    // A moderator gets the lobby list right after its join, even if empty.
    assert_int_equal(count(f, 0, "waiting"), 1);
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 0);
}

// Before the session starts everyone waits in the lobby, even a doctor:
// capability bits zero, an empty roster, no roster events to anyone.
static void join_reports_scheduled_state(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "scheduled"), 0);
    assert_int_equal(join(f, 0, patient_token(f)), 0);
    assert_string_equal(field(f, 0, "joined", "session_state"), "scheduled");
    assert_string_equal(field(f, 0, "joined", "status"), "waiting");
    assert_int_equal(perms_of(f, 0, "joined"), default_permissions(Role::Patient, SessionKind::Consultation));
    assert_int_equal(caps(f, 0), 0);
    assert_int_equal(array_size(f, 0, "joined", "participants"), 0);
    assert_true(has_text(query_dump(f, 0), "\"status\":\"waiting\""));
    assert_int_equal(notifications(f, "waiting"), 1);
    assert_int_equal(join(f, 1, doctor_token(f)), 0);
    assert_string_equal(field(f, 1, "joined", "status"), "waiting");
    assert_int_equal(caps(f, 1), 0);
    assert_int_equal(array_size(f, 1, "joined", "participants"), 0);
    assert_int_equal(count(f, 0, "participants"), 0);
    assert_int_equal(count(f, 1, "participants"), 0);
    assert_int_equal(count(f, 0, "waiting"), 0);  // waiting ones see no lobby list
    assert_int_equal(count(f, 1, "waiting"), 0);
    // A waiting participant cannot moderate.
    assert_int_equal(moderate(f, 1, "admit", kPat), 4032);
    // The session starts: bypass_lobby holders (the doctor) are admitted.
    clear_calls(f);
    assert_int_equal(create_room(f, kRoom, "active"), 0);
    assert_int_equal(caps(f, 1), kAllPermissions);  // at once
    assert_int_equal(caps(f, 0), 0);                // the patient still waits
    f->core->drain();
    assert_int_equal(count(f, 1, "admitted"), 1);
    assert_int_equal(array_size(f, 1, "admitted", "participants"), 0);  // nobody else admitted
    assert_int_equal(count(f, 0, "admitted"), 0);
    assert_int_equal(count(f, 0, "participants"), 0);
    assert_int_equal(array_size(f, 1, "waiting", "waiting"), 1);  // the patient
    assert_string_equal(field(f, 1, "joined", "status"), "(no event)");
    assert_true(has_text(field_json(f, 1, "waiting", "waiting"), kPat));
    assert_int_equal(notifications(f, "admitted"), 1);
    // Admission by the doctor.
    assert_int_equal(moderate(f, 1, "admit", kPat), 0);
    assert_int_equal(caps(f, 0), default_permissions(Role::Patient, SessionKind::Consultation));
    assert_int_equal(count(f, 0, "admitted"), 1);
    assert_int_equal(array_size(f, 0, "admitted", "participants"), 1);
    assert_int_equal(array_size(f, 1, "participants", "participants"), 1);
    assert_int_equal(array_size(f, 1, "waiting", "waiting"), 0);
}

static void others_get_roster_updates(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    // The patient has no bypass_lobby: it waits, sees nobody, nobody sees it
    // in the roster; the doctor (moderate) gets the lobby list.
    assert_string_equal(field(f, 1, "joined", "status"), "waiting");
    assert_int_equal(array_size(f, 1, "joined", "participants"), 0);
    assert_int_equal(count(f, 0, "participants"), 0);
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 1);
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"),
                         "{\"participant_id\":\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\",\"role\":\"patient\","
                         "\"display_name\":null,\"precheck\":null,\"consent\":null}"));
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    assert_int_equal(array_size(f, 1, "admitted", "participants"), 1);  // sees the doctor
    assert_true(has_text(field_json(f, 1, "admitted", "participants"),
                         "{\"participant_id\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\",\"role\":\"doctor\","
                         "\"display_name\":null,\"publishing\":[],\"muted\":[],\"muted_by_moderator\":[],"
                         "\"not_permitted\":[],\"precheck\":null,\"consent\":null}"));
    assert_int_equal(count(f, 0, "participants"), 1);  // doctor told about the patient
    assert_int_equal(array_size(f, 0, "participants", "participants"), 1);
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 0);
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
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
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

// ---------------------------------------------------------------- files (plugin/files.cpp)

static std::string file_shared_body(const char* room, const char* sender, const char* to_json) {
    char body[1024];
    std::snprintf(body, sizeof body,
                  "{\"request\":\"file_shared\",\"room\":\"%s\",\"file\":{\"id\":"
                  "\"44444444-4444-4444-8444-444444444444\",\"session_id\":\"%s\",\"name\":\"scan.pdf\","
                  "\"size\":10,\"content_type\":\"application/pdf\",\"sha256\":"
                  "\"%s\",\"sender\":\"%s\",\"to\":%s,"
                  "\"created_at\":\"2026-12-05T19:00:00Z\"}}",
                  room, room, std::string(64, 'b').c_str(), sender, to_json);
    return body;
}

static void file_shared_tells_the_admitted_addressees(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));  // waits in the lobby
    clear_calls(f);
    assert_int_equal(admin(f, file_shared_body(kRoom, kPat, "[]").c_str()), 0);
    assert_string_equal(admin_str(f, "telemed"), "file_shared");
    assert_int_equal(admin_int(f, "delivered"), 1);
    f->core->drain();
    assert_int_equal(count(f, 0, "file"), 1);
    assert_int_equal(count(f, 1, "file"), 0);  // waiting: not told
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    clear_calls(f);
    char to[128];
    std::snprintf(to, sizeof to, "[\"%s\"]", kDoc);
    assert_int_equal(admin(f, file_shared_body(kRoom, kPat, to).c_str()), 0);
    assert_int_equal(admin_int(f, "delivered"), 2);  // the recipient and the sender
    f->core->drain();
    assert_int_equal(count(f, 0, "file"), 1);
    assert_int_equal(count(f, 1, "file"), 1);
    std::snprintf(to, sizeof to, "[\"%s\"]", kObs);
    clear_calls(f);
    assert_int_equal(admin(f, file_shared_body(kRoom, kDoc, to).c_str()), 0);
    assert_int_equal(admin_int(f, "delivered"), 1);  // only the sender is here
    f->core->drain();
    assert_int_equal(count(f, 0, "file"), 1);
    assert_int_equal(count(f, 1, "file"), 0);
    assert_int_equal(admin(f, file_shared_body(kRoom3, kDoc, "[]").c_str()), 4040);
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
    assert_int_equal(join(f, 1, doctor_token(f)), 0);
    assert_int_equal(moderate(f, 1, "admit", kPat), 0);
    char body[256];
    std::snprintf(body, sizeof body,
                  "{\"request\":\"set_permissions\",\"room\":\"%s\",\"participant_id\":\"%s\","
                  "\"permissions\":[\"subscribe\",\"chat\"]}",
                  kRoom, kPat);
    const int rosters_before = count(f, 1, "participants");
    assert_int_equal(admin(f, body), 0);
    assert_int_equal(admin_int(f, "connected"), 1);
    const long expected = bit(Permission::Subscribe) | bit(Permission::Chat);
    assert_int_equal(caps(f, 0), expected);  // live, before the event is even sent
    f->core->drain();
    assert_int_equal(perms_of(f, 0, "permissions"), expected);
    // The others learn that it may no longer publish (their apps say why its
    // camera is off instead of freezing its last frame).
    assert_int_equal(count(f, 1, "participants"), rosters_before + 1);
    assert_true(has_text(field_json(f, 1, "participants", "participants"),
                         "\"not_permitted\":[\"audio\",\"video\",\"screen\"]"));
    // Later joins use the stored set, whatever the token says (and it comes
    // back within the reconnect grace: admitted without the lobby).
    assert_int_equal(leave(f, 0), 0);
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, kAllPermissions)), 0);
    assert_int_equal(perms_of(f, 0, "joined"), expected);
    assert_string_equal(field(f, 0, "joined", "status"), "admitted");
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
    // The token still says patient with every permission (bypass_lobby
    // included): the grant wins, so it waits in the lobby.
    assert_int_equal(join(f, 0, token(f, kPat, kRoom, Role::Patient, kAllPermissions)), 0);
    assert_string_equal(field(f, 0, "joined", "role"), "observer");
    assert_string_equal(field(f, 0, "joined", "status"), "waiting");
    assert_int_equal(perms_of(f, 0, "joined"), bit(Permission::Subscribe));
    assert_int_equal(caps(f, 0), 0);
    assert_int_equal(join(f, 1, doctor_token(f)), 0);
    assert_int_equal(moderate(f, 1, "admit", kPat), 0);
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
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    clear_calls(f);
    assert_int_equal(join(f, 2, patient_token(f)), 0);
    assert_int_equal(count(f, 1, "kicked"), 1);
    assert_string_equal(field(f, 1, "kicked", "reason"), "replaced");
    assert_int_equal(closes(f, 1), 1);
    assert_int_equal(caps(f, 1), 0);
    assert_int_equal(query_joined(f, 1), 0);
    assert_int_equal(query_joined(f, 2), 1);
    assert_string_equal(field(f, 2, "joined", "status"), "admitted");  // replaces an admitted handle
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
    // (A `required` room would keep everyone in the lobby without consent:
    // test_plugin_recording.cpp.)
    create_room(f, kRoom, "active", ",\"recording_policy\":\"disabled\"");
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
    assert_string_equal(admin_str(f, "recording_policy"), "disabled");
    assert_true(f->last_admin.find("\"participant_id\":\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\",\"role\":\"patient\","
                                   "\"permissions\":[\"publish_audio\",\"publish_video\",\"subscribe\",\"chat\","
                                   "\"share_files\"]") != std::string::npos);
    // Issue 3 additions: status, mutes, publishing, counters.
    assert_true(has_text(room_member(f, kPat), "\"capabilities\":[],\"status\":\"waiting\",\"muted\":[],"
                                               "\"muted_by_moderator\":[],\"publishing\":[]"));
    assert_true(has_text(room_member(f, kDoc), "\"status\":\"admitted\""));
    assert_true(has_text(room_member(f, kDoc),
                         "\"stats\":{\"rtp_in\":0,\"rtp_forwarded\":0,\"rtp_replayed\":0,\"rtp_dropped\":0,\"rtcp_dropped\":0,"
                         "\"data_dropped\":0,\"sdp_refused\":0,\"rtp_recorded\":0},\"consent\":null"));
    std::snprintf(body, sizeof body, "{\"request\":\"room_info\",\"room\":\"%s\"}", kRoom3);
    assert_int_equal(admin(f, body), 4040);
    assert_int_equal(admin(f, "{\"request\":\"room_info\",\"room\":\"zzz\"}"), 4003);
    assert_int_equal(admin(f, "{\"request\":\"reboot\"}"), 4002);
}

// ---------------------------------------------------------------- lobby and moderation

static void deny_removes_from_lobby_without_ban(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    clear_calls(f);
    assert_int_equal(moderate(f, 0, "deny", kPat), 0);
    assert_string_equal(field(f, 0, "ok", "request"), "deny");
    assert_string_equal(field(f, 0, "ok", "participant_id"), kPat);
    assert_int_equal(count(f, 1, "denied"), 1);
    assert_int_equal(closes(f, 1), 1);
    assert_true(index_of_last(f, 1, "denied") < index_of_close(f, 1));
    assert_int_equal(caps(f, 1), 0);
    assert_int_equal(query_joined(f, 1), 0);
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 0);
    assert_int_equal(count(f, 0, "participants"), 0);  // it never was in the roster
    assert_int_equal(notifications(f, "denied"), 1);
    // Not banned: it may join again, and lands in the lobby again.
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_string_equal(field(f, 1, "joined", "status"), "waiting");
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 1);
    // Denying it again from another handle's point of view: no longer admitted ones.
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    assert_int_equal(moderate(f, 0, "deny", kPat), 4041);  // admitted now: not in the lobby
}

static void lobby_request_errors(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    assert_int_equal(moderate(f, 0, "admit", kPat), 4031);  // not joined
    assert_int_equal(moderate(f, 0, "kick", kPat), 4031);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    join(f, 2, patient_token(f, kObs));
    assert_int_equal(moderate(f, 1, "admit", kObs), 4032);  // caller waits
    assert_int_equal(moderate(f, 1, "deny", kObs), 4032);
    assert_int_equal(moderate(f, 1, "kick", kObs), 4032);
    assert_int_equal(moderate(f, 0, "admit", kMed), 4041);  // unknown
    assert_int_equal(moderate(f, 0, "admit", kDoc), 4046);  // self
    assert_int_equal(moderate(f, 0, "deny", kDoc), 4046);
    assert_int_equal(moderate(f, 0, "kick", kDoc), 4046);
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    assert_int_equal(moderate(f, 0, "admit", kPat), 4041);  // already admitted
    assert_int_equal(moderate(f, 1, "admit", kObs), 4043);  // admitted, no moderate
    assert_int_equal(moderate(f, 1, "kick", kObs), 4043);
    assert_int_equal(moderate(f, 0, "admit", "not-a-uuid"), 4003);
    assert_int_equal(request(f, 0, "{\"request\":\"admit\"}"), 4003);
    assert_int_equal(caps(f, 2), 0);  // nothing of that let the observer in
}

static void reconnect_grace_skips_the_lobby(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    moderate(f, 0, "admit", kPat);
    // A dropped handle (destroy_session) comes back 29 s later: admitted.
    assert_true(f->core->detach(H(f, 1)));
    f->host.now += 29;
    assert_int_equal(join(f, 2, patient_token(f)), 0);
    assert_string_equal(field(f, 2, "joined", "status"), "admitted");
    assert_int_equal(array_size(f, 2, "joined", "participants"), 1);
    // An explicit leave counts too; 31 s later the grace is over.
    assert_int_equal(leave(f, 2), 0);
    f->host.now += 31;
    assert_int_equal(join(f, 2, patient_token(f)), 0);
    assert_string_equal(field(f, 2, "joined", "status"), "waiting");
    assert_int_equal(caps(f, 2), 0);
    // Waiting ones never earn a grace: leave from the lobby, come back at once.
    assert_int_equal(leave(f, 2), 0);
    assert_int_equal(join(f, 2, patient_token(f)), 0);
    assert_string_equal(field(f, 2, "joined", "status"), "waiting");
}

// Issue 11 item 4: the admin `snapshot` shows what a Janus restart would
// lose (admissions, mutes, moderator kicks, the instance id), and a
// create_room carrying it back ("admitted", "muted", "revoked") restores it:
// the admitted patient skips the lobby, its forced mute holds, the kicked
// id stays out.
static void snapshot_and_restore(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    join(f, 2, patient_token(f, kObs));
    moderate(f, 0, "admit", kPat);
    assert_int_equal(mute(f, 0, "mute", kPat, "audio"), 0);
    assert_int_equal(moderate(f, 0, "kick", kObs), 0);
    assert_int_equal(admin(f, "{\"request\":\"snapshot\"}"), 0);
    const std::string snap = f->last_admin;
    assert_true(has_text(snap.c_str(), "\"telemed\":\"snapshot\""));
    assert_true(std::strlen(admin_str(f, "instance")) >= 16);
    assert_true(has_text(snap.c_str(), "\"admitted\":[\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\","
                                       "\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\"]"));
    assert_true(has_text(snap.c_str(), "\"muted\":[{\"participant_id\":\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\","
                                       "\"moderator\":[\"audio\"],\"self\":[],"
                                       "\"by\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\"}]"));
    assert_true(has_text(snap.c_str(), "\"revoked\":[\"cccccccc-cccc-4ccc-8ccc-cccccccccccc\"]"));
    // The ping carries the same instance id.
    const std::string instance = admin_str(f, "instance");
    assert_int_equal(admin(f, "{\"request\":\"ping\"}"), 0);
    assert_string_equal(admin_str(f, "instance"), instance.c_str());

    // The room is lost (as in a Janus restart), then re-created with its state.
    char body[256];
    std::snprintf(body, sizeof body, "{\"request\":\"destroy_room\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 0);
    assert_int_equal(create_room(f, kRoom, "active",
                                 ",\"revoked\":[\"cccccccc-cccc-4ccc-8ccc-cccccccccccc\"],"
                                 "\"admitted\":[\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\"],"
                                 "\"muted\":[{\"participant_id\":\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\","
                                 "\"moderator\":[\"audio\"],\"self\":[],"
                                 "\"by\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\"}]"),
                     0);
    clear_calls(f);
    assert_int_equal(join(f, 3, patient_token(f)), 0);
    assert_string_equal(field(f, 3, "joined", "status"), "admitted");
    assert_string_equal(field_json(f, 3, "muted", "muted_by_moderator"), "[\"audio\"]");
    const long full = default_permissions(Role::Patient, SessionKind::Consultation);
    assert_int_equal(caps(f, 3), full & ~bit(Permission::PublishAudio));
    assert_int_equal(join(f, 4, patient_token(f, kObs)), 4020);
    // Without "admitted", a patient waits (control).
    assert_int_equal(join(f, 5, patient_token(f, kMed)), 0);
    assert_string_equal(field(f, 5, "joined", "status"), "waiting");
    // The admission restored counts as a departure now: reconnect_grace_s.
    assert_int_equal(leave(f, 3), 0);
    f->host.now += 31;
    assert_int_equal(join(f, 3, patient_token(f)), 0);
    assert_string_equal(field(f, 3, "joined", "status"), "waiting");
}

// The restore can come after the rejoin: after a Janus restart the room is
// re-created first by a create_room without "admitted" (a REST upsert), the
// patient rejoins into the lobby, then the reconciler's create_room carries
// the admission back. The waiting patient is admitted then, as by a
// moderator's admit (events, notification, roster and lobby list); a
// restored id that was not admitted before the restore stays out of it.
static void restore_admits_a_member_waiting_in_the_lobby(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "active"), 0);  // the REST upsert
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_int_equal(join(f, 2, patient_token(f, kObs)), 0);
    assert_string_equal(field(f, 1, "joined", "status"), "waiting");
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 2);
    clear_calls(f);
    // The reconciler: the patient was admitted and force-muted; kObs was kicked.
    assert_int_equal(create_room(f, kRoom, "active",
                                 ",\"revoked\":[\"cccccccc-cccc-4ccc-8ccc-cccccccccccc\"],"
                                 "\"admitted\":[\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\","
                                 "\"cccccccc-cccc-4ccc-8ccc-cccccccccccc\"],"
                                 "\"muted\":[{\"participant_id\":\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\","
                                 "\"moderator\":[\"audio\"],\"self\":[]}]"),
                     0);
    f->core->drain();
    const long full = default_permissions(Role::Patient, SessionKind::Consultation);
    assert_int_equal(caps(f, 1), full & ~bit(Permission::PublishAudio));
    assert_string_equal(field_json(f, 1, "muted", "muted_by_moderator"), "[\"audio\"]");
    assert_int_equal(count(f, 1, "admitted"), 1);
    assert_int_equal(array_size(f, 1, "admitted", "participants"), 1);  // sees the doctor
    assert_int_equal(array_size(f, 0, "participants", "participants"), 1);
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 0);
    assert_int_equal(notifications(f, "admitted"), 1);
    assert_true(has_text(room_member(f, kPat), "\"status\":\"admitted\""));
    // The revoked id was kicked, not admitted.
    assert_int_equal(count(f, 2, "kicked"), 1);
    assert_int_equal(count(f, 2, "admitted"), 0);
    assert_string_equal(room_member(f, kObs), "(none)");
    // Sent again (a retried reconcile): nothing more happens.
    clear_calls(f);
    assert_int_equal(create_room(f, kRoom, "active", ",\"admitted\":[\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\"]"),
                     0);
    f->core->drain();
    assert_int_equal(count(f, 1, "admitted"), 0);
    assert_int_equal(notifications(f, "admitted"), 0);
}

// Before the session starts everyone waits (the lobby rule): a restored
// admission does not let a waiting member into a scheduled room.
static void restore_leaves_the_lobby_of_a_scheduled_room(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "scheduled"), 0);
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    clear_calls(f);
    assert_int_equal(create_room(f, kRoom, "scheduled", ",\"admitted\":[\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\"]"),
                     0);
    f->core->drain();
    assert_int_equal(caps(f, 1), 0);
    assert_int_equal(count(f, 1, "admitted"), 0);
    assert_true(has_text(room_member(f, kPat), "\"status\":\"waiting\""));
}

static void set_permissions_can_admit_and_make_moderator(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    join(f, 2, patient_token(f, kObs));
    clear_calls(f);
    // bypass_lobby granted live in an active session: admitted at once.
    assert_int_equal(set_permissions(f, kPat, "[\"subscribe\",\"bypass_lobby\"]"), 0);
    assert_int_equal(caps(f, 1), bit(Permission::Subscribe) | bit(Permission::BypassLobby));
    f->core->drain();
    assert_int_equal(count(f, 1, "permissions"), 1);
    assert_int_equal(count(f, 1, "admitted"), 1);
    assert_true(index_of_last(f, 1, "permissions") < index_of_last(f, 1, "admitted"));
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 1);  // only kObs left
    // moderate granted to an admitted member: it gets the lobby list.
    assert_int_equal(count(f, 1, "waiting"), 0);
    assert_int_equal(set_permissions(f, kPat, "[\"subscribe\",\"moderate\"]"), 0);
    f->core->drain();
    assert_int_equal(count(f, 1, "waiting"), 1);
    assert_int_equal(array_size(f, 1, "waiting", "waiting"), 1);
    assert_int_equal(moderate(f, 1, "admit", kObs), 0);
    assert_int_equal(caps(f, 2), default_permissions(Role::Patient, SessionKind::Consultation));
    // In a scheduled room bypass_lobby does not admit before the start.
    create_room(f, kRoom2, "scheduled");
    join(f, 3, patient_token(f, kMed, kRoom2));
    char body[256];
    std::snprintf(body, sizeof body,
                  "{\"request\":\"set_permissions\",\"room\":\"%s\",\"participant_id\":\"%s\","
                  "\"permissions\":[\"bypass_lobby\",\"chat\"]}",
                  kRoom2, kMed);
    assert_int_equal(admin(f, body), 0);
    f->core->drain();
    assert_int_equal(caps(f, 3), 0);
    assert_int_equal(count(f, 3, "admitted"), 0);
    create_room(f, kRoom2, "active");
    f->core->drain();
    assert_int_equal(count(f, 3, "admitted"), 1);
    assert_int_equal(caps(f, 3), bit(Permission::BypassLobby) | bit(Permission::Chat));
}

static void mute_state_events_and_rules(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    assert_int_equal(mute(f, 1, "mute", nullptr, "audio"), 4031);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    assert_int_equal(mute(f, 0, "mute", kPat, "audio"), 4041);  // target still in the lobby
    moderate(f, 0, "admit", kPat);
    const long full = default_permissions(Role::Patient, SessionKind::Consultation);
    clear_calls(f);
    // Forced mute.
    assert_int_equal(mute(f, 0, "mute", kPat, "audio"), 0);
    assert_string_equal(field(f, 0, "ok", "request"), "mute");
    assert_string_equal(field(f, 0, "ok", "participant_id"), kPat);
    assert_string_equal(field(f, 0, "ok", "media"), "audio");
    assert_int_equal(caps(f, 1), full & ~bit(Permission::PublishAudio));
    assert_string_equal(field_json(f, 1, "muted", "muted"), "[\"audio\"]");
    assert_string_equal(field_json(f, 1, "muted", "muted_by_moderator"), "[\"audio\"]");
    assert_string_equal(field(f, 1, "muted", "by"), kDoc);
    assert_true(has_text(field_json(f, 0, "participants", "participants"),
                         "\"muted\":[\"audio\"],\"muted_by_moderator\":[\"audio\"]"));
    // The target cannot lift it; a self mute of another source works.
    assert_int_equal(mute(f, 1, "unmute", nullptr, "audio"), 4044);
    assert_int_equal(mute(f, 1, "unmute", kPat, "audio"), 4044);  // own id = self
    assert_int_equal(caps(f, 1), full & ~bit(Permission::PublishAudio));
    assert_int_equal(mute(f, 1, "mute", nullptr, "video"), 0);
    assert_int_equal(caps(f, 1), full & ~bit(Permission::PublishAudio) & ~bit(Permission::PublishVideo));
    assert_string_equal(field_json(f, 1, "muted", "muted"), "[\"audio\",\"video\"]");
    assert_string_equal(field_json(f, 1, "muted", "muted_by_moderator"), "[\"audio\"]");
    assert_string_equal(field_json(f, 1, "muted", "by"), "null");
    // No moderate: muting someone else is refused.
    assert_int_equal(mute(f, 1, "mute", kDoc, "audio"), 4043);
    assert_int_equal(mute(f, 1, "unmute", kDoc, "audio"), 4043);
    assert_int_equal(caps(f, 0), kAllPermissions);
    // Bad media / fields.
    assert_int_equal(mute(f, 0, "mute", kPat, "smell"), 4003);
    assert_int_equal(request(f, 0, "{\"request\":\"mute\"}"), 4003);
    assert_int_equal(mute(f, 0, "mute", kMed, "audio"), 4041);
    // Mute state belongs to the id: it survives leave + rejoin.
    assert_int_equal(leave(f, 1), 0);
    assert_int_equal(join(f, 2, patient_token(f)), 0);
    assert_string_equal(field(f, 2, "joined", "status"), "admitted");
    assert_int_equal(count(f, 2, "muted"), 1);
    assert_true(index_of_last(f, 2, "joined") < index_of_last(f, 2, "muted"));
    assert_string_equal(field_json(f, 2, "muted", "muted"), "[\"audio\",\"video\"]");
    assert_int_equal(caps(f, 2), full & ~bit(Permission::PublishAudio) & ~bit(Permission::PublishVideo));
    assert_int_equal(mute(f, 2, "unmute", nullptr, "audio"), 4044);
    // The moderator's unmute lifts the forced mute, not the self mute.
    assert_int_equal(mute(f, 0, "unmute", kPat, "audio"), 0);
    assert_int_equal(caps(f, 2), full & ~bit(Permission::PublishVideo));
    assert_string_equal(field_json(f, 2, "muted", "muted"), "[\"video\"]");
    assert_int_equal(mute(f, 0, "unmute", kPat, "video"), 0);  // not a forced one: stays
    assert_int_equal(caps(f, 2), full & ~bit(Permission::PublishVideo));
    assert_int_equal(mute(f, 2, "unmute", nullptr, "video"), 0);
    assert_int_equal(caps(f, 2), full);
    assert_string_equal(field_json(f, 2, "muted", "muted"), "[]");
    // A self mute of the moderator itself.
    assert_int_equal(mute(f, 0, "mute", kDoc, "screen"), 0);
    assert_int_equal(caps(f, 0), kAllPermissions & ~bit(Permission::PublishScreen));
}

static void client_kick_bans(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    join(f, 2, patient_token(f, kObs));
    moderate(f, 0, "admit", kPat);
    clear_calls(f);
    assert_int_equal(moderate(f, 0, "kick", kPat), 0);
    assert_string_equal(field(f, 0, "ok", "request"), "kick");
    assert_string_equal(field(f, 1, "kicked", "reason"), "kicked");
    assert_int_equal(closes(f, 1), 1);
    assert_true(index_of_last(f, 1, "kicked") < index_of_close(f, 1));
    assert_int_equal(caps(f, 1), 0);
    assert_int_equal(array_size(f, 0, "participants", "participants"), 0);
    assert_int_equal(notifications(f, "kicked"), 1);
    assert_int_equal(join(f, 1, patient_token(f)), 4020);
    assert_int_equal(join(f, 3, patient_token(f)), 4020);
    // A waiting one can be kicked too (and the lobby list shrinks).
    assert_int_equal(moderate(f, 0, "kick", kObs), 0);
    assert_string_equal(field(f, 2, "kicked", "reason"), "kicked");
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 0);
    assert_int_equal(join(f, 2, patient_token(f, kObs)), 4020);
    assert_int_equal(moderate(f, 0, "kick", kObs), 4041);  // gone
}

static void display_names_come_from_grants(void** state) {
    Fixture* f = F(state);
    char extra[512];
    std::snprintf(extra, sizeof extra,
                  ",\"grants\":[{\"participant_id\":\"%s\",\"role\":\"patient\",\"display_name\":\"Ada Secret\","
                  "\"permissions\":[\"publish_audio\",\"subscribe\"]}]",
                  kPat);
    assert_int_equal(create_room(f, kRoom, "active", extra), 0);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"), "\"display_name\":\"Ada Secret\""));
    moderate(f, 0, "admit", kPat);
    assert_true(has_text(field_json(f, 0, "participants", "participants"), "\"display_name\":\"Ada Secret\""));
    assert_true(has_text(field_json(f, 1, "admitted", "participants"), "\"display_name\":null"));
    // A later set_permissions keeps the name.
    assert_int_equal(set_permissions(f, kPat, "[\"subscribe\"]"), 0);
    f->core->drain();
    leave(f, 1);
    join(f, 1, patient_token(f));
    assert_true(has_text(field_json(f, 0, "participants", "participants"), "\"display_name\":\"Ada Secret\""));
    // Names are personal data: never logged.
    assert_false(logs_contain(f, "Ada"));
    char too_long[251];
    std::memset(too_long, 'x', 250);
    too_long[250] = 0;
    std::snprintf(extra, sizeof extra,
                  ",\"grants\":[{\"participant_id\":\"%s\",\"role\":\"patient\",\"display_name\":\"%s\","
                  "\"permissions\":[]}]",
                  kPat, too_long);
    assert_int_equal(create_room(f, kRoom2, "active", extra), 4003);
}

// ---------------------------------------------------------------- precheck

// A waiting patient's pre-call check reaches the moderators with its waiting
// entry; a repeat changes nothing; it survives leave / rejoin on a new
// handle; after admission it rides in the roster; a ban drops it.
static void precheck_reaches_the_moderators(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    const char* good = R"({"request":"precheck","result":"good","camera":true,"microphone":true})";
    assert_int_equal(request(f, 1, good), 4031);  // not joined
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"), "\"precheck\":null"));
    const int lists = count(f, 0, "waiting");
    assert_int_equal(request(f, 1, good), 0);
    assert_string_equal(field(f, 1, "ok", "request"), "precheck");
    assert_string_equal(field(f, 1, "ok", "result"), "good");
    assert_int_equal(count(f, 0, "waiting"), lists + 1);
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"),
                         "{\"participant_id\":\"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb\",\"role\":\"patient\","
                         "\"display_name\":null,\"precheck\":{\"result\":\"good\",\"camera\":true,\"microphone\":true},"
                                 "\"consent\":null}"));
    assert_int_equal(count(f, 1, "waiting"), 0);  // the lobby does not see the list
    // The same report again: answered, nobody told.
    assert_int_equal(request(f, 1, good), 0);
    assert_int_equal(count(f, 0, "waiting"), lists + 1);
    // Another one replaces it as a whole (an absent camera is null again).
    assert_int_equal(request(f, 1, R"({"request":"precheck","result":"audio_only","microphone":true})"), 0);
    assert_int_equal(count(f, 0, "waiting"), lists + 2);
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"),
                         "\"precheck\":{\"result\":\"audio_only\",\"camera\":null,\"microphone\":true}"));
    // Refused values change nothing.
    assert_int_equal(request(f, 1, R"({"request":"precheck","result":"fine"})"), 4003);
    assert_int_equal(request(f, 1, R"({"request":"precheck","result":"good","camera":"no"})"), 4003);
    assert_int_equal(count(f, 0, "waiting"), lists + 2);
    // Leave and rejoin on another handle: still there.
    assert_int_equal(leave(f, 1), 0);
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"), "[]"));
    assert_int_equal(join(f, 2, patient_token(f)), 0);
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"), "\"result\":\"audio_only\""));
    // Admitted: the roster carries it; a change reaches everyone admitted.
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    assert_true(has_text(field_json(f, 0, "participants", "participants"),
                         "\"precheck\":{\"result\":\"audio_only\",\"camera\":null,\"microphone\":true}"));
    assert_true(has_text(field_json(f, 2, "admitted", "participants"), "\"precheck\":null"));  // the doctor's
    const int rosters = count(f, 0, "participants");
    assert_int_equal(request(f, 2, R"({"request":"precheck","result":"cannot_connect","camera":false,"microphone":false})"), 0);
    assert_int_equal(count(f, 0, "participants"), rosters + 1);
    assert_true(has_text(field_json(f, 0, "participants", "participants"),
                         "\"precheck\":{\"result\":\"cannot_connect\",\"camera\":false,\"microphone\":false}"));
    // A moderator may report its own too (any joined participant).
    assert_int_equal(request(f, 0, good), 0);
    assert_true(has_text(field_json(f, 2, "participants", "participants"), "\"result\":\"good\""));
    // Ids only in the log, never anything else of the request.
    assert_true(logs_contain(f, "precheck: room 11111111-1111-4111-8111-111111111111 participant "
                                "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb cannot_connect"));
    assert_false(logs_contain(f, "microphone"));
}

// The room's table: one entry per participant id, bounded like the grant
// table, replaced in place, dropped when the id is banned.
static void room_precheck_table(void**) {
    assert_int_equal(room_precheck_probe(), 0);
}

// regression: the controller's kick (admin "kick", and create_room "revoked")
// of a participant waiting in the lobby sends moderators a `participants`
// roster instead of the `waiting` list, so their lobby list keeps a
// participant that is gone (contract: `waiting` whenever the lobby changes).
static void admin_kick_of_waiting_updates_lobby(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 1);
    char body[256];
    std::snprintf(body, sizeof body, "{\"request\":\"kick\",\"room\":\"%s\",\"participant_id\":\"%s\"}", kRoom, kPat);
    assert_int_equal(admin(f, body), 0);
    f->core->drain();
    assert_int_equal(count(f, 1, "kicked"), 1);
    assert_int_equal(array_size(f, 0, "waiting", "waiting"), 0);
}

// ---------------------------------------------------------------- handles

static void detach_while_joined(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
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
    // The patient can join again on a new handle (not banned), and within the
    // reconnect grace it skips the lobby.
    assert_int_equal(join(f, 2, patient_token(f)), 0);
    assert_string_equal(field(f, 2, "joined", "status"), "admitted");
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
int send_async(Fixture* f, int h, const char* body, const char* txn) {
    json_error_t err;
    return static_cast<int>(
        f->core->enqueue_message(H(f, h), std::string(txn), Json(json_loads(body, 0, &err)), nullptr));
}

static void worker_thread_answers(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    start_worker(f);
    assert_int_equal(enqueue_join(f, 0, doctor_token(f), "w1"), 0);
    assert_true(wait_for_reply(f, 0, "w1"));
    stop_worker(f);
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
    start_worker(f);
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
    stop_worker(f);
    f->core.reset();
    return static_cast<int>(f->host.released.size()) == attaches;
}

static void admin_races_worker(void** state) { assert_true(stress_admin_against_worker(F(state), 300)); }

// The worker's wait: a nudge wakes it without an item, and is kept when
// nobody waits yet (a retire just before the worker goes to sleep is not
// missed); with no timeout it waits for as long as it takes. (The worker
// loop on it: test_plugin_media's idle_worker_sleeps_and_frees_without_a_task.)
static void work_queue_nudge_is_never_lost(void**) {
    WorkQueue<int> q(4);
    bool closed = true;
    q.nudge();
    const auto t0 = std::chrono::steady_clock::now();
    assert_false(q.pop_wait_for(std::chrono::seconds(5), &closed).has_value());
    assert_true(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));  // the nudge, not the timeout
    assert_false(closed);
    assert_false(q.pop_wait_for(std::chrono::milliseconds(20), &closed).has_value());  // consumed: times out
    assert_true(q.push(7));
    q.nudge();
    auto v = q.pop_wait_for(std::nullopt, &closed);
    assert_true(v.has_value());
    assert_int_equal(*v, 7);  // (the worker looks at everything after each task: the nudge is used up)
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        q.nudge();
    });
    assert_false(q.pop_wait_for(std::nullopt, &closed).has_value());  // woken from the wait
    later.join();
    q.close();
    assert_false(q.pop_wait_for(std::nullopt, &closed).has_value());
    assert_true(closed);
}

// ---------------------------------------------------------------- admin stats

// The admin `stats` counts go up on join and back down on leave, detach and
// destroy_room: what a churn soak (tests/bench/soak.sh churn) reads to see
// that nothing is left behind.
static void stats_follow_join_and_leave(void** state) {
    Fixture* f = F(state);
    assert_int_equal(admin(f, "{\"request\":\"stats\"}"), 0);
    assert_true(has_text(f->last_admin.c_str(), "\"telemed\":\"stats\""));
    assert_true(std::strlen(admin_str(f, "instance")) >= 16);
    assert_int_equal(stat(f, "handles", "attached"), kHandles);
    assert_int_equal(stat(f, "handles", "participant_objects"), kHandles);
    assert_int_equal(stat(f, "handles", "joined"), 0);
    assert_int_equal(stat(f, "rooms", "count"), 0);
    assert_int_equal(stat(f, "work", "queued_tasks"), 0);
    assert_int_equal(stat(f, "recording", "rooms_recording"), 0);
    assert_int_equal(admin(f, "{\"request\":\"stats\",\"x\":1}"), 4003);  // no parameters

    create_room(f, kRoom);
    assert_int_equal(stat(f, "rooms", "count"), 1);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    assert_int_equal(stat(f, "handles", "joined"), 2);
    assert_int_equal(stat(f, "rooms", "members"), 2);
    assert_int_equal(stat(f, "rooms", "admitted"), 1);
    assert_int_equal(stat(f, "rooms", "waiting"), 1);  // the patient, in the lobby
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    assert_int_equal(stat(f, "rooms", "waiting"), 0);
    assert_int_equal(stat(f, "rooms", "admitted"), 2);
    assert_int_equal(mute(f, 0, "mute", kPat, "audio"), 0);
    assert_int_equal(stat(f, "rooms", "mutes"), 1);

    // Leave: out of the room, the handle stays attached.
    assert_int_equal(leave(f, 1), 0);
    assert_int_equal(stat(f, "rooms", "members"), 1);
    assert_int_equal(stat(f, "handles", "joined"), 1);
    assert_int_equal(stat(f, "handles", "attached"), kHandles);
    assert_int_equal(stat(f, "rooms", "departures"), 1);  // for the reconnect grace

    // A detached handle's object lives while queued work holds it, no longer.
    assert_int_equal(enqueue_join(f, 2, patient_token(f, kObs), "late"), static_cast<int>(PluginCore::Enqueued::Ok));
    assert_true(f->core->detach(H(f, 2)));
    assert_int_equal(stat(f, "handles", "attached"), kHandles - 1);
    assert_int_equal(stat(f, "work", "queued_tasks"), 1);
    assert_int_equal(stat(f, "handles", "participant_objects"), kHandles);
    f->core->drain();
    assert_int_equal(stat(f, "work", "queued_tasks"), 0);
    assert_int_equal(stat(f, "handles", "participant_objects"), kHandles - 1);

    // Detach while joined: the object goes once its views are freed.
    assert_true(f->core->detach(H(f, 0)));
    f->core->drain();
    assert_int_equal(stat(f, "rooms", "members"), 0);
    assert_int_equal(stat(f, "handles", "joined"), 0);
    assert_int_equal(stat(f, "handles", "attached"), kHandles - 2);
    assert_int_equal(stat(f, "handles", "participant_objects"), kHandles - 2);
    assert_int_equal(stat(f, "work", "retired_views"), 0);
    assert_int_equal(released_count(f, 0), 1);

    // The room's tables go with it.
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"destroy_room\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 0);
    assert_int_equal(stat(f, "rooms", "count"), 0);
    assert_int_equal(stat(f, "rooms", "mutes"), 0);
    assert_int_equal(stat(f, "rooms", "departures"), 0);
    f->core->drain();
    assert_int_equal(stat(f, "work", "queued_tasks"), 0);
    assert_int_equal(stat(f, "handles", "participant_objects"), kHandles - 2);
}

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
        cmocka_unit_test_setup_teardown(file_shared_tells_the_admitted_addressees, setup, teardown),
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
        cmocka_unit_test_setup_teardown(deny_removes_from_lobby_without_ban, setup, teardown),
        cmocka_unit_test_setup_teardown(lobby_request_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(reconnect_grace_skips_the_lobby, setup, teardown),
        cmocka_unit_test_setup_teardown(snapshot_and_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(stats_follow_join_and_leave, setup, teardown),
        cmocka_unit_test_setup_teardown(restore_admits_a_member_waiting_in_the_lobby, setup, teardown),
        cmocka_unit_test_setup_teardown(restore_leaves_the_lobby_of_a_scheduled_room, setup, teardown),
        cmocka_unit_test_setup_teardown(set_permissions_can_admit_and_make_moderator, setup, teardown),
        cmocka_unit_test_setup_teardown(mute_state_events_and_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(client_kick_bans, setup, teardown),
        cmocka_unit_test_setup_teardown(display_names_come_from_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(precheck_reaches_the_moderators, setup, teardown),
        cmocka_unit_test(room_precheck_table),
        cmocka_unit_test_setup_teardown(admin_kick_of_waiting_updates_lobby, setup, teardown),
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
        cmocka_unit_test(work_queue_nudge_is_never_lost),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
