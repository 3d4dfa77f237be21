// The media path through PluginCore: configure (SDP offer -> plan -> answer),
// slot assignment and `streams` events, the per-packet gate (lobby, mutes,
// live permissions), RTP forwarding with header rewriting, keyframe requests,
// and the lock-free MediaView snapshots (swap, hazard, reclaim).
//
// The FakeHost (plugin_fake_host.hpp) answers offers from the plan and
// records relay_rtp / send_pli. Clients are driven exactly as Janus drives
// the plugin: enqueue_message + drain() for requests, handle_admin for the
// controller, media_up / hangup for the PeerConnection, on_rtp / on_rtcp /
// on_data for packets (real RTP and RTCP bytes).
//
// Offers are written as one letter per m-line (mid = its index):
//   A audio sendonly   V video sendonly   B audio sendrecv   W video sendrecv   x audio inactive
//   a audio recvonly (slot)   v video recvonly (slot)   d data channel
//   P audio sendonly, PCMU only   H video sendonly, H.264 only   h video recvonly, H.264 only
// The usual layout "AVav": mindex 0 microphone, 1 camera, 2 audio slot,
// 3 video slot. The doctor offers other payload types than everyone else, so
// a forwarded packet must be re-typed to the subscriber's slot.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "plugin_fake_host.hpp"
#include "rtp_packets.hpp"

using namespace plugin_test;

namespace {

constexpr uint8_t kOpus = 111;
constexpr uint8_t kVp8 = 96;
constexpr uint8_t kDocOpus = 109;  // the doctor's (h0) payload types
constexpr uint8_t kDocVp8 = 100;
constexpr std::size_t kPayload = 24;
constexpr std::size_t kMaxPacket = 64;
constexpr int kMaxMindex = 32;

// The "ext" pointer handed to on_rtp: must reach relay_rtp unchanged.
const int kExtTag = 7;
const void* const kExt = &kExtTag;

// Next sequence number / timestamp per (handle, mindex) for pkt().
uint16_t g_seq[kHandles][kMaxMindex];
uint32_t g_ts[kHandles][kMaxMindex];

PluginConfig media_config() {
    PluginConfig c = test_config(true);
    c.max_participants_per_room = 5;
    return c;
}

int setup(void** state) {
    std::memset(g_seq, 0, sizeof g_seq);
    std::memset(g_ts, 0, sizeof g_ts);
    *state = make_fixture(media_config());
    return 0;
}

uint8_t opus_of(int h) { return h == 0 ? kDocOpus : kOpus; }
uint8_t vp8_of(int h) { return h == 0 ? kDocVp8 : kVp8; }
uint32_t ssrc_of(int h, int mindex) { return 0x10000000u + static_cast<uint32_t>(h * 256 + mindex); }

// ---- offers ----

std::string offer_text(const char* spec, int opus, int vp8) {
    std::string s = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
    for (std::size_t i = 0; spec[i] != 0; ++i) s += " " + std::to_string(i);
    s += "\r\na=msid-semantic: WMS\r\n";
    const std::string o = std::to_string(opus), v = std::to_string(vp8), rtx = std::to_string(vp8 + 1);
    for (std::size_t i = 0; spec[i] != 0; ++i) {
        const char c = spec[i];
        const std::string mid = std::to_string(i);
        if (c == 'd') {
            s += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:" + mid +
                 "\r\na=sctp-port:5000\r\n";
            continue;
        }
        const bool video = c == 'V' || c == 'v' || c == 'H' || c == 'h' || c == 'W';
        const bool other_codec = c == 'P' || c == 'H' || c == 'h';
        const char* dir = (c == 'a' || c == 'v' || c == 'h') ? "recvonly"
                          : c == 'B' || c == 'W'             ? "sendrecv"
                          : c == 'x'                         ? "inactive"
                                                             : "sendonly";
        if (other_codec) {
            s += video ? "m=video 9 UDP/TLS/RTP/SAVPF 102\r\n" : "m=audio 9 UDP/TLS/RTP/SAVPF 0 8\r\n";
            s += "c=IN IP4 0.0.0.0\r\na=mid:" + mid + "\r\na=" + dir + "\r\n";
            s += video ? "a=rtpmap:102 H264/90000\r\n" : "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n";
            continue;
        }
        if (video)
            s += "m=video 9 UDP/TLS/RTP/SAVPF " + v + " " + rtx + "\r\n";
        else
            s += "m=audio 9 UDP/TLS/RTP/SAVPF " + o + " 0\r\n";
        s += "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:Xq3b\r\n"
             "a=ice-pwd:0123456789abcdef01234567\r\na=setup:actpass\r\na=mid:" +
             mid + "\r\na=" + dir + "\r\na=rtcp-mux\r\n";
        if (video)
            s += "a=rtpmap:" + v + " VP8/90000\r\na=rtcp-fb:" + v + " nack pli\r\na=rtpmap:" + rtx +
                 " rtx/90000\r\na=fmtp:" + rtx + " apt=" + v + "\r\n";
        else
            s += "a=rtpmap:" + o + " opus/48000/2\r\na=fmtp:" + o + " minptime=10;useinbandfec=1\r\n"
                 "a=rtpmap:0 PCMU/8000\r\n";
    }
    return s;
}

// Sends configure with a jsep {"type":type,"sdp":sdp}; returns the reply code.
int configure_with(Fixture* f, int h, const char* body, const char* type, const char* sdp_text) {
    json_error_t err;
    Json msg(json_loads(body, 0, &err));
    Json jsep(json_pack("{s:s,s:s}", "type", type, "sdp", sdp_text));
    const char* txn = next_txn(f);
    if (f->core->enqueue_message(H(f, h), std::string(txn), std::move(msg), std::move(jsep)) ==
        PluginCore::Enqueued::Ok) {
        if (!f->worker)
            f->core->drain();
        else
            wait_for_reply(f, h, txn);
    }
    return reply(f, h, txn);
}

// An offer for `spec` with the patient's payload types, owned by the fixture.
const char* offer(Fixture* f, const char* spec) { return keep(f, offer_text(spec, kOpus, kVp8)); }

// A usable offer padded with attribute lines to just over kMaxSdpBytes.
const char* oversized_offer(Fixture* f) {
    std::string big = offer_text("AVav", kOpus, kVp8);
    while (big.size() <= sdp::kMaxSdpBytes) big += "a=x-pad:0123456789012345678901234567890123456789\r\n";
    return keep(f, std::move(big));
}

// configure with an offer built from `spec` (payload types of handle h).
int configure(Fixture* f, int h, const char* spec, const char* sources = nullptr) {
    std::string body = "{\"request\":\"configure\"";
    if (sources) body += std::string(",\"sources\":") + sources;
    body += "}";
    return configure_with(f, h, body.c_str(), "offer", offer_text(spec, opus_of(h), vp8_of(h)).c_str());
}

// The transaction of the last request sent.
const char* last_txn(Fixture* f) { return keep(f, "t" + std::to_string(f->txn_counter)); }

// Number of configured events with an answer jsep pushed to h.
int answers_to(Fixture* f, int h) {
    int n = 0;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Push && c.h == H(f, h) && !c.jsep.empty()) ++n;
    return n;
}

// The answer SDP of the last configured event to h ("" if none).
const char* last_answer(Fixture* f, int h) {
    for (std::size_t i = f->host.calls.size(); i-- > 0;) {
        const Call& c = f->host.calls[i];
        if (c.kind != Call::Push || c.h != H(f, h) || c.jsep.empty()) continue;
        json_error_t err;
        Json j(json_loads(c.jsep.c_str(), 0, &err));
        const char* type = json_string_value(json_object_get(j.get(), "type"));
        const char* sdp = json_string_value(json_object_get(j.get(), "sdp"));
        if (!type || std::strcmp(type, "answer") != 0 || !sdp) return "(not an answer)";
        return keep(f, sdp);
    }
    return "";
}

// The direction of m-line `mindex` in the last answer to h: "sendonly" ...,
// "rejected" for port 0, "?" if it cannot be read.
const char* answer_direction(Fixture* f, int h, std::size_t mindex) {
    std::optional<sdp::Session> s = sdp::parse(last_answer(f, h));
    if (!s || mindex >= s->mlines.size()) return "?";
    const sdp::MLine& m = s->mlines[mindex];
    if (m.rejected) return "rejected";
    switch (m.direction) {
        case sdp::Direction::SendRecv: return "sendrecv";
        case sdp::Direction::SendOnly: return "sendonly";
        case sdp::Direction::RecvOnly: return "recvonly";
        case sdp::Direction::Inactive: return "inactive";
    }
    return "?";
}

// ---- streams / configured ----

// "pid/source" carried by slot `mid` in the "streams" of the last `kind`
// event to h; "(idle)" if not listed, "(no event)" if none.
const char* stream_of(Fixture* f, int h, const char* kind, const char* mid) {
    Json j = last_event(f, h, kind);
    if (!j) return "(no event)";
    std::size_t i;
    json_t* v;
    json_array_foreach(json_object_get(j.get(), "streams"), i, v) {
        const char* m = json_string_value(json_object_get(v, "mid"));
        if (m && std::strcmp(m, mid) == 0)
            return keep(f, std::string(json_string_value(json_object_get(v, "participant_id"))) + "/" +
                               json_string_value(json_object_get(v, "source")));
    }
    return "(idle)";
}

const char* pid_source(Fixture* f, const char* pid, const char* source) {
    return keep(f, std::string(pid) + "/" + source);
}

// A counter of object `key` ("unassigned", "slots") of the last `kind` event.
int count_in(Fixture* f, int h, const char* kind, const char* key, const char* media) {
    Json j = last_event(f, h, kind);
    if (!j) return -1;
    json_t* v = json_object_get(json_object_get(j.get(), key), media);
    return json_is_integer(v) ? static_cast<int>(json_integer_value(v)) : -1;
}

// ---- packets ----

std::size_t make_rtp(uint8_t* b, uint8_t pt, uint16_t sq, uint32_t ts, uint32_t ss, bool marker) {
    rtp_header(b, pt, marker, sq, ts, ss);
    for (std::size_t i = 0; i < kPayload; ++i) b[12 + i] = static_cast<uint8_t>(0xa0 + i);
    return 12 + kPayload;
}

// One RTP packet from h on `mindex`; returns the number of relays it caused,
// or -100 if on_rtp did not give the buffer back unchanged.
int rtp_raw(Fixture* f, int h, int mindex, bool video, uint8_t pt, uint16_t sq, uint32_t ts, uint32_t ss,
            bool marker = false) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return -1;
    uint8_t buf[kMaxPacket], copy[kMaxPacket];
    const std::size_t len = make_rtp(buf, pt, sq, ts, ss, marker);
    std::memcpy(copy, buf, len);
    const std::size_t before = f->host.relays.size();
    f->core->on_rtp(*p, mindex, video, buf, len, kExt);
    if (std::memcmp(copy, buf, len) != 0) return -100;
    return static_cast<int>(f->host.relays.size() - before);
}

// The next packet of h's microphone (mindex 0) or camera (mindex 1) in the
// "AVav" layout, with its negotiated payload type.
int pkt(Fixture* f, int h, int mindex) {
    const bool video = mindex == 1;
    uint16_t& sq = g_seq[h][mindex];
    uint32_t& ts = g_ts[h][mindex];
    sq = static_cast<uint16_t>(sq + 1);
    ts += video ? 3000 : 960;
    return rtp_raw(f, h, mindex, video, video ? vp8_of(h) : opus_of(h), static_cast<uint16_t>(1000 + sq),
                   50000 + ts, ssrc_of(h, mindex));
}
int audio(Fixture* f, int h) { return pkt(f, h, 0); }
int video(Fixture* f, int h) { return pkt(f, h, 1); }

