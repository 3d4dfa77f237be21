// Consent-gated recording (issue 14, slice 1): the rules table
// (plugin/recording_rules.hpp) cell by cell, and the recording through
// PluginCore with a fake Host (recorders counted per write, manifest.json in
// memory) and a fake controller (consents stored or refused, events kept):
// nothing of a participant that has not consented is written, not even its
// first packet; a consent is effective only once stored; a withdrawal stops
// the writes at the next packet while forwarding goes on; the required
// policy's admission rules; record permissions and policy errors; a failed
// write (the whole recording stops, fault write_failed; a required room does
// not restart by itself); destroy_room; the events.
#include <string>
#include <vector>

#include "plugin/recording_rules.hpp"
#include "tests/unit/plugin_fake_host.hpp"
#include "tests/unit/rtp_packets.hpp"

using namespace plugin_test;
using telemed::plugin::recording::Action;
using telemed::plugin::recording::AutoAction;
using telemed::plugin::recording::Consent;
using telemed::plugin::recording::ConsentEffect;
using telemed::plugin::recording::Entry;
using telemed::plugin::recording::RecordOutcome;

namespace {

constexpr RecordingPolicy kPolicies[] = {RecordingPolicy::Disabled, RecordingPolicy::Optional,
                                         RecordingPolicy::Required};
constexpr Consent kConsents[] = {Consent::Unanswered, Consent::No, Consent::Yes};

// ---- a fake controller ----
class FakeRecordingBackend final : public RecordingBackend {
public:
    bool store_consent(const std::string& session_id, const std::string& pid, bool recording,
                       std::string* consent_id) override {
        ++consent_calls;
        if (fail_consents) return false;
        char id[64];
        std::snprintf(id, sizeof id, "c0000000-0000-4000-8000-%012d", ++rows);
        *consent_id = id;
        stored.push_back(session_id + " " + pid + (recording ? " true" : " false"));
        return true;
    }
    bool post_event(const RecordingEventMsg& e) override {
        ++event_calls;
        if (fail_events > 0) {
            --fail_events;
            return false;
        }
        events.push_back(json_dump(recording_event_body(e).get()));
        return true;
    }
    bool fail_consents = false;
    int fail_events = 0;
    int rows = 0;
    int consent_calls = 0;
    int event_calls = 0;
    std::vector<std::string> stored;
    std::vector<std::string> events;
};

FakeRecordingBackend* g_ctl = nullptr;

PluginConfig rec_config(const char* dir = "/rec") {
    PluginConfig c = test_config(false);
    c.max_participants_per_room = 5;
    c.recordings_dir = dir;
    return c;
}

int setup(void** state) {
    g_ctl = new FakeRecordingBackend;
    Fixture* f = make_fixture(rec_config());
    f->core->attach_recording_backend(*g_ctl, 0);  // no threads: pump
    *state = f;
    return 0;
}
int setup_no_dir(void** state) {
    g_ctl = new FakeRecordingBackend;
    Fixture* f = make_fixture(rec_config(""));
    f->core->attach_recording_backend(*g_ctl, 0);
    *state = f;
    return 0;
}
int setup_no_controller(void** state) {
    g_ctl = nullptr;
    *state = make_fixture(rec_config());
    return 0;
}
int teardown_rec(void** state) {
    teardown(state);  // the core first: it finalises recordings through the backend
    delete g_ctl;
    g_ctl = nullptr;
    return 0;
}

// Runs the store and the worker's queue until both are idle.
void settle(Fixture* f) {
    for (int i = 0; i < 4; ++i) {
        f->core->pump_recording();
        f->core->drain();
    }
}

// ---- offers and packets (layout "AVav": 0 mic, 1 camera, 2 audio slot, 3 video slot) ----
std::string offer_avav() {
    std::string s = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2 3\r\n";
    const char* dirs[] = {"sendonly", "sendonly", "recvonly", "recvonly"};
    for (int i = 0; i < 4; ++i) {
        const bool video = i % 2 == 1;
        s += video ? "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" : "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
        s += "c=IN IP4 0.0.0.0\r\na=ice-ufrag:Xq3b\r\na=ice-pwd:0123456789abcdef01234567\r\na=setup:actpass\r\na=mid:" +
             std::to_string(i) + "\r\na=" + dirs[i] + "\r\na=rtcp-mux\r\n";
        s += video ? "a=rtpmap:96 VP8/90000\r\n" : "a=rtpmap:111 opus/48000/2\r\n";
    }
    return s;
}

int configure(Fixture* f, int h) {
    json_error_t err;
    Json msg(json_loads("{\"request\":\"configure\"}", 0, &err));
    const std::string sdp = offer_avav();
    Json jsep(json_pack("{s:s,s:s}", "type", "offer", "sdp", sdp.c_str()));
    const char* txn = next_txn(f);
    f->core->enqueue_message(H(f, h), std::string(txn), std::move(msg), std::move(jsep));
    f->core->drain();
    return reply(f, h, txn);
}

uint16_t g_seq = 100;
// One packet of h on mindex 0 (audio) or 1 (video: the start of a VP8
// keyframe, or with key=false of an inter frame); returns the relays it caused.
int pkt(Fixture* f, int h, int mindex, bool key = true) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return -1;
    uint8_t buf[64] = {};
    const bool video = mindex == 1;
    ++g_seq;
    rtp_header(buf, video ? 96 : 111, false, g_seq, 1000u * g_seq, 0x1000u + static_cast<uint32_t>(h));
    if (video) {
        buf[12] = 0x10;               // VP8 payload descriptor: S=1, PID 0
        buf[13] = key ? 0x00 : 0x01;  // VP8 payload header: P=0 is a keyframe
    }
    const std::size_t before = f->host.relays.size();
    f->core->on_rtp(*p, mindex, video, buf, 12 + 20, nullptr);
    return static_cast<int>(f->host.relays.size() - before);
}