// Relays recorded so far: the i-th (negative: from the end), null if none.
const Relay* relay(Fixture* f, int i) {
    const int n = static_cast<int>(f->host.relays.size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return nullptr;
    return &f->host.relays[static_cast<std::size_t>(i)];
}
// The last relay to handle h (null if none).
const Relay* last_relay_to(Fixture* f, int h) {
    for (std::size_t i = f->host.relays.size(); i-- > 0;)
        if (f->host.relays[i].h == H(f, h)) return &f->host.relays[i];
    return nullptr;
}
int relays_to(Fixture* f, int h) {
    int n = 0;
    for (const Relay& r : f->host.relays)
        if (r.h == H(f, h)) ++n;
    return n;
}
int relay_pt(const Relay* r) { return r->bytes[1] & 0x7f; }
bool relay_marker(const Relay* r) { return (r->bytes[1] & 0x80) != 0; }
int relay_seq(const Relay* r) { return (r->bytes[2] << 8) | r->bytes[3]; }
long long relay_ts(const Relay* r) {
    return (static_cast<long long>(r->bytes[4]) << 24) | (r->bytes[5] << 16) | (r->bytes[6] << 8) | r->bytes[7];
}
bool relay_payload_intact(const Relay* r) {
    if (r->bytes.size() != 12 + kPayload) return false;
    for (std::size_t i = 0; i < kPayload; ++i)
        if (r->bytes[12 + i] != static_cast<uint8_t>(0xa0 + i)) return false;
    return true;
}

// RTCP from h on `mindex`: "pli", "fir" or "rr" (a receiver report).
void rtcp(Fixture* f, int h, int mindex, const char* what) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return;
    uint8_t b[32] = {};
    std::size_t len = 0;
    const uint32_t sender = ssrc_of(h, 9), media = 0x20000000u;
    auto put32 = [&](std::size_t at, uint32_t v) {
        b[at] = static_cast<uint8_t>(v >> 24);
        b[at + 1] = static_cast<uint8_t>(v >> 16);
        b[at + 2] = static_cast<uint8_t>(v >> 8);
        b[at + 3] = static_cast<uint8_t>(v);
    };
    if (std::strcmp(what, "pli") == 0) {  // PT 206 FMT 1, 12 bytes
        b[0] = 0x81, b[1] = 206, b[2] = 0, b[3] = 2;
        put32(4, sender), put32(8, media);
        len = 12;
    } else if (std::strcmp(what, "fir") == 0) {  // PT 206 FMT 4, 20 bytes
        b[0] = 0x84, b[1] = 206, b[2] = 0, b[3] = 4;
        put32(4, sender), put32(8, 0), put32(12, media);
        b[16] = 1;
        len = 20;
    } else {  // RR with no report block: PT 201, 8 bytes
        b[0] = 0x80, b[1] = 201, b[2] = 0, b[3] = 1;
        put32(4, sender);
        len = 8;
    }
    f->core->on_rtcp(*p, mindex, true, b, len);
}

int plis(Fixture* f, int h, int mindex) {
    int n = 0;
    for (const Pli& p : f->host.plis)
        if (p.h == H(f, h) && p.mindex == mindex) ++n;
    return n;
}

// ---- views ----

// Number of targets of route `mindex` in h's current view; -1 no view,
// -2 no such route.
int targets(Fixture* f, int h, int mindex) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return -3;
    const MediaView* v = p->acquire_view(Participant::kRtcpReader);
    int n = -1;
    if (v) n = mindex < static_cast<int>(v->routes.size()) ? static_cast<int>(v->routes[mindex].targets.size()) : -2;
    p->release_view(Participant::kRtcpReader);
    return n;
}

// Does a target of route `mindex` of h's view go to handle `to`?
bool targets_handle(Fixture* f, int h, int mindex, int to) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return false;
    const MediaView* v = p->acquire_view(Participant::kRtcpReader);
    bool found = false;
    if (v && mindex < static_cast<int>(v->routes.size()))
        for (const Target& t : v->routes[mindex].targets)
            if (t.to->handle() == H(f, to)) found = true;
    p->release_view(Participant::kRtcpReader);
    return found;
}

const MediaView* current_view(Fixture* f, int h) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return nullptr;
    const MediaView* v = p->acquire_view(Participant::kRtcpReader);
    p->release_view(Participant::kRtcpReader);
    return v;  // an address to compare only
}

// ---- scenarios ----

// Room active; doctor (h0) admitted, patient (h1) admitted by the doctor;
// both configured "AVav" and their PeerConnections up. Call log cleared.
bool consult(Fixture* f) {
    if (create_room(f, kRoom) != 0) return false;
    if (join(f, 0, doctor_token(f)) != 0 || join(f, 1, patient_token(f)) != 0) return false;
    if (moderate(f, 0, "admit", kPat) != 0) return false;
    if (configure(f, 0, "AVav") != 0 || configure(f, 1, "AVav") != 0) return false;
    f->core->media_up(H(f, 0));
    f->core->media_up(H(f, 1));
    f->core->drain();
    clear_calls(f);
    return true;
}

// Joins h with `tok` (admitted by the doctor if it waits), configures
// `spec` (by default two slots of each kind: room for both others), brings
// its PeerConnection up.
bool enter(Fixture* f, int h, const char* tok, const char* pid, const char* spec = "AVavav") {
    if (join(f, h, tok) != 0) return false;
    if (std::strcmp(field(f, h, "joined", "status"), "waiting") == 0 && moderate(f, 0, "admit", pid) != 0)
        return false;
    if (configure(f, h, spec) != 0) return false;
    f->core->media_up(H(f, h));
    f->core->drain();
    return true;
}

}  // namespace

// ---------------------------------------------------------------- configure / answer

static void configure_answers_by_plan(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    assert_int_equal(configure(f, 0, "AVavd"), 0);
    assert_int_equal(replies(f, 0, last_txn(f)), 1);  // answered once
    assert_int_equal(answers_to(f, 0), 1);
    assert_string_equal(answer_direction(f, 0, 0), "recvonly");  // it publishes
    assert_string_equal(answer_direction(f, 0, 1), "recvonly");
    assert_string_equal(answer_direction(f, 0, 2), "sendonly");  // slots
    assert_string_equal(answer_direction(f, 0, 3), "sendonly");
    assert_string_equal(answer_direction(f, 0, 4), "rejected");  // no data channels
    assert_true(has_text(last_answer(f, 0), "a=rtpmap:109 opus/48000/2"));
    assert_true(has_text(last_answer(f, 0), "a=rtpmap:100 VP8/90000"));
    assert_string_equal(field_json(f, 0, "configured", "publishing"),
                        "[{\"mid\":\"0\",\"source\":\"audio\"},{\"mid\":\"1\",\"source\":\"video\"}]");
    assert_string_equal(field_json(f, 0, "configured", "refused"), "[]");
    assert_string_equal(field_json(f, 0, "configured", "slots"), "{\"audio\":1,\"video\":1}");
    assert_string_equal(field_json(f, 0, "configured", "streams"), "[]");
    assert_string_equal(field_json(f, 0, "configured", "unassigned"), "{\"audio\":0,\"video\":0}");
    assert_true(has_text(room_member(f, kDoc), "\"publishing\":[\"audio\",\"video\"]"));
    // sendrecv publishes and is a slot; "sources" names a second video m-line screen.
    assert_int_equal(configure(f, 0, "BVVv", "[{\"mid\":\"2\",\"source\":\"screen\"},{\"mid\":\"1\",\"source\":\"video\"}]"),
                     0);
    assert_string_equal(answer_direction(f, 0, 0), "sendrecv");
    assert_string_equal(field_json(f, 0, "configured", "publishing"),
                        "[{\"mid\":\"0\",\"source\":\"audio\"},{\"mid\":\"1\",\"source\":\"video\"},"
                        "{\"mid\":\"2\",\"source\":\"screen\"}]");
    assert_string_equal(field_json(f, 0, "configured", "slots"), "{\"audio\":1,\"video\":1}");
    // A patient may not share its screen: answered inactive, counted.
    join(f, 1, patient_token(f));
    assert_int_equal(configure(f, 1, "AVVav"), 0);  // configure is allowed in the lobby
    assert_string_equal(answer_direction(f, 1, 2), "inactive");
    assert_string_equal(field_json(f, 1, "configured", "refused"), "[{\"mid\":\"2\",\"source\":\"screen\"}]");
    assert_int_equal(stat_of(f, kPat, "sdp_refused"), 1);
    // More than 16 slots of a kind: the 17th is rejected.
    assert_int_equal(configure(f, 0, "Avvvvvvvvvvvvvvvvv"), 0);
    assert_string_equal(field_json(f, 0, "configured", "slots"), "{\"audio\":0,\"video\":16}");
    assert_string_equal(answer_direction(f, 0, 16), "sendonly");
    assert_string_equal(answer_direction(f, 0, 17), "rejected");
    // Without subscribe the slots are answered inactive (not refused: the
    // client does not send there) and count as no slots.
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\"]"), 0);
    assert_int_equal(configure(f, 1, "AVav"), 0);
    assert_string_equal(answer_direction(f, 1, 0), "recvonly");
    assert_string_equal(answer_direction(f, 1, 1), "inactive");
    assert_string_equal(answer_direction(f, 1, 2), "inactive");
    assert_string_equal(answer_direction(f, 1, 3), "inactive");
    assert_string_equal(field_json(f, 1, "configured", "refused"), "[{\"mid\":\"1\",\"source\":\"video\"}]");
    assert_string_equal(field_json(f, 1, "configured", "slots"), "{\"audio\":0,\"video\":0}");
    assert_int_equal(stat_of(f, kPat, "sdp_refused"), 2);
    // Codecs other than opus / VP8 are never answered; a slot without one is rejected.
    assert_int_equal(configure(f, 0, "AVavh"), 0);
    assert_string_equal(answer_direction(f, 0, 4), "rejected");
    assert_true(!has_text(last_answer(f, 0), "PCMU") && !has_text(last_answer(f, 0), "rtx"));
    // An inactive offered m-line is rejected.
    assert_int_equal(configure(f, 0, "xV"), 0);
    assert_string_equal(answer_direction(f, 0, 0), "rejected");
    assert_string_equal(field_json(f, 0, "configured", "publishing"), "[{\"mid\":\"1\",\"source\":\"video\"}]");
}

static void observer_is_answered_inactive_and_gated(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    assert_int_equal(configure(f, 0, "AVav"), 0);
    f->core->media_up(H(f, 0));
    assert_true(enter(f, 2, observer_token(f), kObs));
    assert_string_equal(answer_direction(f, 2, 0), "inactive");
    assert_string_equal(answer_direction(f, 2, 1), "inactive");
    assert_string_equal(answer_direction(f, 2, 2), "sendonly");  // it may subscribe
    assert_string_equal(answer_direction(f, 2, 3), "sendonly");
    assert_string_equal(field_json(f, 2, "configured", "publishing"), "[]");
    assert_string_equal(field_json(f, 2, "configured", "refused"),
                        "[{\"mid\":\"0\",\"source\":\"audio\"},{\"mid\":\"1\",\"source\":\"video\"}]");
    assert_int_equal(stat_of(f, kObs, "sdp_refused"), 2);
    assert_true(has_text(room_member(f, kObs), "\"publishing\":[]"));
    clear_calls(f);
    // RTP it sends anyway on the refused m-lines is dropped and counted.
    assert_int_equal(audio(f, 2), 0);
    assert_int_equal(video(f, 2), 0);
    assert_int_equal(stat_of(f, kObs, "rtp_in"), 2);
    assert_int_equal(stat_of(f, kObs, "rtp_dropped"), 2);
    assert_int_equal(stat_of(f, kObs, "rtp_forwarded"), 0);
    assert_int_equal(relays_to(f, 0), 0);
    // It receives the doctor.
    assert_int_equal(video(f, 0), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 2));
    assert_int_equal(relay(f, -1)->mindex, 3);
    assert_int_equal(relay_pt(relay(f, -1)), kVp8);
    // Data channel packets are dropped and counted.
    f->core->on_data(*f->core->find_raw(H(f, 2)));
    assert_int_equal(stat_of(f, kObs, "data_dropped"), 1);
}