// Writes to the recorders of participant `pid` (all its files so far).
int writes_of(Fixture* f, const char* pid) {
    int n = 0;
    for (const auto& r : f->host.recorders)
        if (r->name.rfind(pid, 0) == 0) n += r->writes;
    return n;
}
int files_of(Fixture* f, const char* pid) {
    int n = 0;
    for (const auto& r : f->host.recorders)
        if (r->name.rfind(pid, 0) == 0) ++n;
    return n;
}
int open_files_of(Fixture* f, const char* pid) {
    int n = 0;
    for (const auto& r : f->host.recorders)
        if (r->name.rfind(pid, 0) == 0 && !r->closed) ++n;
    return n;
}
int consent(Fixture* f, int h, bool yes, bool settle_store = true) {
    const char* txn = next_txn(f);
    send(f, h, yes ? "{\"request\":\"consent\",\"recording\":true}" : "{\"request\":\"consent\",\"recording\":false}",
         txn);
    if (settle_store) settle(f);
    return reply(f, h, txn);
}
int record(Fixture* f, int h, const char* action) {
    char body[96];
    std::snprintf(body, sizeof body, "{\"request\":\"record\",\"action\":\"%s\"}", action);
    const int r = request(f, h, body);
    settle(f);
    return r;
}
int admin_record(Fixture* f, const char* action, const char* id = nullptr) {
    char body[256];
    if (id)
        std::snprintf(body, sizeof body,
                      "{\"request\":\"record\",\"room\":\"%s\",\"action\":\"%s\",\"recording_id\":\"%s\"}", kRoom,
                      action, id);
    else
        std::snprintf(body, sizeof body, "{\"request\":\"record\",\"room\":\"%s\",\"action\":\"%s\"}", kRoom, action);
    const int r = admin(f, body);
    settle(f);
    return r;
}

// Doctor (h0, bypass_lobby) and patient (h1, admitted by the doctor) in an
// active room of `policy`, both configured "AVav", PeerConnections up.
bool consult(Fixture* f, const char* policy = "optional") {
    char extra[64];
    std::snprintf(extra, sizeof extra, ",\"recording_policy\":\"%s\"", policy);
    if (create_room(f, kRoom, "active", extra) != 0) return false;
    if (join(f, 0, doctor_token(f)) != 0 || join(f, 1, patient_token(f)) != 0) return false;
    if (moderate(f, 0, "admit", kPat) != 0) return false;
    if (configure(f, 0) != 0 || configure(f, 1) != 0) return false;
    f->core->media_up(H(f, 0));
    f->core->media_up(H(f, 1));
    settle(f);
    clear_calls(f);
    return true;
}

const char* manifest(Fixture* f) {
    for (const auto& [path, text] : f->host.files)
        if (path.size() > 14 && path.compare(path.size() - 14, 14, "/manifest.json") == 0) return keep(f, text);
    return "(none)";
}

}  // namespace

// ---------------------------------------------------------------- the rules, cell by cell

static void rules_entry_table(void**) {
    for (RecordingPolicy p : kPolicies)
        for (Consent c : kConsents) {
            // Contract: required -> only stored consent enters; otherwise consent never matters.
            const bool enters = p != RecordingPolicy::Required || c == Consent::Yes;
            assert_int_equal(recording::gate_entry(p, c) == Entry::Enters, enters);
            assert_int_equal(recording::moderator_admit_allowed(p, c), enters);
        }
}

static void rules_record_table(void**) {
    for (RecordingPolicy p : kPolicies)
        for (bool on : {false, true})
            for (Action a : {Action::Start, Action::Stop})
                for (bool other : {false, true}) {
                    const recording::RecordDecision d = recording::decide_record(p, on, a, other);
                    RecordOutcome want;
                    ErrorCode code = ErrorCode::Internal;
                    if (a == Action::Start) {
                        if (p == RecordingPolicy::Disabled) {
                            want = RecordOutcome::Refused, code = ErrorCode::RecordingNotAllowed;
                        } else if (!on) {
                            want = RecordOutcome::Start;
                        } else if (other) {
                            want = RecordOutcome::Refused, code = ErrorCode::RecordingBusy;
                        } else {
                            want = RecordOutcome::Unchanged;
                        }
                    } else {
                        if (p == RecordingPolicy::Required)
                            want = RecordOutcome::Refused, code = ErrorCode::RecordingNotAllowed;
                        else
                            want = on ? RecordOutcome::Stop : RecordOutcome::Unchanged;
                    }
                    assert_int_equal(static_cast<int>(d.outcome), static_cast<int>(want));
                    if (want == RecordOutcome::Refused) assert_int_equal(to_int(d.code), to_int(code));
                }
}

static void rules_written_and_effects(void**) {
    for (bool on : {false, true})
        for (bool admitted : {false, true})
            for (Consent c : kConsents)
                assert_int_equal(recording::records(on, admitted, c), on && admitted && c == Consent::Yes);
    for (RecordingPolicy p : kPolicies)
        for (bool admitted : {false, true})
            for (bool ticket : {false, true})
                for (Consent c : kConsents) {
                    ConsentEffect want = ConsentEffect::None;
                    if (p == RecordingPolicy::Required) {
                        if (admitted && c != Consent::Yes) want = ConsentEffect::BackToLobby;
                        if (!admitted && ticket && c == Consent::Yes) want = ConsentEffect::Enters;
                    }
                    assert_int_equal(static_cast<int>(recording::consent_effect(p, admitted, ticket, c)),
                                     static_cast<int>(want));
                }
    for (RecordingPolicy p : kPolicies)
        for (bool active : {false, true})
            for (bool on : {false, true})
                for (bool halted : {false, true}) {
                    AutoAction want = AutoAction::None;
                    if (p == RecordingPolicy::Required && active && !on && !halted) want = AutoAction::Start;
                    if (p == RecordingPolicy::Disabled && on) want = AutoAction::Stop;
                    assert_int_equal(static_cast<int>(recording::auto_action(p, active, on, halted)),
                                     static_cast<int>(want));
                }
}

// ---------------------------------------------------------------- writes

static void nothing_of_a_non_consenting_participant_is_written(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(admin_record(f, "start"), 0);
    assert_string_equal(admin_str(f, "state"), "on");
    assert_string_equal(admin_str(f, "telemed"), "recording");
    assert_int_equal(static_cast<int>(f->host.dirs.size()), 1);
    // Unanswered: forwarded, never written; not even a file.
    assert_int_equal(pkt(f, 1, 0), 1);
    assert_int_equal(pkt(f, 1, 1), 1);
    assert_int_equal(files_of(f, kPat), 0);
    // "No": the same.
    assert_int_equal(consent(f, 1, false), 0);
    assert_string_equal(field(f, 1, "consent", "telemed"), "consent");
    assert_int_equal(pkt(f, 1, 0), 1);
    assert_int_equal(files_of(f, kPat), 0);
    assert_int_equal(stat_of(f, kPat, "rtp_recorded"), 0);
    assert_true(has_text(room_member(f, kPat), "\"consent\":false"));
}