// A participant that publishes and subscribes needs one sendrecv m-line per
// kind in a 1:1 call: the m-line carries its own source in and the other's
// out. The gate stops only the sending half.
static void sendrecv_mlines_publish_and_receive(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    assert_int_equal(configure(f, 0, "BW"), 0);
    assert_string_equal(answer_direction(f, 0, 0), "sendrecv");
    assert_string_equal(answer_direction(f, 0, 1), "sendrecv");
    assert_string_equal(field_json(f, 0, "configured", "slots"), "{\"audio\":1,\"video\":1}");
    assert_int_equal(configure(f, 1, "BW"), 0);
    assert_string_equal(field_json(f, 1, "configured", "publishing"),
                        "[{\"mid\":\"0\",\"source\":\"audio\"},{\"mid\":\"1\",\"source\":\"video\"}]");
    assert_string_equal(stream_of(f, 1, "configured", "0"), pid_source(f, kDoc, "audio"));
    assert_string_equal(stream_of(f, 1, "configured", "1"), pid_source(f, kDoc, "video"));
    assert_string_equal(stream_of(f, 0, "streams", "1"), pid_source(f, kPat, "video"));
    f->core->media_up(H(f, 0));
    f->core->media_up(H(f, 1));
    f->core->drain();
    clear_calls(f);
    // Each one's camera goes out on the other's camera m-line, re-typed.
    assert_int_equal(video(f, 1), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 0));
    assert_int_equal(relay(f, -1)->mindex, 1);
    assert_int_equal(relay_pt(relay(f, -1)), kDocVp8);
    assert_int_equal(video(f, 0), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 1));
    assert_int_equal(relay(f, -1)->mindex, 1);
    assert_int_equal(relay_pt(relay(f, -1)), kVp8);
    assert_int_equal(audio(f, 1), 1);
    assert_int_equal(relay(f, -1)->mindex, 0);
    // A PLI on that m-line asks the other's camera.
    rtcp(f, 0, 1, "pli");
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(plis(f, 0, 1), 0);
    // Force-muted microphone: its audio stops, the doctor's still reaches it
    // on the same m-line.
    assert_int_equal(mute(f, 0, "mute", kPat, "audio"), 0);
    assert_int_equal(audio(f, 1), 0);
    assert_int_equal(audio(f, 0), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 1));
    assert_int_equal(relay(f, -1)->mindex, 0);
    // An observer's sendrecv m-lines are answered sendonly: slots only,
    // its sending half refused and gated.
    assert_true(enter(f, 2, observer_token(f), kObs, "BW"));
    assert_string_equal(answer_direction(f, 2, 0), "sendonly");
    assert_string_equal(answer_direction(f, 2, 1), "sendonly");
    assert_string_equal(field_json(f, 2, "configured", "publishing"), "[]");
    assert_string_equal(field_json(f, 2, "configured", "refused"),
                        "[{\"mid\":\"0\",\"source\":\"audio\"},{\"mid\":\"1\",\"source\":\"video\"}]");
    assert_int_equal(stat_of(f, kObs, "sdp_refused"), 2);
    assert_int_equal(count_in(f, 2, "configured", "slots", "video"), 1);
    clear_calls(f);
    assert_int_equal(video(f, 2), 0);
    assert_int_equal(stat_of(f, kObs, "rtp_dropped"), 1);
    assert_int_equal(video(f, 0), 2);  // the patient and the observer
    assert_true(targets_handle(f, 0, 1, 2));
}

// ---------------------------------------------------------------- forwarding

static void patient_video_reaches_doctor_slot(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(targets(f, 1, 1), 1);
    assert_true(targets_handle(f, 1, 1, 0));
    // Packet 1: relayed once, to the doctor's video slot (mindex 3), with the
    // doctor's payload type; the caller's buffer is given back unchanged.
    assert_int_equal(rtp_raw(f, 1, 1, true, kVp8, 40000, 1234567, 0xabcdef01), 1);
    const Relay* r = relay(f, 0);
    assert_ptr_equal(r->h, H(f, 0));
    assert_int_equal(r->mindex, 3);
    assert_true(r->video);
    assert_ptr_equal(r->ext, kExt);
    assert_int_equal(relay_pt(r), kDocVp8);
    assert_false(relay_marker(r));
    assert_true(relay_payload_intact(r));
    const int seq0 = relay_seq(r);
    const long long ts0 = relay_ts(r);
    // Packets 2, 3: sequence numbers and timestamps continue, marker kept.
    assert_int_equal(rtp_raw(f, 1, 1, true, kVp8, 40001, 1234567 + 3000, 0xabcdef01, true), 1);
    assert_int_equal(relay_seq(relay(f, 1)), (seq0 + 1) & 0xffff);
    assert_int_equal(relay_ts(relay(f, 1)), (ts0 + 3000) & 0xffffffffLL);
    assert_true(relay_marker(relay(f, 1)));
    assert_int_equal(relay_pt(relay(f, 1)), kDocVp8);
    assert_int_equal(rtp_raw(f, 1, 1, true, kVp8, 40002, 1234567 + 6000, 0xabcdef01), 1);
    assert_int_equal(relay_seq(relay(f, 2)), (seq0 + 2) & 0xffff);
    // A new SSRC on the same m-line (ICE restart, camera switch): the slot's
    // output stays continuous.
    assert_int_equal(rtp_raw(f, 1, 1, true, kVp8, 7, 99, 0x0badcafe), 1);
    assert_int_equal(relay_seq(relay(f, 3)), (seq0 + 3) & 0xffff);
    assert_true(relay_ts(relay(f, 3)) != relay_ts(relay(f, 2)));
    // Audio goes to the doctor's audio slot, re-typed to its opus.
    assert_int_equal(audio(f, 1), 1);
    assert_int_equal(relay(f, -1)->mindex, 2);
    assert_false(relay(f, -1)->video);
    assert_int_equal(relay_pt(relay(f, -1)), kDocOpus);
    // The doctor's camera reaches the patient's slot with the patient's vp8.
    assert_int_equal(video(f, 0), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 1));
    assert_int_equal(relay(f, -1)->mindex, 3);
    assert_int_equal(relay_pt(relay(f, -1)), kVp8);
    // Counters.
    assert_int_equal(stat_of(f, kPat, "rtp_in"), 5);
    assert_int_equal(stat_of(f, kPat, "rtp_forwarded"), 5);
    assert_int_equal(stat_of(f, kPat, "rtp_dropped"), 0);
    assert_int_equal(stat_of(f, kDoc, "rtp_forwarded"), 1);
}

static void malformed_or_misplaced_rtp_is_dropped(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(rtp_raw(f, 1, 1, true, kVp8 + 1, 1, 1, 1), 0);  // rtx PT: not the negotiated one
    assert_int_equal(rtp_raw(f, 1, 1, false, kVp8, 2, 1, 1), 0);     // says audio on a video m-line
    assert_int_equal(rtp_raw(f, 1, 3, true, kVp8, 3, 1, 1), 0);      // on its own receiving slot
    assert_int_equal(rtp_raw(f, 1, 9, true, kVp8, 4, 1, 1), 0);      // no such m-line
    assert_int_equal(rtp_raw(f, 1, -1, true, kVp8, 5, 1, 1), 0);
    Participant* p = f->core->find_raw(H(f, 1));
    uint8_t buf[kMaxPacket];
    std::size_t len = make_rtp(buf, kVp8, 6, 1, 1, false);
    buf[0] = 0x40;  // version 1
    f->core->on_rtp(*p, 1, true, buf, len, nullptr);
    make_rtp(buf, kVp8, 7, 1, 1, false);
    f->core->on_rtp(*p, 1, true, buf, 11, nullptr);  // shorter than a header
    buf[0] = 0x8f;                                   // 15 CSRCs that are not there
    f->core->on_rtp(*p, 1, true, buf, len, nullptr);
    assert_int_equal(static_cast<int>(f->host.relays.size()), 0);
    assert_int_equal(stat_of(f, kPat, "rtp_dropped"), 8);
    assert_int_equal(stat_of(f, kPat, "rtp_in"), 8);
    // Not joined at all.
    assert_int_equal(rtp_raw(f, 5, 0, false, kOpus, 1, 1, 1), 0);
}

// ---------------------------------------------------------------- the lobby

static void waiting_participant_is_gated_until_admitted(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    configure(f, 0, "AVav");
    f->core->media_up(H(f, 0));
    join(f, 1, patient_token(f));
    assert_string_equal(field(f, 1, "joined", "status"), "waiting");
    assert_int_equal(configure(f, 1, "AVav"), 0);  // the PC may come up in the lobby
    assert_string_equal(field_json(f, 1, "configured", "streams"), "[]");
    assert_string_equal(field_json(f, 1, "configured", "unassigned"), "{\"audio\":0,\"video\":0}");
    f->core->media_up(H(f, 1));
    f->core->drain();
    assert_int_equal(count(f, 0, "streams"), 0);  // nothing of it is offered to the doctor
    clear_calls(f);
    // It sends: dropped. The doctor sends: nothing reaches it.
    assert_int_equal(video(f, 1), 0);
    assert_int_equal(audio(f, 1), 0);
    assert_int_equal(stat_of(f, kPat, "rtp_dropped"), 2);
    assert_int_equal(video(f, 0), 0);
    assert_int_equal(audio(f, 0), 0);
    assert_int_equal(relays_to(f, 1), 0);
    // RTCP from its slots is not forwarded either.
    rtcp(f, 1, 3, "pli");
    assert_int_equal(static_cast<int>(f->host.plis.size()), 0);
    // Admitted: the very next packets flow both ways.
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    assert_int_equal(video(f, 1), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 0));
    assert_int_equal(video(f, 0), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 1));
    assert_int_equal(audio(f, 1), 1);
    // Events: admitted, then streams with the doctor's sources on its slots.
    assert_true(index_of_last(f, 1, "admitted") < index_of_last(f, 1, "streams"));
    assert_string_equal(stream_of(f, 1, "streams", "2"), pid_source(f, kDoc, "audio"));
    assert_string_equal(stream_of(f, 1, "streams", "3"), pid_source(f, kDoc, "video"));
    assert_string_equal(stream_of(f, 0, "streams", "2"), pid_source(f, kPat, "audio"));
    assert_string_equal(stream_of(f, 0, "streams", "3"), pid_source(f, kPat, "video"));
    // Its camera starts flowing: a keyframe is asked for.
    assert_true(plis(f, 1, 1) >= 1);
}

static void deny_clears_the_waiting_view(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    configure(f, 0, "AVav");
    join(f, 1, patient_token(f));
    configure(f, 1, "AVav");
    f->core->media_up(H(f, 1));
    assert_int_equal(targets(f, 1, 1), 0);  // a view with its routes, no targets
    assert_int_equal(moderate(f, 0, "deny", kPat), 0);
    assert_int_equal(targets(f, 1, 1), -1);  // no view at all
    assert_int_equal(video(f, 1), 0);
    assert_int_equal(closes(f, 1), 1);
    assert_int_equal(f->core->reclaim_views(), 0);
}

// ---------------------------------------------------------------- mutes