static void consent_stored_first_then_every_packet_is_written(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    // Consent before the start: its first packet after the start is written.
    const char* txn = next_txn(f);
    send(f, 0, "{\"request\":\"consent\",\"recording\":true}", txn);
    assert_int_equal(reply(f, 0, txn), -1);  // not answered before the controller stored it
    assert_true(has_text(room_member(f, kDoc), "\"consent\":null"));
    settle(f);
    assert_int_equal(reply(f, 0, txn), 0);
    assert_true(has_text(field_json(f, 0, "consent", "consent_id"), "c0000000-0000-4000-8000-"));
    assert_int_equal(g_ctl->consent_calls, 1);
    assert_int_equal(admin_record(f, "start"), 0);
    assert_string_equal(admin_str(f, "recorded"), "(none)");  // an array, checked below
    assert_true(has_text(f->last_admin.c_str(), "\"recorded\":[\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\"]"));
    assert_int_equal(files_of(f, kDoc), 2);  // audio + video, opened by the worker
    assert_int_equal(pkt(f, 0, 0), 1);
    assert_int_equal(writes_of(f, kDoc), 1);  // the very first packet
    assert_int_equal(pkt(f, 0, 1), 1);
    assert_int_equal(writes_of(f, kDoc), 2);
    assert_int_equal(stat_of(f, kDoc, "rtp_recorded"), 2);
    // Names and codecs.
    bool audio = false, video = false;
    for (const auto& r : f->host.recorders) {
        if (r->name == std::string(kDoc) + "-audio-0" && r->codec == "opus") audio = true;
        if (r->name == std::string(kDoc) + "-video-0" && r->codec == "vp8") video = true;
        assert_true(has_text(r->dir.c_str(), "/rec/11111111-1111-4111-8111-111111111111/"));
    }
    assert_true(audio && video);
    // A muted source forwards nothing and writes nothing; the file stays open.
    assert_int_equal(mute(f, 0, "mute", nullptr, "audio"), 0);
    settle(f);
    assert_int_equal(pkt(f, 0, 0), 0);
    assert_int_equal(writes_of(f, kDoc), 2);
    assert_int_equal(open_files_of(f, kDoc), 2);
    // The event to everyone admitted says who is recorded.
    assert_true(has_text(field_json(f, 1, "recording", "recorded"), kDoc));
}

// A video file starts at a keyframe: the inter frames before it are
// forwarded but not written, and the publisher is asked for a keyframe (PLI,
// at most one per 500 ms); from the keyframe on, every packet is written.
static void video_file_starts_at_a_keyframe(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(consent(f, 0, true), 0);
    assert_int_equal(admin_record(f, "start"), 0);
    f->host.plis.clear();
    assert_int_equal(pkt(f, 0, 1, false), 1);  // forwarded
    assert_int_equal(pkt(f, 0, 1, false), 1);
    assert_int_equal(writes_of(f, kDoc), 0);   // not written
    assert_int_equal(static_cast<int>(f->host.plis.size()), 1);  // one keyframe request (rate-limited)
    assert_int_equal(f->host.plis[0].mindex, 1);
    assert_int_equal(pkt(f, 0, 0), 1);         // audio is written at once
    assert_int_equal(writes_of(f, kDoc), 1);
    assert_int_equal(pkt(f, 0, 1, true), 1);   // the keyframe
    assert_int_equal(pkt(f, 0, 1, false), 1);  // and what follows it
    assert_int_equal(writes_of(f, kDoc), 3);
}

static void withdrawal_stops_writes_at_the_next_packet(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(consent(f, 0, true), 0);
    assert_int_equal(admin_record(f, "start"), 0);
    assert_int_equal(pkt(f, 0, 1), 1);
    assert_int_equal(writes_of(f, kDoc), 1);
    // The withdrawal is applied before it is stored: no pump, no drain of the store.
    const char* txn = next_txn(f);
    send(f, 0, "{\"request\":\"consent\",\"recording\":false}", txn);
    assert_int_equal(pkt(f, 0, 1), 1);  // still forwarded
    assert_int_equal(pkt(f, 0, 0), 1);
    assert_int_equal(writes_of(f, kDoc), 1);  // not written
    assert_string_equal(field_json(f, 1, "recording", "recorded"), "[]");
    settle(f);
    assert_int_equal(reply(f, 0, txn), 0);
    assert_int_equal(open_files_of(f, kDoc), 0);  // closed once no view held them
    // Consent again: new files (-1), never appended.
    assert_int_equal(consent(f, 0, true), 0);
    assert_int_equal(files_of(f, kDoc), 4);
    assert_int_equal(pkt(f, 0, 1), 1);
    bool second = false;
    for (const auto& r : f->host.recorders)
        if (r->name == std::string(kDoc) + "-video-1" && r->writes == 1) second = true;
    assert_true(second);
    // Stop: files closed, manifest lists the four tracks with their consent ids.
    assert_int_equal(admin_record(f, "stop"), 0);
    assert_string_equal(admin_str(f, "state"), "off");
    assert_int_equal(open_files_of(f, kDoc), 0);
    const char* m = manifest(f);
    assert_true(has_text(m, "\"file\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa-video-1.mjr\""));
    assert_true(has_text(m, "\"file\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa-audio-0.mjr\""));
    assert_false(has_text(m, kPat));
    assert_true(has_text(m, "\"consent_id\":\"c0000000-0000-4000-8000-000000000003\""));
    assert_true(has_text(m, "\"room\":\"11111111-1111-4111-8111-111111111111\""));
    assert_true(has_text(m, "\"stopped_at\":\"2027-01-15T08:00:00Z\""));
    // Events to the controller: started, stopped (with the tracks).
    assert_int_equal(static_cast<int>(g_ctl->events.size()), 2);
    assert_true(has_text(g_ctl->events[0].c_str(), "\"event\":\"started\",\"by\":null"));
    assert_true(has_text(g_ctl->events[1].c_str(), "\"event\":\"stopped\""));
    assert_true(has_text(g_ctl->events[1].c_str(), "\"tracks\":[{"));
}

static void unstored_consent_records_nothing(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(admin_record(f, "start"), 0);
    g_ctl->fail_consents = true;
    assert_int_equal(consent(f, 0, true), 5031);
    assert_true(calls_contain(f, "\"retryable\":true"));
    assert_int_equal(pkt(f, 0, 0), 1);
    assert_int_equal(files_of(f, kDoc), 0);
    assert_true(has_text(room_member(f, kDoc), "\"consent\":null"));
    // A failed withdrawal store is still in force, answered without an id.
    assert_int_equal(consent(f, 1, false), 0);
    assert_string_equal(field_json(f, 1, "consent", "consent_id"), "null");
    assert_true(logs_contain(f, "consent withdrawal not stored: room"));
}

static void without_controller_consent_is_5031(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(consent(f, 0, true), 5031);
    assert_int_equal(consent(f, 0, false), 0);
    assert_string_equal(field_json(f, 0, "consent", "consent_id"), "null");
}

// ---------------------------------------------------------------- the required policy

static void required_policy_gates_admission(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "active", ",\"recording_policy\":\"required\""), 0);
    f->core->drain();
    // The room records by itself once active.
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"room_info\",\"room\":\"%s\"}", kRoom);
    admin(f, body);
    assert_true(has_text(f->last_admin.c_str(), "\"recording\":{\"state\":\"on\",\"recording_id\":\""));
    // A bypass_lobby holder without consent waits, and says why.
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_string_equal(field(f, 0, "joined", "status"), "waiting");
    assert_string_equal(field(f, 0, "joined", "reason"), "consent_required");
    assert_true(has_text(field_json(f, 0, "joined", "recording"), "\"state\":\"on\""));
    assert_int_equal(caps(f, 0), 0);
    // Its consent admits it at once.
    assert_int_equal(consent(f, 0, true), 0);
    assert_int_equal(count(f, 0, "admitted"), 1);
    assert_true(caps(f, 0) != 0);
    assert_true(has_text(field_json(f, 0, "admitted", "recording"), "\"policy\":\"required\""));
    // A patient waits; its waiting entry says consent_required; the admit is 4061.
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"), "\"consent\":null,\"reason\":\"consent_required\""));
    assert_int_equal(moderate(f, 0, "admit", kPat), 4061);
    // It consents: it still needs the moderator (no ticket), who may admit it now.
    assert_int_equal(consent(f, 1, true), 0);
    assert_int_equal(count(f, 1, "admitted"), 0);
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"), "\"consent\":true}"));
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    settle(f);
    assert_int_equal(count(f, 1, "admitted"), 1);
    // Stop is refused by the policy.
    assert_int_equal(record(f, 0, "stop"), 4060);
    assert_int_equal(admin_record(f, "stop"), 4060);
    // Withdrawal: back to the lobby, capabilities zero, reason consent_required.
    assert_int_equal(consent(f, 1, false), 0);
    assert_int_equal(caps(f, 1), 0);
    assert_string_equal(field(f, 1, "lobby", "reason"), "consent_required");
    assert_true(has_text(field_json(f, 0, "waiting", "waiting"), kPat));
    assert_int_equal(array_size(f, 0, "participants", "participants"), 0);
    // Consent again: in at once (it had been admitted).
    assert_int_equal(consent(f, 1, true), 0);
    assert_int_equal(count(f, 1, "admitted"), 2);
}