static void forced_mute_and_self_mute_in_the_gate(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(audio(f, 1), 1);
    // A moderator mutes the patient's microphone: the next packet is dropped.
    assert_int_equal(mute(f, 0, "mute", kPat, "audio"), 0);
    assert_int_equal(audio(f, 1), 0);
    assert_int_equal(video(f, 1), 1);  // the camera still flows
    // The patient cannot lift it.
    assert_int_equal(mute(f, 1, "unmute", nullptr, "audio"), 4044);
    assert_int_equal(audio(f, 1), 0);
    // The moderator can.
    assert_int_equal(mute(f, 0, "unmute", kPat, "audio"), 0);
    assert_int_equal(audio(f, 1), 1);
    assert_int_equal(stat_of(f, kPat, "rtp_dropped"), 2);
    // Self mute / unmute of the camera; a keyframe is asked for when it resumes.
    assert_int_equal(mute(f, 1, "mute", nullptr, "video"), 0);
    assert_int_equal(video(f, 1), 0);
    assert_int_equal(audio(f, 1), 1);
    f->host.plis.clear();
    assert_int_equal(mute(f, 1, "unmute", nullptr, "video"), 0);
    assert_int_equal(video(f, 1), 1);
    assert_int_equal(plis(f, 1, 1), 1);
    // Not a moderator: muting the doctor is refused and changes nothing.
    assert_int_equal(mute(f, 1, "mute", kDoc, "audio"), 4043);
    assert_int_equal(audio(f, 0), 1);
    // Mute of an unknown media: refused, nothing changes.
    assert_int_equal(mute(f, 0, "mute", kPat, "camera"), 4003);
    assert_int_equal(video(f, 1), 1);
    assert_int_equal(audio(f, 1), 1);
    // A forced mute is kept across a renegotiation (the gate, not the SDP, enforces it).
    assert_int_equal(mute(f, 0, "mute", kPat, "video"), 0);
    assert_int_equal(configure(f, 1, "AVav"), 0);
    assert_string_equal(answer_direction(f, 1, 1), "recvonly");
    assert_int_equal(video(f, 1), 0);
}

// ---------------------------------------------------------------- live permissions

static void set_permissions_changes_the_gate_without_renegotiation(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    const int answers = f->host.answers;
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\",\"subscribe\",\"chat\",\"share_files\"]"), 0);
    // At once (before any queued event runs).
    assert_int_equal(video(f, 1), 0);
    assert_int_equal(audio(f, 1), 1);
    f->core->drain();
    assert_int_equal(count(f, 1, "permissions"), 1);
    assert_int_equal(stat_of(f, kPat, "rtp_dropped"), 1);
    // Back: flows again and a keyframe is requested; still no new SDP.
    f->host.plis.clear();
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\",\"publish_video\",\"subscribe\",\"chat\"]"), 0);
    assert_int_equal(video(f, 1), 1);
    const int last_seq = relay_seq(relay(f, -1));
    f->core->drain();
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(f->host.answers, answers);
    assert_int_equal(count(f, 1, "configured"), 0);
    assert_int_equal(answers_to(f, 1), 0);
    // Losing subscribe: the slots are emptied (streams event) and nothing is
    // relayed to it; its own publishing is untouched.
    assert_int_equal(set_permissions(f, kDoc, "[\"publish_audio\",\"publish_video\",\"moderate\"]"), 0);
    assert_int_equal(video(f, 1), 0);
    assert_int_equal(video(f, 0), 1);
    f->core->drain();
    assert_string_equal(field_json(f, 0, "streams", "streams"), "[]");
    assert_int_equal(targets(f, 1, 1), 0);
    // Subscribe back: assigned again, and the stream continues where it stopped.
    assert_int_equal(set_permissions(f, kDoc, "[\"publish_audio\",\"publish_video\",\"moderate\",\"subscribe\"]"), 0);
    assert_int_equal(video(f, 1), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 0));
    assert_int_equal(relay_seq(relay(f, -1)), (last_seq + 1) & 0xffff);
    f->core->drain();
    assert_string_equal(stream_of(f, 0, "streams", "3"), pid_source(f, kPat, "video"));
}

// ---------------------------------------------------------------- snapshots

static void views_are_swapped_and_reclaimed_after_readers(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    Participant* pat = f->core->find_raw(H(f, 1));
    // A media thread of the patient holds its current view.
    const MediaView* held = pat->acquire_view(Participant::kRtpReader);
    assert_non_null(held);
    assert_int_equal(static_cast<int>(held->routes[1].targets.size()), 1);
    // A paramedic joins and publishes: the patient's view is replaced.
    assert_true(enter(f, 3, paramedic_token(f), kMed));  // drain() reclaims what it can
    assert_int_equal(targets(f, 1, 1), 2);
    assert_true(targets_handle(f, 1, 1, 3));
    assert_true(current_view(f, 1) != held);
    assert_true(f->core->reclaim_views() >= 1);  // the held one stays
    assert_int_equal(static_cast<int>(held->routes[1].targets.size()), 1);  // still readable
    assert_int_equal(held->routes[1].targets[0].mindex, 3);
    pat->release_view(Participant::kRtpReader);
    assert_int_equal(f->core->reclaim_views(), 0);
    // It leaves: the patient's targets shrink at once.
    assert_int_equal(leave(f, 3), 0);
    assert_int_equal(targets(f, 1, 1), 1);
    assert_false(targets_handle(f, 1, 1, 3));
    assert_int_equal(video(f, 1), 1);
    // A held view keeps the participants it names alive: the doctor's handle
    // is given back only once the reader lets go.
    held = pat->acquire_view(Participant::kRtpReader);
    assert_true(f->core->detach(H(f, 0)));
    assert_int_equal(targets(f, 1, 1), 0);  // detach removes targets at once
    f->core->drain();
    assert_int_equal(released_count(f, 0), 0);
    assert_true(f->core->reclaim_views() >= 1);
    pat->release_view(Participant::kRtpReader);
    assert_int_equal(f->core->reclaim_views(), 0);
    assert_int_equal(released_count(f, 0), 1);
    assert_int_equal(video(f, 1), 0);
}

static void kick_leave_and_hangup_remove_targets_at_once(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(enter(f, 3, paramedic_token(f), kMed));
    assert_true(enter(f, 2, observer_token(f), kObs));
    assert_int_equal(targets(f, 1, 1), 3);
    // Admin kick (synchronous): before any queued work runs.
    char body[256];
    std::snprintf(body, sizeof body, "{\"request\":\"kick\",\"room\":\"%s\",\"participant_id\":\"%s\"}", kRoom, kObs);
    assert_int_equal(admin(f, body), 0);
    assert_int_equal(targets(f, 1, 1), 2);
    assert_false(targets_handle(f, 1, 1, 2));
    f->host.relays.clear();
    assert_int_equal(video(f, 1), 2);
    assert_int_equal(relays_to(f, 2), 0);
    // A moderator's kick.
    assert_int_equal(moderate(f, 0, "kick", kMed), 0);
    assert_int_equal(targets(f, 1, 1), 1);
    assert_int_equal(targets(f, 3, 1), -1);
    assert_int_equal(video(f, 3), 0);
    // The patient's PeerConnection goes down: it neither sends nor receives,
    // the doctor's slots are freed, the patient stays joined.
    f->core->hangup(H(f, 1));
    assert_int_equal(targets(f, 1, 1), -1);
    assert_int_equal(targets(f, 0, 1), 0);
    assert_int_equal(video(f, 1), 0);
    assert_int_equal(video(f, 0), 0);
    f->core->drain();
    assert_string_equal(field_json(f, 0, "streams", "streams"), "[]");
    assert_int_equal(query_joined(f, 1), 1);
    // It configures again (new PC): flows again.
    assert_int_equal(configure(f, 1, "AVav"), 0);
    f->core->media_up(H(f, 1));
    assert_int_equal(video(f, 1), 1);
    assert_int_equal(video(f, 0), 1);
    // destroy_room: every view goes.
    std::snprintf(body, sizeof body, "{\"request\":\"destroy_room\",\"room\":\"%s\"}", kRoom);
    assert_int_equal(admin(f, body), 0);
    assert_int_equal(targets(f, 0, 1), -1);
    assert_int_equal(targets(f, 1, 1), -1);
    assert_int_equal(video(f, 1), 0);
    f->core->drain();
    assert_int_equal(f->core->reclaim_views(), 0);
}

// Views reference each other's participants (A's view targets B, B's view
// names A as the publisher of its slot): no cycle may outlive a departure.
static void no_participant_leaks_through_views(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(enter(f, 3, paramedic_token(f), kMed));
    assert_true(f->core->detach(H(f, 1)));
    f->core->drain();
    assert_int_equal(released_count(f, 1), 1);
    assert_int_equal(leave(f, 3), 0);
    assert_true(f->core->detach(H(f, 3)));
    f->core->drain();
    assert_int_equal(released_count(f, 3), 1);
    f->core.reset();  // the doctor is still configured
    for (int i = 0; i < kHandles; ++i) assert_int_equal(released_count(f, i), 1);
}

// ---------------------------------------------------------------- keyframes

// Janus files a participant's incoming RTCP under the m-line of the sender
// SSRC (its own camera when it publishes one), so the m-line a PLI/FIR
// arrives on does not say which slot it is about: every video source on the
// participant's slots is asked, each at most once per 500 ms.
static void subscriber_pli_reaches_publishers_rate_limited(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    // The doctor's PLI on its video slot goes to the patient's camera m-line.
    rtcp(f, 0, 3, "pli");
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(static_cast<int>(f->host.plis.size()), 1);
    rtcp(f, 0, 3, "pli");  // within 500 ms: not again
    rtcp(f, 0, 3, "fir");
    assert_int_equal(plis(f, 1, 1), 1);
    f->host.mono_us += 499'000;
    rtcp(f, 0, 1, "pli");  // arriving on its own camera's m-line: the same request
    assert_int_equal(plis(f, 1, 1), 1);
    f->host.mono_us += 1'000;
    rtcp(f, 0, 1, "fir");  // FIR counts as a keyframe request too
    assert_int_equal(plis(f, 1, 1), 2);
    assert_int_equal(static_cast<int>(f->host.plis.size()), 2);  // never to the sender itself
    // A receiver report is no request.
    f->host.mono_us += 1'000'000;
    rtcp(f, 0, 3, "rr");
    rtcp(f, 0, 1, "rr");
    assert_int_equal(plis(f, 1, 1), 2);
    // A paramedic's slots carry the doctor's and the patient's cameras: its
    // PLI asks both; the doctor's PLI right after is absorbed by the limit.
    assert_true(enter(f, 3, paramedic_token(f), kMed));
    assert_string_equal(stream_of(f, 3, "configured", "3"), pid_source(f, kDoc, "video"));
    assert_string_equal(stream_of(f, 3, "configured", "5"), pid_source(f, kPat, "video"));
    f->host.plis.clear();
    f->host.mono_us += 1'000'000;
    rtcp(f, 3, 5, "pli");
    assert_int_equal(plis(f, 0, 1), 1);
    assert_int_equal(plis(f, 1, 1), 1);
    rtcp(f, 0, 3, "pli");
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(static_cast<int>(f->host.plis.size()), 2);
    // Audio sources are never asked; idle slots ask nobody.
    f->host.mono_us += 1'000'000;
    assert_int_equal(configure(f, 0, "Aavv"), 0);  // no camera of its own; two video slots
    f->host.plis.clear();
    rtcp(f, 0, 0, "pli");
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(plis(f, 3, 1), 1);
    assert_int_equal(plis(f, 1, 0) + plis(f, 3, 0), 0);
    assert_int_equal(static_cast<int>(f->host.plis.size()), 2);
    // A subscriber without subscribe: dropped and counted, nobody asked.
    f->host.mono_us += 1'000'000;
    f->host.plis.clear();
    set_permissions(f, kMed, "[\"publish_audio\"]");
    rtcp(f, 3, 5, "pli");
    rtcp(f, 3, 1, "pli");
    assert_int_equal(static_cast<int>(f->host.plis.size()), 0);
    assert_int_equal(stat_of(f, kMed, "rtcp_dropped"), 2);
    // Not while the publisher's PeerConnection is down.
    f->host.mono_us += 1'000'000;
    Participant* pat = f->core->find_raw(H(f, 1));
    pat->set_media_ready(false);
    rtcp(f, 0, 2, "pli");
    assert_int_equal(plis(f, 1, 1), 0);
    assert_int_equal(plis(f, 3, 1), 1);
    pat->set_media_ready(true);
}