static void required_start_admits_only_consenting_bypass_holders(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "scheduled", ",\"recording_policy\":\"required\""), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 2, paramedic_token(f)), 0);
    assert_int_equal(consent(f, 2, true), 0);  // stored, still scheduled: waits
    assert_int_equal(count(f, 2, "admitted"), 0);
    assert_int_equal(create_room(f, kRoom, "active"), 0);
    settle(f);
    assert_int_equal(count(f, 2, "admitted"), 1);
    assert_int_equal(count(f, 0, "admitted"), 0);  // no consent: waits with the reason
    assert_int_equal(caps(f, 0), 0);
    assert_true(has_text(field_json(f, 2, "waiting", "waiting"), "\"reason\":\"consent_required\""));
    assert_int_equal(consent(f, 0, true), 0);
    assert_int_equal(count(f, 0, "admitted"), 1);
}

// ---------------------------------------------------------------- consents restored with the room (issue 15)

// create_room's "consents" (the controller's stored answers after a Janus
// restart): taken as stored without asking the controller again, so a
// required room admits and records the consenting; an id that answered in
// the room already keeps its own answer; a later restore changes nothing.
static void restored_consents_admit_and_record_without_a_new_answer(void** state) {
    Fixture* f = F(state);
    const char* kC1 = "c1c1c1c1-c1c1-4c1c-8c1c-c1c1c1c1c1c1";
    char extra[512];
    std::snprintf(extra, sizeof extra,
                  ",\"recording_policy\":\"required\",\"consents\":[{\"participant_id\":\"%s\",\"recording\":true,"
                  "\"consent_id\":\"%s\"},{\"participant_id\":\"%s\",\"recording\":false,"
                  "\"consent_id\":\"c2c2c2c2-c2c2-4c2c-8c2c-c2c2c2c2c2c2\"}]",
                  kDoc, kC1, kPat);
    assert_int_equal(create_room(f, kRoom, "active", extra), 0);
    settle(f);
    // The doctor (bypass_lobby) enters at once on its restored consent.
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_string_equal(field(f, 0, "joined", "status"), "admitted");
    assert_true(has_text(room_member(f, kDoc), "\"consent\":true"));
    // The patient's restored answer is a no: it waits for consent.
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_true(has_text(room_member(f, kPat), "\"consent\":false"));
    assert_int_equal(moderate(f, 0, "admit", kPat), 4061);
    // Nothing was asked of the controller.
    assert_int_equal(g_ctl->consent_calls, 0);
    // The doctor is recorded, under the restored consent's id.
    assert_int_equal(configure(f, 0), 0);
    f->core->media_up(H(f, 0));
    settle(f);
    assert_int_equal(pkt(f, 0, 0), 0);  // nobody admitted receives it
    settle(f);
    assert_true(writes_of(f, kDoc) > 0);
    // A paramedic answers itself; a later restore with other answers
    // changes neither its answer nor the doctor's.
    assert_int_equal(join(f, 2, paramedic_token(f)), 0);
    assert_int_equal(consent(f, 2, true), 0);
    assert_int_equal(g_ctl->consent_calls, 1);
    std::snprintf(extra, sizeof extra,
                  ",\"consents\":[{\"participant_id\":\"%s\",\"recording\":false,\"consent_id\":\"%s\"},"
                  "{\"participant_id\":\"%s\",\"recording\":false,\"consent_id\":\"%s\"}]",
                  kDoc, kC1, kMed, kC1);
    assert_int_equal(create_room(f, kRoom, "active", extra), 0);
    settle(f);
    assert_true(has_text(room_member(f, kDoc), "\"consent\":true"));
    assert_true(has_text(room_member(f, kMed), "\"consent\":true"));
    // Stopped by the room's end: the manifest names the restored consent.
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"destroy_room\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 0);
    settle(f);
    assert_true(has_text(manifest(f), kC1));
}

// A malformed "consents" refuses the whole create_room (4003): no room.
static void malformed_restored_consents_refuse_the_room(void** state) {
    Fixture* f = F(state);
    char extra[256];
    std::snprintf(extra, sizeof extra,
                  ",\"consents\":[{\"participant_id\":\"%s\",\"recording\":\"yes\",\"consent_id\":\"%s\"}]", kDoc,
                  kDoc);
    assert_int_equal(create_room(f, kRoom, "active", extra), 4003);
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"room_info\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 4040);
}

// ---------------------------------------------------------------- record: permissions and errors