static void keyframes_when_pc_comes_up_and_on_assignment(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    // The doctor's PC comes up (again): its own camera is asked for a
    // keyframe (its subscribers) and so is every camera on its slots.
    f->core->media_up(H(f, 0));
    f->core->drain();
    assert_int_equal(plis(f, 0, 1), 1);
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(plis(f, 1, 0), 0);  // not for audio
    assert_int_equal(static_cast<int>(f->host.plis.size()), 2);
    // A new subscriber's one video slot gets the first camera (the doctor's,
    // by participant id); it is asked once the subscriber's PC is up.
    f->host.plis.clear();
    join(f, 3, paramedic_token(f));
    configure(f, 3, "av");
    assert_string_equal(stream_of(f, 3, "configured", "1"), pid_source(f, kDoc, "video"));
    // Asked at once, so the keyframe can be kept for it until its PC is up
    // (keyframe_capture.hpp); none came, so it is asked again then.
    assert_int_equal(plis(f, 0, 1), 1);
    assert_int_equal(static_cast<int>(f->host.plis.size()), 1);
    f->host.plis.clear();
    f->core->media_up(H(f, 3));
    f->core->drain();
    assert_int_equal(plis(f, 0, 1), 1);
    assert_int_equal(plis(f, 1, 1), 0);  // the patient's camera has no slot there
    // With its PC up, a slot that gets a camera asks for a keyframe at once.
    f->host.plis.clear();
    configure(f, 3, "avv");
    assert_string_equal(stream_of(f, 3, "configured", "2"), pid_source(f, kPat, "video"));
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(plis(f, 0, 1), 0);  // the doctor's stays where it was
    // Not while the publisher's PC is down.
    f->core->hangup(H(f, 1));
    f->host.plis.clear();
    f->core->media_up(H(f, 3));
    f->core->drain();
    assert_int_equal(plis(f, 1, 1), 0);
    assert_int_equal(plis(f, 0, 1), 1);
}

// One VP8 packet of h's camera (mindex 1, "AVav" layout): `start` sets S=1
// PID=0 in the payload descriptor, `key` clears the P bit of the payload
// header (a key frame). Returns the number of relays, -100 if the buffer
// was not given back unchanged.
int vp8(Fixture* f, int h, bool start, bool key) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return -1;
    uint16_t& sq = g_seq[h][1];
    uint32_t& ts = g_ts[h][1];
    sq = static_cast<uint16_t>(sq + 1);
    if (start) ts += 3000;
    uint8_t buf[kMaxPacket], copy[kMaxPacket];
    const std::size_t len = make_rtp(buf, vp8_of(h), static_cast<uint16_t>(1000 + sq), 50000 + ts, ssrc_of(h, 1), false);
    buf[12] = start ? 0x10 : 0x00;
    buf[13] = key ? 0x00 : 0x01;
    std::memcpy(copy, buf, len);
    const std::size_t before = f->host.relays.size();
    f->core->on_rtp(*p, 1, true, buf, len, kExt);
    if (std::memcmp(copy, buf, len) != 0) return -100;
    return static_cast<int>(f->host.relays.size() - before);
}
// Does h's slot `mindex` hold a key frame capture (not freed yet)?
bool capture_held(Fixture* f, int h, int mindex) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return false;
    for (const SlotState& s : p->negotiated().slots)
        if (s.mindex == mindex) return s.cursor && s.cursor->capture;
    return false;
}
// Does h's current view look for captures to replay on every packet?
bool replay_pending(Fixture* f, int h) {
    Participant* p = f->core->find_raw(H(f, h));
    if (!p) return false;
    const MediaView* v = p->acquire_view(Participant::kRtcpReader);
    const bool pending = v && v->replay_pending;
    p->release_view(Participant::kRtcpReader);
    return pending;
}
bool relay_is_keyframe_start(const Relay* r) {
    return rtp::vp8_keyframe_start(r->bytes.data(), r->bytes.size());
}

// The paramedic (h3) joins the consultation and configures one slot of
// each kind, its PeerConnection not up yet: its video slot carries the
// doctor's camera.
bool paramedic_joining(Fixture* f) {
    if (join(f, 3, paramedic_token(f)) != 0) return false;
    if (std::strcmp(field(f, 3, "joined", "status"), "waiting") == 0 && moderate(f, 0, "admit", kMed) != 0)
        return false;
    if (configure(f, 3, "av") != 0) return false;
    return std::strcmp(stream_of(f, 3, "configured", "1"), pid_source(f, kDoc, "video")) == 0;
}

static void joiner_gets_the_kept_keyframe_first(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(paramedic_joining(f));
    assert_int_equal(plis(f, 0, 1), 1);  // asked at configure
    assert_true(capture_held(f, 3, 1));
    // Before the key frame: nothing kept. Key frame + 2 packets: kept for the
    // paramedic, while the patient gets them live as always.
    assert_int_equal(vp8(f, 0, true, false), 1);
    assert_int_equal(vp8(f, 0, false, false), 1);
    assert_int_equal(vp8(f, 0, true, true), 1);
    assert_int_equal(vp8(f, 0, false, false), 1);
    assert_int_equal(vp8(f, 0, true, false), 1);
    assert_int_equal(relays_to(f, 3), 0);
    assert_int_equal(relays_to(f, 1), 5);
    // Its PC comes up: a key frame is kept, so no second request.
    f->host.plis.clear();
    f->core->media_up(H(f, 3));
    f->core->drain();
    assert_int_equal(plis(f, 0, 1), 0);
    // The next packet: the 3 kept ones go first, then it, one continuous
    // stream re-typed to the paramedic's VP8; the patient gets one.
    const std::size_t before = f->host.relays.size();
    assert_int_equal(vp8(f, 0, false, false), 5);
    assert_int_equal(relays_to(f, 3), 4);
    std::vector<const Relay*> to3;
    for (std::size_t i = before; i < f->host.relays.size(); ++i)
        if (f->host.relays[i].h == H(f, 3)) to3.push_back(&f->host.relays[i]);
    assert_true(relay_is_keyframe_start(to3[0]));
    for (std::size_t i = 0; i < to3.size(); ++i) {
        assert_int_equal(to3[i]->mindex, 1);
        assert_true(to3[i]->video);
        assert_int_equal(relay_pt(to3[i]), kVp8);
        if (i > 0) assert_int_equal(relay_seq(to3[i]), (relay_seq(to3[0]) + static_cast<int>(i)) & 0xffff);
    }
    // Each kept packet goes out with a copy of its extension info (video
    // orientation...), the live one with the original.
    for (std::size_t i = 0; i < 3; ++i) {
        assert_int_equal(to3[i]->ext_value, kExtTag);
        assert_ptr_not_equal(to3[i]->ext, kExt);
    }
    assert_ptr_equal(to3[3]->ext, kExt);
    assert_int_equal(relay_ts(to3[2]) - relay_ts(to3[0]), 3000);
    assert_int_equal(relay_ts(to3[3]), relay_ts(to3[2]));
    // Then live only, continuing.
    assert_int_equal(vp8(f, 0, true, false), 2);
    assert_int_equal(relay_seq(last_relay_to(f, 3)),
                     (relay_seq(to3[0]) + 4) & 0xffff);
    assert_int_equal(stat_of(f, kDoc, "rtp_replayed"), 3);
    // Sent: the capture is freed by the next sweep, and the doctor's view
    // rebuilt without it (the media path stops looking for captures).
    assert_true(capture_held(f, 3, 1));
    assert_true(replay_pending(f, 0));
    f->core->sweep_captures();
    assert_false(capture_held(f, 3, 1));
    f->core->reclaim_views();
    assert_false(replay_pending(f, 0));
    assert_int_equal(vp8(f, 0, false, false), 2);
    assert_int_equal(stat_of(f, kDoc, "rtp_replayed"), 3);
}

static void kept_keyframe_goes_out_on_audio_never_across_a_mute(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(paramedic_joining(f));
    assert_int_equal(vp8(f, 0, true, true), 1);
    assert_int_equal(vp8(f, 0, false, false), 1);
    f->core->media_up(H(f, 3));
    f->core->drain();
    // The doctor's next packet is audio: the kept video goes out with it
    // (to the paramedic's video slot, mindex 1), not at the camera's next frame.
    const std::size_t before = f->host.relays.size();
    assert_int_equal(audio(f, 0), 4);  // audio to both, 2 kept video packets
    assert_int_equal(relays_to(f, 3), 3);
    const Relay* first = &f->host.relays[before];
    assert_ptr_equal(first->h, H(f, 3));
    assert_int_equal(first->mindex, 1);
    assert_true(relay_is_keyframe_start(first));
    assert_int_equal(stat_of(f, kDoc, "rtp_replayed"), 2);
    assert_int_equal(audio(f, 0), 2);  // once only

    // The observer (h2) joins; a key frame is kept for it, then the doctor
    // mutes the camera: nothing kept before the mute is sent, not even after
    // the unmute.
    assert_int_equal(join(f, 2, observer_token(f)), 0);
    if (std::strcmp(field(f, 2, "joined", "status"), "waiting") == 0) assert_int_equal(moderate(f, 0, "admit", kObs), 0);
    assert_int_equal(configure(f, 2, "av"), 0);
    assert_int_equal(vp8(f, 0, true, true), 2);
    assert_int_equal(mute(f, 0, "mute", nullptr, "video"), 0);
    f->core->media_up(H(f, 2));
    f->core->drain();
    assert_int_equal(audio(f, 0), 3);  // audio only: the camera is muted
    assert_int_equal(relays_to(f, 2), 1);
    assert_int_equal(mute(f, 0, "unmute", nullptr, "video"), 0);
    assert_int_equal(audio(f, 0), 3);
    assert_int_equal(relays_to(f, 2), 2);  // still nothing replayed
    assert_int_equal(vp8(f, 0, true, true), 3);  // live from now on
    assert_int_equal(relays_to(f, 2), 3);
    assert_true(relay_is_keyframe_start(last_relay_to(f, 2)));
    assert_int_equal(stat_of(f, kDoc, "rtp_replayed"), 2);
}

static void kept_keyframe_invalidated_after_pc_up_is_asked_again(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(paramedic_joining(f));
    assert_int_equal(vp8(f, 0, true, true), 1);
    f->host.plis.clear();
    f->core->media_up(H(f, 3));
    f->core->drain();
    assert_int_equal(plis(f, 0, 1), 0);  // left to the capture
    // Then the doctor's capabilities change (chat taken away; the camera is
    // still allowed): what was kept is not sent, and the keyframe that
    // media_up did not ask for is asked for now.
    assert_int_equal(set_permissions(f, kDoc, "[\"publish_audio\",\"publish_video\",\"subscribe\",\"moderate\"]"), 0);
    assert_int_equal(audio(f, 0), 2);  // audio to the patient and the paramedic, nothing kept
    assert_int_equal(plis(f, 0, 1), 1);
    assert_int_equal(stat_of(f, kDoc, "rtp_replayed"), 0);
    assert_int_equal(vp8(f, 0, true, true), 2);  // live
}

// The subscriber's PeerConnection comes up (media_up on another thread)
// while the publisher's media thread is between the replay check and the
// forwarding loop of one packet: that packet must not reach the slot before
// the kept key frame. Before the fix it went out live first, its number
// became the rewriter's floor, every kept packet (older) was then dropped,
// and the replay still counted them all, so no keyframe request was sent
// either: the joiner waited for the publisher's next key frame.
static void kept_keyframe_survives_media_up_during_a_packet(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(paramedic_joining(f));
    assert_int_equal(vp8(f, 0, true, true), 1);
    assert_int_equal(vp8(f, 0, false, false), 1);
    f->host.plis.clear();
    // The first clock read of the next packet comes after its replay check.
    f->host.on_monotonic = [f] { f->core->media_up(H(f, 3)); };
    const std::size_t before = f->host.relays.size();
    assert_int_equal(vp8(f, 0, false, false), 4);  // patient 1, paramedic 2 kept + 1 live
    assert_false(static_cast<bool>(f->host.on_monotonic));  // the hook ran
    std::vector<const Relay*> to3;
    for (std::size_t i = before; i < f->host.relays.size(); ++i)
        if (f->host.relays[i].h == H(f, 3)) to3.push_back(&f->host.relays[i]);
    assert_int_equal(to3.size(), 3);
    assert_true(relay_is_keyframe_start(to3[0]));
    assert_int_equal(relay_seq(to3[1]), (relay_seq(to3[0]) + 1) & 0xffff);
    assert_int_equal(relay_seq(to3[2]), (relay_seq(to3[0]) + 2) & 0xffff);
    assert_ptr_equal(to3[2]->ext, kExt);  // the live one last
    assert_int_equal(stat_of(f, kDoc, "rtp_replayed"), 2);
    f->core->drain();
    assert_int_equal(plis(f, 0, 1), 0);  // the kept key frame went out: none needed
    // Then live only.
    assert_int_equal(vp8(f, 0, false, false), 2);
    assert_int_equal(relay_seq(last_relay_to(f, 3)), (relay_seq(to3[0]) + 3) & 0xffff);
    assert_int_equal(stat_of(f, kDoc, "rtp_replayed"), 2);
}

static void kept_keyframe_overflow_and_expiry(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(paramedic_joining(f));
    // A key frame and more packets than a capture holds: dropped.
    assert_int_equal(vp8(f, 0, true, true), 1);
    for (std::size_t i = 0; i < KeyframeCapture::kMaxPackets; ++i) assert_int_equal(vp8(f, 0, false, false), 1);
    f->host.plis.clear();
    f->core->media_up(H(f, 3));
    f->core->drain();
    assert_int_equal(plis(f, 0, 1), 1);  // nothing kept: asked now
    assert_int_equal(vp8(f, 0, false, false), 2);
    assert_int_equal(relays_to(f, 3), 1);  // live only
    assert_int_equal(stat_of(f, kDoc, "rtp_replayed"), 0);
    f->core->sweep_captures();
    assert_false(capture_held(f, 3, 1));

    // The observer (h2) joins with a slot and its PC never comes up: the
    // capture is given back after kCaptureMaxAgeUs.
    assert_int_equal(join(f, 2, observer_token(f)), 0);
    if (std::strcmp(field(f, 2, "joined", "status"), "waiting") == 0) assert_int_equal(moderate(f, 0, "admit", kObs), 0);
    assert_int_equal(configure(f, 2, "av"), 0);
    assert_int_equal(vp8(f, 0, true, true), 2);
    assert_true(capture_held(f, 2, 1));
    f->host.mono_us += kCaptureMaxAgeUs - 1;
    f->core->sweep_captures();
    assert_true(capture_held(f, 2, 1));
    f->host.mono_us += 2;
    f->core->sweep_captures();
    assert_false(capture_held(f, 2, 1));
    f->host.plis.clear();
    f->core->media_up(H(f, 2));
    f->core->drain();
    assert_int_equal(plis(f, 0, 1), 1);
    assert_int_equal(vp8(f, 0, false, false), 3);
    assert_int_equal(relays_to(f, 2), 1);  // nothing replayed
}

static void slots_pair_one_participants_audio_and_video(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    // The doctor publishes its microphone only; the patient both.
    assert_int_equal(configure(f, 0, "Aav"), 0);
    assert_int_equal(configure(f, 1, "AVav"), 0);
    // The paramedic's two slot pairs (mids 2+3 and 4+5, one msid stream
    // each): the doctor's audio on the first, the patient's audio and video
    // together on the second, not the video on the first free video slot.
    assert_true(enter(f, 3, paramedic_token(f), kMed, "AVavav"));
    assert_string_equal(stream_of(f, 3, "configured", "2"), pid_source(f, kDoc, "audio"));
    assert_string_equal(stream_of(f, 3, "configured", "4"), pid_source(f, kPat, "audio"));
    assert_string_equal(stream_of(f, 3, "configured", "5"), pid_source(f, kPat, "video"));
    assert_string_equal(stream_of(f, 3, "configured", "3"), "(idle)");
}

// ---------------------------------------------------------------- continuity across gaps

// What a receiver's slot `mindex` on h got, in order: the smallest and the
// largest step between consecutive sequence numbers (mod 2^16), the
// smallest timestamp step (signed) and the number of packets.
struct SlotSteps {
    int min_seq = 0, max_seq = 0, count = 0;
    long long min_ts = 0;
};
SlotSteps slot_steps(Fixture* f, int h, int mindex) {
    SlotSteps s;
    const Relay* prev = nullptr;
    for (const Relay& r : f->host.relays) {
        if (r.h != H(f, h) || r.mindex != mindex) continue;
        ++s.count;
        if (prev) {
            const int step = (relay_seq(&r) - relay_seq(prev)) & 0xffff;
            const auto ts_step = static_cast<long long>(static_cast<int32_t>(
                static_cast<uint32_t>(relay_ts(&r)) - static_cast<uint32_t>(relay_ts(prev))));
            if (s.count == 2 || step < s.min_seq) s.min_seq = step;
            if (s.count == 2 || step > s.max_seq) s.max_seq = step;
            if (s.count == 2 || ts_step < s.min_ts) s.min_ts = ts_step;
        }
        prev = &r;
    }
    return s;
}
// The timestamp step into the last packet relayed to h's slot `mindex`.
long long last_ts_step(Fixture* f, int h, int mindex) {
    const Relay* last = nullptr;
    const Relay* before = nullptr;
    for (const Relay& r : f->host.relays) {
        if (r.h != H(f, h) || r.mindex != mindex) continue;
        before = last;
        last = &r;
    }
    if (!last || !before) return -1;
    return static_cast<int32_t>(static_cast<uint32_t>(relay_ts(last)) - static_cast<uint32_t>(relay_ts(before)));
}
// n packets of h's microphone (20 ms apart) or camera (30 fps), the clock
// moved on before each; returns the relays they caused.
int audio_for(Fixture* f, int h, int n) {
    int relayed = 0;
    for (int i = 0; i < n; ++i) {
        f->host.mono_us += 20'000;
        relayed += audio(f, h);
    }
    return relayed;
}
int video_for(Fixture* f, int h, int n) {
    int relayed = 0;
    for (int i = 0; i < n; ++i) {
        f->host.mono_us += 33'333;
        relayed += video(f, h);
    }
    return relayed;
}

// Issue 11 item 10: packets the plugin holds back (force-mute, self-mute,
// a revoked publish_audio / publish_video) are no loss for the receivers:
// when they flow again, each one forwarded is the previous + 1, and the
// timestamps advance by the time that passed (the publisher's clock ran on).
// Before the fix the sequence jumped by the number of packets dropped
// (176 after 3.5 s of muted audio, 91 after 3 s of revoked video).
static void gaps_the_plugin_makes_keep_the_sequence(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    // The patient's microphone reaches the doctor's audio slot (mindex 2),
    // its camera the video slot (mindex 3).
    assert_int_equal(audio_for(f, 1, 5), 5);
    // Force-mute for 3.5 s: 175 packets dropped, then unmuted.
    assert_int_equal(mute(f, 0, "mute", kPat, "audio"), 0);
    assert_int_equal(audio_for(f, 1, 175), 0);
    assert_int_equal(mute(f, 0, "unmute", kPat, "audio"), 0);
    assert_int_equal(audio_for(f, 1, 5), 5);
    SlotSteps a = slot_steps(f, 0, 2);
    assert_int_equal(a.count, 10);
    assert_int_equal(a.max_seq, 1);  // was 176
    assert_int_equal(a.min_seq, 1);
    assert_int_equal(last_ts_step(f, 0, 2), 960);
    assert_true(a.min_ts > 0);  // monotonic
    // The step across the mute: 176 packets of 20 ms = 3.52 s at 48 kHz.
    {
        int k = 0;
        long long across = -1;
        const Relay* prev = nullptr;
        for (const Relay& r : f->host.relays) {
            if (r.h != H(f, 0) || r.mindex != 2) continue;
            if (++k == 6) across = static_cast<int32_t>(static_cast<uint32_t>(relay_ts(&r)) -
                                                        static_cast<uint32_t>(relay_ts(prev)));
            prev = &r;
        }
        assert_int_equal(across, 176 * 960);
    }
    // Self-mute of the microphone, and publish_audio revoked and granted
    // again: the same.
    assert_int_equal(mute(f, 1, "mute", nullptr, "audio"), 0);
    assert_int_equal(audio_for(f, 1, 50), 0);
    assert_int_equal(mute(f, 1, "unmute", nullptr, "audio"), 0);
    assert_int_equal(audio_for(f, 1, 3), 3);
    assert_int_equal(set_permissions(f, kPat, "[\"publish_video\",\"subscribe\",\"chat\"]"), 0);
    assert_int_equal(audio_for(f, 1, 40), 0);
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\",\"publish_video\",\"subscribe\",\"chat\"]"), 0);
    assert_int_equal(audio_for(f, 1, 3), 3);
    a = slot_steps(f, 0, 2);
    assert_int_equal(a.count, 16);
    assert_int_equal(a.max_seq, 1);
    assert_int_equal(a.min_seq, 1);
    assert_int_equal(last_ts_step(f, 0, 2), 960);
    assert_true(a.min_ts > 0);

    // Video: 3 s of publish_video revoked (90 frames dropped), then granted
    // again: a keyframe is asked of the patient's camera at once, and the
    // doctor's video slot continues at last + 1.
    assert_int_equal(video_for(f, 1, 5), 5);
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\",\"subscribe\",\"chat\"]"), 0);
    assert_int_equal(video_for(f, 1, 90), 0);
    f->core->drain();
    f->host.plis.clear();
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\",\"publish_video\",\"subscribe\",\"chat\"]"), 0);
    f->core->drain();
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(video_for(f, 1, 1), 1);
    assert_int_equal(last_ts_step(f, 0, 3), 91 * 3000);
    assert_int_equal(video_for(f, 1, 4), 4);
    // Camera force-muted for a second and unmuted: the same, keyframe too.
    assert_int_equal(mute(f, 0, "mute", kPat, "video"), 0);
    assert_int_equal(video_for(f, 1, 30), 0);
    f->core->drain();
    f->host.plis.clear();
    assert_int_equal(mute(f, 0, "unmute", kPat, "video"), 0);
    f->core->drain();
    assert_int_equal(plis(f, 1, 1), 1);
    assert_int_equal(video_for(f, 1, 3), 3);
    SlotSteps v = slot_steps(f, 0, 3);
    assert_int_equal(v.count, 13);
    assert_int_equal(v.max_seq, 1);  // was 91
    assert_int_equal(v.min_seq, 1);
    assert_true(v.min_ts > 0);
    assert_int_equal(last_ts_step(f, 0, 3), 3000);
}

// After a video gap of the gate, the control plane asks for a keyframe at
// once; if the publisher ignores it (browsers ignore a request within
// 300 ms of another), the media path asks again every 400 ms of delta
// frames until a keyframe passes, and then no more.
static void regranted_video_asks_again_until_a_keyframe(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\",\"subscribe\",\"chat\"]"), 0);
    assert_int_equal(vp8(f, 1, true, false), 0);
    f->core->drain();
    f->host.plis.clear();
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\",\"publish_video\",\"subscribe\",\"chat\"]"), 0);
    f->core->drain();
    assert_int_equal(plis(f, 1, 1), 1);  // at once
    // Delta frames only, 33 ms apart: asked again once 400 ms have passed.
    int frames = 0;
    while (plis(f, 1, 1) == 1 && frames < 30) {
        f->host.mono_us += 33'333;
        assert_int_equal(vp8(f, 1, true, false), 1);
        ++frames;
    }
    assert_int_equal(plis(f, 1, 1), 2);
    assert_true(frames >= 12 && frames <= 14);  // 400 ms after the first resumed packet
    // A keyframe passes: nothing more is asked, however long the deltas go on.
    f->host.mono_us += 33'333;
    assert_int_equal(vp8(f, 1, true, true), 1);
    for (int i = 0; i < 60; ++i) {
        f->host.mono_us += 33'333;
        assert_int_equal(vp8(f, 1, true, false), 1);
    }
    assert_int_equal(plis(f, 1, 1), 2);
    // A keyframe right away after a mute: no second request.
    assert_int_equal(mute(f, 0, "mute", kPat, "video"), 0);
    assert_int_equal(vp8(f, 1, true, false), 0);
    assert_int_equal(mute(f, 0, "unmute", kPat, "video"), 0);
    f->core->drain();
    f->host.plis.clear();
    assert_int_equal(vp8(f, 1, true, true), 1);
    for (int i = 0; i < 30; ++i) {
        f->host.mono_us += 33'333;
        assert_int_equal(vp8(f, 1, true, false), 1);
    }
    assert_int_equal(plis(f, 1, 1), 0);
}