static void record_permissions_and_policy_errors(void** state) {
    Fixture* f = F(state);
    assert_int_equal(record(f, 0, "start"), 4031);  // not joined
    assert_true(consult(f));
    assert_int_equal(record(f, 1, "start"), 4043);  // a patient has no `record`
    assert_int_equal(request(f, 1, "{\"request\":\"record\",\"action\":\"pause\"}"), 4003);
    assert_int_equal(request(f, 1, "{\"request\":\"record\"}"), 4003);
    assert_int_equal(request(f, 1, "{\"request\":\"consent\",\"recording\":\"yes\"}"), 4003);
    assert_int_equal(request(f, 1, "{\"request\":\"consent\",\"recording\":true,\"x\":1}"), 4003);
    // The doctor starts: answer = the recording event; the patient hears it too.
    assert_int_equal(record(f, 0, "start"), 0);
    assert_string_equal(field(f, 0, "recording", "state"), "on");
    assert_string_equal(field(f, 1, "recording", "state"), "on");
    const char* id = field(f, 0, "recording", "recording_id");
    assert_true(is_uuid(id));
    // Idempotent start; admin start with another id: 4062; with the same id: ok.
    assert_int_equal(record(f, 0, "start"), 0);
    assert_string_equal(field(f, 0, "recording", "recording_id"), id);
    assert_int_equal(admin_record(f, "start", "99999999-9999-4999-8999-999999999999"), 4062);
    assert_int_equal(admin_record(f, "start", id), 0);
    assert_int_equal(static_cast<int>(f->host.dirs.size()), 1);
    assert_true(has_text(g_ctl->events[0].c_str(), "\"by\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\""));
    assert_int_equal(record(f, 0, "stop"), 0);
    assert_string_equal(field(f, 1, "recording", "state"), "off");
    assert_int_equal(record(f, 0, "stop"), 0);  // off: the current state
    // A waiting caller: 4032. Admin on an unknown room: 4040.
    assert_int_equal(join(f, 2, observer_token(f)), 0);
    assert_int_equal(record(f, 2, "start"), 4032);
    assert_int_equal(admin(f, "{\"request\":\"record\",\"room\":\"33333333-3333-4333-8333-333333333333\",\"action\":\"stop\"}"),
                     4040);
    assert_int_equal(admin(f, "{\"request\":\"record\",\"room\":\"11111111-1111-4111-8111-111111111111\","
                              "\"action\":\"stop\",\"recording_id\":\"99999999-9999-4999-8999-999999999999\"}"),
                     4003);
    // Disabled policy: 4060.
    assert_int_equal(create_room(f, kRoom, "active", ",\"recording_policy\":\"disabled\""), 0);
    assert_int_equal(record(f, 0, "start"), 4060);
    assert_int_equal(admin_record(f, "start"), 4060);
}

static void no_recordings_dir_is_5032(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(record(f, 0, "start"), 5032);
    assert_int_equal(admin_record(f, "start"), 5032);
}

static void unmakeable_folder_is_5032(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    f->host.fail_dirs = true;
    assert_int_equal(admin_record(f, "start"), 5032);
    assert_int_equal(record(f, 0, "start"), 5032);
}

// ---------------------------------------------------------------- faults, end

static void failed_write_stops_the_recording_and_tells(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(consent(f, 0, true), 0);
    assert_int_equal(consent(f, 1, true), 0);
    assert_int_equal(admin_record(f, "start"), 0);
    assert_int_equal(pkt(f, 0, 0), 1);
    assert_int_equal(pkt(f, 1, 0), 1);
    f->host.fail_writes = true;  // the disk is full
    assert_int_equal(pkt(f, 0, 0), 1);  // forwarding goes on
    f->host.fail_writes = false;
    settle(f);  // the worker sees the failure
    // The whole recording stopped: every file closed, everyone told why.
    assert_int_equal(open_files_of(f, kDoc), 0);
    assert_int_equal(open_files_of(f, kPat), 0);
    for (int h = 0; h < 2; ++h) {
        assert_string_equal(field(f, h, "recording", "state"), "off");
        assert_string_equal(field(f, h, "recording", "fault"), "write_failed");
        assert_string_equal(field_json(f, h, "recording", "recorded"), "[]");
    }
    assert_true(logs_contain(f, "recording write failed: room"));
    assert_true(logs_contain(f, "recording stopped (write_failed): room"));
    assert_true(has_text(manifest(f), "\"fault\":\"write_failed\""));
    assert_true(has_text(g_ctl->events.back().c_str(), "\"event\":\"stopped\""));
    assert_true(has_text(g_ctl->events.back().c_str(), "\"fault\":\"write_failed\""));
    // The call goes on; nothing more is written.
    assert_int_equal(pkt(f, 0, 1), 1);
    assert_int_equal(pkt(f, 1, 1), 1);
    assert_int_equal(writes_of(f, kDoc), 1);
    assert_int_equal(writes_of(f, kPat), 1);
    // A new start clears the fault.
    assert_int_equal(admin_record(f, "start"), 0);
    assert_string_equal(field(f, 1, "recording", "state"), "on");
    assert_string_equal(field_json(f, 1, "recording", "fault"), "null");
    assert_int_equal(pkt(f, 1, 0), 1);
    assert_int_equal(writes_of(f, kPat), 2);
}

static void required_room_halted_by_a_fault_does_not_restart_by_itself(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom, "active", ",\"recording_policy\":\"required\""), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(consent(f, 0, true), 0);  // admitted at once
    assert_int_equal(configure(f, 0), 0);
    f->core->media_up(H(f, 0));
    settle(f);
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"room_info\",\"room\":\"%s\"}", kRoom);
    admin(f, body);
    assert_true(has_text(f->last_admin.c_str(), "\"recording\":{\"state\":\"on\""));
    pkt(f, 0, 0);
    assert_int_equal(writes_of(f, kDoc), 1);
    f->host.fail_writes = true;
    pkt(f, 0, 0);
    f->host.fail_writes = false;
    settle(f);
    assert_string_equal(field(f, 0, "recording", "fault"), "write_failed");
    // What would start a required room (an upsert of the active room) does not.
    assert_int_equal(create_room(f, kRoom, "active", ",\"recording_policy\":\"required\""), 0);
    settle(f);
    admin(f, body);
    assert_true(has_text(f->last_admin.c_str(), "\"state\":\"off\""));
    assert_true(has_text(f->last_admin.c_str(), "\"fault\":\"write_failed\""));
    // An asked-for start does.
    assert_int_equal(admin_record(f, "start"), 0);
    admin(f, body);
    assert_true(has_text(f->last_admin.c_str(), "\"recording\":{\"state\":\"on\""));
}

static void destroy_room_finishes_the_recording(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(consent(f, 1, true), 0);
    assert_int_equal(admin_record(f, "start"), 0);
    assert_int_equal(pkt(f, 1, 1), 1);
    char body[128];
    std::snprintf(body, sizeof body, "{\"request\":\"destroy_room\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 0);
    settle(f);
    assert_int_equal(open_files_of(f, kPat), 0);
    assert_true(has_text(manifest(f), "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb-video-0.mjr"));
    assert_true(has_text(g_ctl->events.back().c_str(), "\"event\":\"stopped\""));
    assert_true(index_of_last(f, 1, "recording") < index_of_last(f, 1, "ended"));
}

static void plugin_destroy_finishes_the_recording(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(consent(f, 1, true), 0);
    assert_int_equal(admin_record(f, "start"), 0);
    assert_int_equal(pkt(f, 1, 0), 1);
    g_ctl->fail_events = 1;  // one lost "stopped" at exit is only logged
    f->core.reset();         // Janus's destroy()
    assert_int_equal(open_files_of(f, kPat), 0);
    assert_true(has_text(manifest(f), "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb-audio-0.mjr"));
}

static void events_are_retried(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    g_ctl->fail_events = 2;
    assert_int_equal(admin_record(f, "start"), 0);
    assert_int_equal(g_ctl->event_calls, 3);
    assert_int_equal(static_cast<int>(g_ctl->events.size()), 1);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_entry_table),
        cmocka_unit_test(rules_record_table),
        cmocka_unit_test(rules_written_and_effects),
        cmocka_unit_test_setup_teardown(nothing_of_a_non_consenting_participant_is_written, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(consent_stored_first_then_every_packet_is_written, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(video_file_starts_at_a_keyframe, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(withdrawal_stops_writes_at_the_next_packet, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(unstored_consent_records_nothing, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(without_controller_consent_is_5031, setup_no_controller, teardown_rec),
        cmocka_unit_test_setup_teardown(required_policy_gates_admission, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(required_start_admits_only_consenting_bypass_holders, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(restored_consents_admit_and_record_without_a_new_answer, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(malformed_restored_consents_refuse_the_room, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(record_permissions_and_policy_errors, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(no_recordings_dir_is_5032, setup_no_dir, teardown_rec),
        cmocka_unit_test_setup_teardown(unmakeable_folder_is_5032, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(failed_write_stops_the_recording_and_tells, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(required_room_halted_by_a_fault_does_not_restart_by_itself, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(destroy_room_finishes_the_recording, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(plugin_destroy_finishes_the_recording, setup, teardown_rec),
        cmocka_unit_test_setup_teardown(events_are_retried, setup, teardown_rec),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