// The receiving side of a gap: a subscriber that loses `subscribe` and gets
// it back has its slot re-assigned; the slot continues at last + 1 and its
// timestamps advance by the wall time that passed (Janus's sender reports
// extrapolate the last timestamp with the wall clock), not by one frame.
// A packet from before a gap that comes late (reordered, or retransmitted
// to Janus) would land on a number the receiver already had: dropped.
static void regranted_subscribe_and_late_packets(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_int_equal(video_for(f, 1, 3), 3);
    assert_int_equal(set_permissions(f, kDoc, "[\"publish_audio\",\"publish_video\",\"moderate\"]"), 0);
    assert_int_equal(video_for(f, 1, 60), 0);  // 2 s
    f->host.plis.clear();
    assert_int_equal(set_permissions(f, kDoc, "[\"publish_audio\",\"publish_video\",\"moderate\",\"subscribe\"]"), 0);
    f->core->drain();
    assert_int_equal(plis(f, 1, 1), 1);  // the re-assigned slot asks for a keyframe
    assert_int_equal(video_for(f, 1, 2), 2);
    SlotSteps v = slot_steps(f, 0, 3);
    assert_int_equal(v.max_seq, 1);
    assert_int_equal(v.min_seq, 1);
    // 61 frames of 33.333 ms on the 90 kHz clock (was one frame, 3000).
    {
        int k = 0;
        long long across = -1;
        const Relay* prev = nullptr;
        for (const Relay& r : f->host.relays) {
            if (r.h != H(f, 0) || r.mindex != 3) continue;
            if (++k == 4) across = static_cast<int32_t>(static_cast<uint32_t>(relay_ts(&r)) -
                                                        static_cast<uint32_t>(relay_ts(prev)));
            prev = &r;
        }
        assert_true(across >= 61 * 3000 - 10 && across <= 61 * 3000);
    }
    // A late audio packet from before a mute, after the unmute: dropped.
    assert_int_equal(audio_for(f, 1, 2), 2);
    const uint16_t before_mute = static_cast<uint16_t>(1000 + g_seq[1][0]);
    const uint32_t ts_before = 50000 + g_ts[1][0];
    assert_int_equal(mute(f, 0, "mute", kPat, "audio"), 0);
    assert_int_equal(audio_for(f, 1, 10), 0);
    assert_int_equal(mute(f, 0, "unmute", kPat, "audio"), 0);
    assert_int_equal(audio_for(f, 1, 2), 2);
    assert_int_equal(rtp_raw(f, 1, 0, false, kOpus, static_cast<uint16_t>(before_mute - 1), ts_before - 960,
                             ssrc_of(1, 0)),
                     0);
    assert_int_equal(audio_for(f, 1, 1), 1);
    SlotSteps a = slot_steps(f, 0, 2);
    assert_int_equal(a.count, 5);
    assert_int_equal(a.max_seq, 1);
    assert_int_equal(a.min_seq, 1);
    // A loss upstream of the plugin is no gap of its making: it stays a gap
    // (the receivers NACK it).
    g_seq[1][0] = static_cast<uint16_t>(g_seq[1][0] + 2);
    assert_int_equal(audio_for(f, 1, 1), 1);
    assert_int_equal(slot_steps(f, 0, 2).max_seq, 3);
}

// ---------------------------------------------------------------- worker

// The worker thread sleeps while nothing is queued, yet frees what waits for
// it without a further task: key frames kept past their age, and a view
// retired on another thread once its reader lets go. Then it sleeps again.
static bool released_within(Fixture* f, int h, std::chrono::milliseconds limit) {
    std::unique_lock lk(f->host.mu);
    return f->host.cv.wait_for(lk, limit, [&] {
        for (HostHandle x : f->host.released)
            if (x == H(f, h)) return true;
        return false;
    });
}
static bool idle_within(Fixture* f, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    uint64_t seen = f->core->worker_wakeups();
    while (std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        const uint64_t now = f->core->worker_wakeups();
        if (now == seen) return true;  // no wake-up for 600 ms (it would look every 250 ms)
        seen = now;
    }
    return false;
}

static void idle_worker_sleeps_and_frees_without_a_task(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(paramedic_joining(f));
    assert_true(capture_held(f, 3, 1));  // waits for a key frame
    f->core->media_up(H(f, 3));           // (so that later slot changes keep none)
    f->core->drain();
    assert_true(capture_held(f, 3, 1));
    f->host.mono_us += kCaptureMaxAgeUs + 1;  // before the worker reads the clock
    start_worker(f);
    assert_true(idle_within(f, std::chrono::seconds(5)));
    assert_false(capture_held(f, 3, 1));  // expired and freed, no task needed
    // The patient's media thread holds its view; the doctor detaches (Janus
    // calls destroy_session on the doctor's own loop thread, not the worker).
    Participant* pat = f->core->find_raw(H(f, 1));
    pat->acquire_view(Participant::kRtpReader);
    assert_true(f->core->detach(H(f, 0)));
    assert_false(released_within(f, 0, std::chrono::milliseconds(300)));  // the held view names the doctor
    pat->release_view(Participant::kRtpReader);
    assert_true(released_within(f, 0, std::chrono::seconds(5)));
    assert_true(idle_within(f, std::chrono::seconds(5)));
    // Detached with nobody reading: freed.
    assert_true(f->core->detach(H(f, 3)));
    assert_true(released_within(f, 3, std::chrono::seconds(5)));
    assert_true(idle_within(f, std::chrono::seconds(5)));
    // A change that queues no task at all: an observer still in the lobby
    // hangs up (nobody is told). The views it replaces are retired, and the
    // retire alone wakes the worker to free them.
    assert_int_equal(join(f, 2, observer_token(f)), 0);
    assert_string_equal(field(f, 2, "joined", "status"), "waiting");
    assert_int_equal(configure(f, 2, "av"), 0);
    assert_true(idle_within(f, std::chrono::seconds(5)));
    const uint64_t before = f->core->worker_wakeups();
    f->core->hangup(H(f, 2));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    assert_true(f->core->worker_wakeups() > before);
    assert_true(idle_within(f, std::chrono::seconds(5)));
    stop_worker(f);
    assert_int_equal(f->core->reclaim_views(), 0);
}

// ---------------------------------------------------------------- streams

static void streams_map_slots_and_follow_changes(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    // The doctor renegotiates with two slots of each kind: the patient's
    // sources keep their mids.
    assert_int_equal(configure(f, 0, "AVavav"), 0);
    assert_string_equal(field_json(f, 0, "configured", "slots"), "{\"audio\":2,\"video\":2}");
    assert_string_equal(stream_of(f, 0, "configured", "2"), pid_source(f, kPat, "audio"));
    assert_string_equal(stream_of(f, 0, "configured", "3"), pid_source(f, kPat, "video"));
    assert_string_equal(stream_of(f, 0, "configured", "4"), "(idle)");
    assert_int_equal(count(f, 0, "streams"), 0);  // its own renegotiation is answered in configured
    // A paramedic publishes camera and screen.
    join(f, 3, paramedic_token(f));
    assert_int_equal(configure(f, 3, "AVVa", "[{\"mid\":\"2\",\"source\":\"screen\"}]"), 0);
    assert_string_equal(field_json(f, 3, "configured", "publishing"),
                        "[{\"mid\":\"0\",\"source\":\"audio\"},{\"mid\":\"1\",\"source\":\"video\"},"
                        "{\"mid\":\"2\",\"source\":\"screen\"}]");
    // Its one audio slot has the first remote microphone; the others wait.
    assert_int_equal(count_in(f, 3, "configured", "unassigned", "audio"), 1);
    assert_int_equal(count_in(f, 3, "configured", "unassigned", "video"), 2);
    // The doctor: mic on slot 4, camera and screen on slot 5 and ... one of them unassigned.
    assert_string_equal(stream_of(f, 0, "streams", "4"), pid_source(f, kMed, "audio"));
    assert_string_equal(stream_of(f, 0, "streams", "5"), pid_source(f, kMed, "video"));
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "video"), 1);
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "audio"), 0);
    // The patient leaves: its slots go to the waiting screen share.
    assert_int_equal(leave(f, 1), 0);
    assert_string_equal(stream_of(f, 0, "streams", "2"), "(idle)");
    assert_string_equal(stream_of(f, 0, "streams", "3"), pid_source(f, kMed, "screen"));
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "video"), 0);
    // The screen is forwarded to the doctor's mindex 3.
    f->host.relays.clear();
    assert_int_equal(rtp_raw(f, 3, 2, true, kVp8, 1, 1, 0x5c5c5c5c), 1);
    assert_ptr_equal(relay(f, 0)->h, H(f, 0));
    assert_int_equal(relay(f, 0)->mindex, 3);
    // A rejoin within the grace re-publishes after configure: slots follow.
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_string_equal(field(f, 1, "joined", "status"), "admitted");
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "video"), 0);
    assert_int_equal(configure(f, 1, "AVav"), 0);
    assert_string_equal(stream_of(f, 0, "streams", "2"), pid_source(f, kPat, "audio"));
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "video"), 1);  // the patient's camera
}

// regression: a remote source that starts publishing when the subscriber has
// no free slot changes nothing in its assignment, so no `streams` event is
// pushed and the subscriber never learns "unassigned" went up (contract:
// streams is pushed whenever it changes, e.g. someone started publishing; the
// client adds transceivers from "unassigned").
static void streams_event_when_only_unassigned_changes(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));  // the doctor's two slots carry the patient
    const int before = count(f, 0, "streams");
    assert_true(enter(f, 3, paramedic_token(f), kMed, "AVav"));
    assert_int_equal(count_in(f, 3, "configured", "unassigned", "audio"), 1);  // its own view is right
    assert_true(count(f, 0, "streams") > before);
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "audio"), 1);
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "video"), 1);
}

// regression (same cause): a remote source that was unassigned for a
// subscriber goes away; its assignment does not change, so no `streams`
// event tells it "unassigned" went back down.
static void streams_event_when_unassigned_source_leaves(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    assert_true(enter(f, 3, paramedic_token(f), kMed, "AVav"));  // its sources find no slot at the doctor
    const int before = count(f, 0, "streams");
    assert_int_equal(leave(f, 3), 0);
    assert_true(count(f, 0, "streams") > before);
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "audio"), 0);
    assert_int_equal(count_in(f, 0, "streams", "unassigned", "video"), 0);
}

// ---------------------------------------------------------------- bad input

// regression (contract): "4051 the offer could not be answered (no usable
// codec at all ...)". An offer with neither opus nor VP8 anywhere is answered
// `configured` with every m-line rejected / inactive, and its codec-less
// sending m-lines are counted as refused for permissions (sdp_refused).
static void offer_without_any_usable_codec_is_4051(void** state) {
    Fixture* f = F(state);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    assert_int_equal(configure(f, 0, "PHh"), 4051);
    assert_int_equal(answers_to(f, 0), 0);
    assert_int_equal(stat_of(f, kDoc, "sdp_refused"), 0);
}

// Janus builds its half of a PeerConnection from every offer before the
// plugin sees the request. An offer refused on a handle with no negotiated
// PeerConnection has that half closed (Janus then sends `hangup`, and the
// client's next offer is not refused with 490); a refused renegotiation
// leaves the working PeerConnection alone. Before the fix no close came,
// and Janus refused the next offer ("Agent already exists").
static void refused_first_offer_closes_the_half_made_pc(void** state) {
    Fixture* f = F(state);
    assert_int_equal(configure(f, 1, "AVav"), 4031);  // not joined
    assert_int_equal(closes(f, 1), 1);
    const char* txn = next_txn(f);
    send_jsep(f, 1, "{\"request\":\"leave\"}", txn, "{\"type\":\"offer\",\"sdp\":\"v=0\"}");
    assert_int_equal(reply(f, 1, txn), 4003);  // a jsep on another request
    assert_int_equal(closes(f, 1), 2);
    txn = next_txn(f);
    send_jsep(f, 1, "{\"request\":\"configure\"}", txn, nullptr);  // no jsep: Janus made nothing
    assert_int_equal(reply(f, 1, txn), 4031);
    assert_int_equal(closes(f, 1), 2);
    assert_int_equal(create_room(f, kRoom), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(configure_with(f, 0, "{\"request\":\"configure\"}", "offer", "v=0\r\ns=-\r\n"), 4050);
    assert_int_equal(closes(f, 0), 1);
    // Then a good offer; a bad renegotiation after it closes nothing.
    assert_int_equal(configure(f, 0, "AVav"), 0);
    f->core->media_up(H(f, 0));
    assert_int_equal(configure_with(f, 0, "{\"request\":\"configure\"}", "offer", "v=0\r\ns=-\r\n"), 4050);
    assert_int_equal(configure(f, 0, "AVav", "[{\"mid\":\"0\",\"source\":\"hologram\"}]"), 4003);
    assert_int_equal(closes(f, 0), 1);
}

static void bad_offers_are_refused_and_change_nothing(void** state) {
    Fixture* f = F(state);
    assert_int_equal(configure(f, 1, "AVav"), 4031);  // not joined
    assert_true(consult(f));
    const int answers = f->host.answers;
    assert_int_equal(video(f, 1), 1);
    const int seq = relay_seq(relay(f, -1));

    const char* txn = next_txn(f);
    send_jsep(f, 1, "{\"request\":\"configure\"}", txn, nullptr);
    assert_int_equal(reply(f, 1, txn), 4050);  // no jsep
    assert_int_equal(configure_with(f, 1, "{\"request\":\"configure\"}", "answer",
                                    offer(f, "AVav")),
                     4050);
    assert_int_equal(configure_with(f, 1, "{\"request\":\"configure\"}", "offer", "hello world"), 4050);
    assert_int_equal(configure_with(f, 1, "{\"request\":\"configure\"}", "offer", ""), 4050);
    assert_int_equal(configure_with(f, 1, "{\"request\":\"configure\"}", "offer", "v=0\r\ns=-\r\n"), 4050);
    assert_int_equal(configure_with(f, 1, "{\"request\":\"configure\"}", "offer", oversized_offer(f)), 4050);
    // One header extension id for two extensions in the bundle (RFC 8843 9.2).
    std::string clash = offer_text("AV", kOpus, kVp8);
    clash.insert(clash.find("a=mid:0\r\n") + 9, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n");
    clash.insert(clash.find("a=mid:1\r\n") + 9, "a=extmap:4 urn:3gpp:video-orientation\r\n");
    assert_int_equal(configure_with(f, 1, "{\"request\":\"configure\"}", "offer", keep(f, clash)), 4050);
    bool said_why = false;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Push && c.h == H(f, 1) && c.has_txn && c.txn == last_txn(f))
            said_why = c.json.find("one RTP header extension id used for two extensions") != std::string::npos;
    assert_true(said_why);
    txn = next_txn(f);
    send_jsep(f, 1, "{\"request\":\"configure\"}", txn, "{\"type\":\"offer\",\"sdp\":42}");
    assert_int_equal(reply(f, 1, txn), 4050);
    txn = next_txn(f);
    send_jsep(f, 1, "{\"request\":\"configure\"}", txn, "\"offer\"");
    assert_int_equal(reply(f, 1, txn), 4050);
    // Bad request bodies.
    assert_int_equal(configure_with(f, 1, "{\"request\":\"configure\",\"video\":true}", "offer",
                                    offer(f, "AVav")),
                     4003);
    assert_int_equal(configure(f, 1, "AVav", "[{\"mid\":\"0\",\"source\":\"hologram\"}]"), 4003);
    assert_int_equal(configure(f, 1, "AVav", "[{\"mid\":\"0\",\"source\":\"audio\"},{\"mid\":\"0\",\"source\":\"video\"}]"),
                     4003);
    // The host cannot answer, or answers beyond the plan: 4051.
    f->host.answer_mode = FakeHost::Answer::Fail;
    assert_int_equal(configure(f, 1, "AVav"), 4051);
    f->host.answer_mode = FakeHost::Answer::Violate;
    assert_int_equal(configure(f, 1, "AVav"), 4051);
    f->host.answer_mode = FakeHost::Answer::Normal;
    // Nothing changed: no answer went out, no streams event, same forwarding.
    assert_int_equal(f->host.answers, answers + 2);
    assert_int_equal(answers_to(f, 1), 0);
    assert_int_equal(count(f, 1, "configured"), 0);
    assert_int_equal(count(f, 0, "streams"), 0);
    assert_int_equal(targets(f, 1, 1), 1);
    assert_int_equal(video(f, 1), 1);
    assert_ptr_equal(relay(f, -1)->h, H(f, 0));
    assert_int_equal(relay(f, -1)->mindex, 3);
    assert_int_equal(relay_seq(relay(f, -1)), (seq + 1) & 0xffff);
    // A good renegotiation keeps the slot and its sequence.
    assert_int_equal(configure(f, 0, "AVav"), 0);
    assert_int_equal(configure(f, 1, "AVav"), 0);
    assert_int_equal(count(f, 0, "streams"), 0);
    assert_int_equal(video(f, 1), 1);
    assert_int_equal(relay_seq(relay(f, -1)), (seq + 2) & 0xffff);
}

static void moderation_errors_leave_media_alone(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    join(f, 2, observer_token(f));  // waits
    assert_int_equal(mute(f, 0, "mute", kPat, "microphone"), 4003);
    assert_int_equal(moderate(f, 0, "admit", kPat), 4041);  // admitted, not waiting
    assert_int_equal(moderate(f, 0, "admit", kMed), 4041);  // unknown
    assert_int_equal(moderate(f, 2, "admit", kObs), 4032);  // caller waits
    assert_int_equal(moderate(f, 2, "kick", kPat), 4032);
    assert_int_equal(moderate(f, 0, "kick", kDoc), 4046);  // self
    assert_int_equal(moderate(f, 1, "kick", kDoc), 4043);
    assert_int_equal(mute(f, 0, "mute", kObs, "audio"), 4041);  // waiting target
    assert_int_equal(audio(f, 1), 1);
    assert_int_equal(video(f, 1), 1);
    assert_int_equal(audio(f, 0), 1);
    assert_int_equal(video(f, 0), 1);
    assert_int_equal(caps(f, 2), 0);
}

// ---------------------------------------------------------------- concurrency

// One media thread forwards the patient's packets and the doctor's PLIs while
// the control plane lets a third participant in and out, rebuilding every
// view each time. Run under ASan this catches a view freed while read.
struct Stress {
    PluginCore* core;
    Participant* pat;
    Participant* doc;
    std::atomic<bool> stop{false};
    std::atomic<long> packets{0};
};

void media_thread(Stress* s) {
    uint16_t sq = 0;
    uint32_t ts = 0;
    uint8_t buf[kMaxPacket];
    uint8_t pli[12] = {0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
    while (!s->stop.load()) {
        ++sq;
        ts += 3000;
        const std::size_t len = make_rtp(buf, kVp8, sq, ts, 0x77777777, false);
        s->core->on_rtp(*s->pat, 1, true, buf, len, nullptr);
        s->core->on_rtcp(*s->doc, 3, true, pli, sizeof pli);
        s->packets.fetch_add(1);
    }
}

bool run_stress(Fixture* f, int rounds) {
    auto* s = new Stress;
    s->core = f->core.get();
    s->pat = f->core->find_raw(H(f, 1));
    s->doc = f->core->find_raw(H(f, 0));
    std::thread t(media_thread, s);
    const char* tok = paramedic_token(f);
    bool ok = true;
    for (int i = 0; i < rounds && ok; ++i) {
        ok = join(f, 3, tok) == 0 && configure(f, 3, i % 2 ? "AVav" : "Vvv") == 0;
        f->core->media_up(H(f, 3));
        if (i % 3 == 0) mute(f, 0, i % 2 ? "mute" : "unmute", kPat, "video");
        if (i % 5 == 0) {
            // The doctor's PeerConnection drops and comes back (setup_media again).
            f->core->hangup(H(f, 0));
            ok = ok && configure(f, 0, "AVav") == 0;
            f->core->media_up(H(f, 0));
        }
        ok = ok && leave(f, 3) == 0;
        f->core->reclaim_views();
    }
    s->stop.store(true);
    t.join();
    ok = ok && s->packets.load() > 0;
    delete s;
    f->core->reclaim_views();
    return ok;
}

static void media_thread_races_control_plane(void** state) {
    Fixture* f = F(state);
    assert_true(consult(f));
    f->host.record_relays.store(false);
    const long before = f->host.relay_total.load();
    assert_true(run_stress(f, 200));
    assert_true(f->host.relay_total.load() > before);
    assert_int_equal(f->core->reclaim_views(), 0);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(configure_answers_by_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(observer_is_answered_inactive_and_gated, setup, teardown),
        cmocka_unit_test_setup_teardown(sendrecv_mlines_publish_and_receive, setup, teardown),
        cmocka_unit_test_setup_teardown(patient_video_reaches_doctor_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_or_misplaced_rtp_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(waiting_participant_is_gated_until_admitted, setup, teardown),
        cmocka_unit_test_setup_teardown(deny_clears_the_waiting_view, setup, teardown),
        cmocka_unit_test_setup_teardown(forced_mute_and_self_mute_in_the_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(set_permissions_changes_the_gate_without_renegotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(views_are_swapped_and_reclaimed_after_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(kick_leave_and_hangup_remove_targets_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(no_participant_leaks_through_views, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_worker_sleeps_and_frees_without_a_task, setup, teardown),
        cmocka_unit_test_setup_teardown(subscriber_pli_reaches_publishers_rate_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(keyframes_when_pc_comes_up_and_on_assignment, setup, teardown),
        cmocka_unit_test_setup_teardown(joiner_gets_the_kept_keyframe_first, setup, teardown),
        cmocka_unit_test_setup_teardown(kept_keyframe_goes_out_on_audio_never_across_a_mute, setup, teardown),
        cmocka_unit_test_setup_teardown(kept_keyframe_invalidated_after_pc_up_is_asked_again, setup, teardown),
        cmocka_unit_test_setup_teardown(kept_keyframe_survives_media_up_during_a_packet, setup, teardown),
        cmocka_unit_test_setup_teardown(kept_keyframe_overflow_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(slots_pair_one_participants_audio_and_video, setup, teardown),
        cmocka_unit_test_setup_teardown(gaps_the_plugin_makes_keep_the_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(regranted_subscribe_and_late_packets, setup, teardown),
        cmocka_unit_test_setup_teardown(regranted_video_asks_again_until_a_keyframe, setup, teardown),
        cmocka_unit_test_setup_teardown(streams_map_slots_and_follow_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(streams_event_when_only_unassigned_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(streams_event_when_unassigned_source_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(offer_without_any_usable_codec_is_4051, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_first_offer_closes_the_half_made_pc, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_offers_are_refused_and_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(moderation_errors_leave_media_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(media_thread_races_control_plane, setup, teardown),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
