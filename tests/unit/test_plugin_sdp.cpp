// plugin/sdp: parsing offers/answers, the answer plan per permission set,
// and the check that an answer stays within its plan.
//
// The offer under test is what Chromium (unified plan) writes for the SDK's
// transceivers: microphone, camera and screen sendonly, two recvonly audio
// and two recvonly video slots, and a data channel. Test bodies hold plain
// values only (a failing CMocka assertion longjmps past C++ destructors):
// the helpers below do the C++ work and return strings / ints / bools.
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/permissions.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/sdp.hpp"

#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;
using namespace telemed::plugin;
using namespace telemed::plugin::sdp;

#define assert_str_eq(a, b) assert_string_equal(std::string(a).c_str(), std::string(b).c_str())

// ------------------------------------------------------------ the offer
// Chromium 120, unified plan, bundle-policy max-bundle, rtcp-mux.
#define SESSION                                                             \
    "v=0\r\n"                                                               \
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"                        \
    "s=-\r\n"                                                               \
    "t=0 0\r\n"                                                             \
    "a=group:BUNDLE 0 1 2 3 4 5 6 7\r\n"                                    \
    "a=extmap-allow-mixed\r\n"                                              \
    "a=msid-semantic: WMS 3f1e8a52-6a8c-4c4e-9d5b-2b8f0c7d9e11\r\n"
#define TRANSPORT                                                                                  \
    "c=IN IP4 0.0.0.0\r\n"                                                                         \
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"                                                                  \
    "a=ice-ufrag:Hk3N\r\n"                                                                         \
    "a=ice-pwd:Yt0vY7y5GNGwZkUgqNf5mrbQ\r\n"                                                       \
    "a=ice-options:trickle\r\n"                                                                    \
    "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:" \
    "43:F0:A1:58:D0:A1:2C:19:08\r\n"                                                               \
    "a=setup:actpass\r\n"
#define AUDIO_MLINE "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
#define AUDIO_EXTMAPS                                                                         \
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"                              \
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"               \
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" \
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
#define AUDIO_CODECS                                 \
    "a=rtcp-mux\r\n"                                 \
    "a=rtpmap:111 opus/48000/2\r\n"                  \
    "a=rtcp-fb:111 transport-cc\r\n"                 \
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"      \
    "a=rtpmap:63 red/48000/2\r\n"                    \
    "a=fmtp:63 111/111\r\n"                          \
    "a=rtpmap:9 G722/8000\r\n"                       \
    "a=rtpmap:0 PCMU/8000\r\n"                       \
    "a=rtpmap:8 PCMA/8000\r\n"                       \
    "a=rtpmap:13 CN/8000\r\n"                        \
    "a=rtpmap:110 telephone-event/48000\r\n"         \
    "a=rtpmap:126 telephone-event/8000\r\n"
#define VIDEO_MLINE                                                                   \
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 45 46 " \
    "98 99 100 101 112 113 116 117 118\r\n"
#define VIDEO_EXTMAPS                                                                         \
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"                                      \
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"               \
    "a=extmap:13 urn:3gpp:video-orientation\r\n"                                              \
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" \
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"               \
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"                                      \
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"                           \
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
#define VIDEO_CODECS                                                                              \
    "a=rtcp-mux\r\n"                                                                              \
    "a=rtcp-rsize\r\n"                                                                            \
    "a=rtpmap:96 VP8/90000\r\n"                                                                   \
    "a=rtcp-fb:96 goog-remb\r\n"                                                                  \
    "a=rtcp-fb:96 transport-cc\r\n"                                                               \
    "a=rtcp-fb:96 ccm fir\r\n"                                                                    \
    "a=rtcp-fb:96 nack\r\n"                                                                       \
    "a=rtcp-fb:96 nack pli\r\n"                                                                   \
    "a=rtpmap:97 rtx/90000\r\n"                                                                   \
    "a=fmtp:97 apt=96\r\n"                                                                        \
    "a=rtpmap:102 H264/90000\r\n"                                                                 \
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"       \
    "a=rtpmap:103 rtx/90000\r\n"                                                                  \
    "a=fmtp:103 apt=102\r\n"                                                                      \
    "a=rtpmap:104 H264/90000\r\n"                                                                 \
    "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n"       \
    "a=rtpmap:105 rtx/90000\r\n"                                                                  \
    "a=fmtp:105 apt=104\r\n"                                                                      \
    "a=rtpmap:106 H264/90000\r\n"                                                                 \
    "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"       \
    "a=rtpmap:107 rtx/90000\r\n"                                                                  \
    "a=fmtp:107 apt=106\r\n"                                                                      \
    "a=rtpmap:108 H264/90000\r\n"                                                                 \
    "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"       \
    "a=rtpmap:109 rtx/90000\r\n"                                                                  \
    "a=fmtp:109 apt=108\r\n"                                                                      \
    "a=rtpmap:127 H264/90000\r\n"                                                                 \
    "a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n"       \
    "a=rtpmap:125 rtx/90000\r\n"                                                                  \
    "a=fmtp:125 apt=127\r\n"                                                                      \
    "a=rtpmap:39 H264/90000\r\n"                                                                  \
    "a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f\r\n"        \
    "a=rtpmap:40 rtx/90000\r\n"                                                                   \
    "a=fmtp:40 apt=39\r\n"                                                                        \
    "a=rtpmap:45 AV1/90000\r\n"                                                                   \
    "a=rtpmap:46 rtx/90000\r\n"                                                                   \
    "a=fmtp:46 apt=45\r\n"                                                                        \
    "a=rtpmap:98 VP9/90000\r\n"                                                                   \
    "a=fmtp:98 profile-id=0\r\n"                                                                  \
    "a=rtpmap:99 rtx/90000\r\n"                                                                   \
    "a=fmtp:99 apt=98\r\n"                                                                        \
    "a=rtpmap:100 VP9/90000\r\n"                                                                  \
    "a=fmtp:100 profile-id=2\r\n"                                                                 \
    "a=rtpmap:101 rtx/90000\r\n"                                                                  \
    "a=fmtp:101 apt=100\r\n"                                                                      \
    "a=rtpmap:112 H264/90000\r\n"                                                                 \
    "a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f\r\n"       \
    "a=rtpmap:113 rtx/90000\r\n"                                                                  \
    "a=fmtp:113 apt=112\r\n"                                                                      \
    "a=rtpmap:116 red/90000\r\n"                                                                  \
    "a=rtpmap:117 rtx/90000\r\n"                                                                  \
    "a=fmtp:117 apt=116\r\n"                                                                      \
    "a=rtpmap:118 ulpfec/90000\r\n"

static const char kChromeOffer[] =
    SESSION
    // 0: microphone
    AUDIO_MLINE TRANSPORT "a=mid:0\r\n" AUDIO_EXTMAPS
    "a=sendonly\r\n"
    "a=msid:3f1e8a52-6a8c-4c4e-9d5b-2b8f0c7d9e11 0b7c7f7e-1b1e-4a4f-8a4e-5a0c4e1f2a3b\r\n" AUDIO_CODECS
    "a=ssrc:1511238411 cname:G5Xh1b0lQ2W2m0ZT\r\n"
    "a=ssrc:1511238411 msid:3f1e8a52-6a8c-4c4e-9d5b-2b8f0c7d9e11 0b7c7f7e-1b1e-4a4f-8a4e-5a0c4e1f2a3b\r\n"
    // 1: camera
    VIDEO_MLINE TRANSPORT "a=mid:1\r\n" VIDEO_EXTMAPS
    "a=sendonly\r\n"
    "a=msid:3f1e8a52-6a8c-4c4e-9d5b-2b8f0c7d9e11 6d4e2c1a-7f3b-4c2d-9e8f-1a2b3c4d5e6f\r\n" VIDEO_CODECS
    "a=ssrc-group:FID 2857193361 3601342214\r\n"
    "a=ssrc:2857193361 cname:G5Xh1b0lQ2W2m0ZT\r\n"
    "a=ssrc:2857193361 msid:3f1e8a52-6a8c-4c4e-9d5b-2b8f0c7d9e11 6d4e2c1a-7f3b-4c2d-9e8f-1a2b3c4d5e6f\r\n"
    "a=ssrc:3601342214 cname:G5Xh1b0lQ2W2m0ZT\r\n"
    "a=ssrc:3601342214 msid:3f1e8a52-6a8c-4c4e-9d5b-2b8f0c7d9e11 6d4e2c1a-7f3b-4c2d-9e8f-1a2b3c4d5e6f\r\n"
    // 2: screen share
    VIDEO_MLINE TRANSPORT "a=mid:2\r\n" VIDEO_EXTMAPS
    "a=sendonly\r\n"
    "a=msid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d 2c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6\r\n" VIDEO_CODECS
    "a=ssrc-group:FID 1063467001 4034112337\r\n"
    "a=ssrc:1063467001 cname:G5Xh1b0lQ2W2m0ZT\r\n"
    "a=ssrc:4034112337 cname:G5Xh1b0lQ2W2m0ZT\r\n"
    // 3, 4: audio slots
    AUDIO_MLINE TRANSPORT "a=mid:3\r\n" AUDIO_EXTMAPS "a=recvonly\r\n" AUDIO_CODECS
    AUDIO_MLINE TRANSPORT "a=mid:4\r\n" AUDIO_EXTMAPS "a=recvonly\r\n" AUDIO_CODECS
    // 5, 6: video slots
    VIDEO_MLINE TRANSPORT "a=mid:5\r\n" VIDEO_EXTMAPS "a=recvonly\r\n" VIDEO_CODECS
    VIDEO_MLINE TRANSPORT "a=mid:6\r\n" VIDEO_EXTMAPS "a=recvonly\r\n" VIDEO_CODECS
    // 7: data channel
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" TRANSPORT
    "a=mid:7\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

namespace {

// ------------------------------------------------------------ helpers

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::Audio: return "audio";
        case Kind::Video: return "video";
        case Kind::Application: return "application";
        case Kind::Other: return "other";
    }
    return "?";
}

const char* direction_name(Direction d) {
    switch (d) {
        case Direction::SendRecv: return "sendrecv";
        case Direction::SendOnly: return "sendonly";
        case Direction::RecvOnly: return "recvonly";
        case Direction::Inactive: return "inactive";
    }
    return "?";
}

// One word per m-line: "<kind>/<mid>/<direction>[/rejected]", space-separated;
// "refused: <error>" if the text does not parse.
std::string summary(std::string_view text) {
    std::string err;
    const auto s = parse(text, &err);
    if (!s) return "refused: " + err;
    std::string out;
    for (const MLine& m : s->mlines) {
        if (!out.empty()) out += ' ';
        out += std::string(kind_name(m.kind)) + "/" + m.mid + "/" + direction_name(m.direction);
        if (m.rejected) out += "/rejected";
    }
    return out;
}

// "<name>:<pt>" of every codec of m-line `i`, space-separated.
std::string codecs_of(std::string_view text, std::size_t i) {
    const auto s = parse(text);
    if (!s || i >= s->mlines.size()) return "none";
    std::string out;
    for (const Codec& c : s->mlines[i].codecs) {
        if (!out.empty()) out += ' ';
        out += c.name + ":" + std::to_string(c.pt);
    }
    return out;
}

int pt_of(std::string_view text, std::size_t i, const char* codec) {
    const auto s = parse(text);
    if (!s || i >= s->mlines.size()) return -2;
    const auto pt = payload_type_of(s->mlines[i], codec);
    return pt ? *pt : -1;
}

bool refused(std::string_view text) { return !parse(text).has_value(); }

// Hints as "mid=source,mid=source".
std::vector<SourceHint> hints_from(const char* spec) {
    std::vector<SourceHint> out;
    std::string_view rest(spec);
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        const std::size_t eq = item.find('=');
        SourceHint h;
        h.mid = std::string(item.substr(0, eq));
        h.source = parse_source(item.substr(eq + 1)).value_or(Source::Count_);
        out.push_back(h);
    }
    return out;
}

std::string plan_word(const MLinePlan& p) {
    const std::string src(to_string(p.source));
    switch (p.use) {
        case Use::Reject: return "reject";
        case Use::Inactive: return "off:" + src;
        case Use::Publish: return "pub:" + src;
        case Use::Slot: return "slot:" + src;
        case Use::Both: return "both:" + src;
    }
    return "?";
}

std::vector<MLinePlan> plan_for(std::string_view offer, PermissionSet granted, const char* hints,
                                std::size_t max_slots) {
    const auto s = parse(offer);
    if (!s) return {};
    PlanInput in;
    in.granted = granted;
    in.hints = hints_from(hints);
    in.max_slots_per_kind = max_slots;
    return plan_answer(*s, in);
}

// The plan as one word per m-line: pub:<source>, off:<source>, slot:<source>, reject.
std::string plan_of(std::string_view offer, PermissionSet granted, const char* hints = "", std::size_t max_slots = 16) {
    const auto s = parse(offer);
    if (!s) return "unparsable offer";
    std::string out;
    const std::vector<MLinePlan> plan = plan_for(offer, granted, hints, max_slots);
    for (std::size_t i = 0; i < plan.size(); ++i) {
        if (!out.empty()) out += ' ';
        out += plan_word(plan[i]);
        if (plan[i].index != i) out += "(bad index)";
    }
    return out;
}

// The codec field of every planned m-line ("-" when empty).
std::string plan_codecs(std::string_view offer, PermissionSet granted) {
    std::string out;
    for (const MLinePlan& p : plan_for(offer, granted, "", 16)) {
        if (!out.empty()) out += ' ';
        out += p.codec.empty() ? "-" : p.codec;
    }
    return out;
}

PermissionSet role(Role r, SessionKind k = SessionKind::Consultation) { return default_permissions(r, k); }

// The pair field of every planned m-line ("-" when -1).
std::string plan_pairs(std::string_view offer, PermissionSet granted, std::size_t max_slots = 16) {
    std::string out;
    for (const MLinePlan& p : plan_for(offer, granted, "", max_slots)) {
        if (!out.empty()) out += ' ';
        out += p.pair < 0 ? "-" : std::to_string(p.pair);
    }
    return out;
}

// An answer shaped as Janus writes it, m-line kinds of kChromeOffer, one
// word per m-line: a direction, or "reject" (port 0, a=inactive).
std::string janus_answer(const char* words) {
    static const char* const kKinds[] = {"audio", "video", "video", "audio", "audio", "video", "video", "application"};
    std::string sdp =
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=Telemed\r\nt=0 0\r\n"
        "a=group:BUNDLE 0 1 2 3 4 5 6\r\na=ice-options:trickle\r\n"
        "a=fingerprint:sha-256 D2:B9:31:8F:DF:24:D8:0E:ED:D2:EF:25:9E:AF:6F:B8:34:AE:53:9C:E6:F3:8F:F2:64:15:FA:E8:"
        "7F:53:2D:38\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS *\r\n";
    std::string_view rest(words);
    for (std::size_t i = 0; !rest.empty(); ++i) {
        const std::size_t sp = rest.find(' ');
        const std::string_view w = rest.substr(0, sp);
        rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
        const std::string kind = i < 8 ? kKinds[i] : "audio";
        const bool app = kind == "application";
        const bool video = kind == "video";
        if (w == "reject") {
            sdp += "m=" + kind + (app ? " 0 UDP/DTLS/SCTP webrtc-datachannel\r\n" : " 0 UDP/TLS/RTP/SAVPF 0\r\n");
            sdp += "c=IN IP4 127.0.0.1\r\na=inactive\r\na=mid:" + std::to_string(i) + "\r\n";
            continue;
        }
        sdp += "m=" + kind + (video ? " 9 UDP/TLS/RTP/SAVPF 96 97\r\n" : " 9 UDP/TLS/RTP/SAVPF 111\r\n");
        sdp += "c=IN IP4 127.0.0.1\r\na=" + std::string(w) + "\r\na=mid:" + std::to_string(i) + "\r\n";
        sdp += "a=rtcp-mux\r\na=ice-ufrag:bq3Z\r\na=ice-pwd:0c8Hk8Rz7AZ2bKd2qLHtcc\r\na=ice-options:trickle\r\n"
               "a=setup:active\r\n";
        sdp += video ? "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
                     : "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n";
        sdp += "a=candidate:1 1 udp 2015363327 127.0.0.2 40000 typ host\r\na=end-of-candidates\r\n";
    }
    return sdp;
}

// 1 if the answer respects the plan of kChromeOffer for `granted`, 0 if
// not, -1 if the test answer itself did not parse.
int respects(PermissionSet granted, const char* answer_words, std::size_t max_slots = 16) {
    const auto a = parse(janus_answer(answer_words));
    if (!a) return -1;
    return answer_respects_plan(*a, plan_for(kChromeOffer, granted, "", max_slots)) ? 1 : 0;
}

// A minimal offer made of the given m-sections (each "m=... \r\n a=..." text).
std::string offer_of(std::initializer_list<const char*> sections) {
    std::string sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    for (const char* s : sections) sdp += s;
    return sdp;
}

// `n` recvonly audio sections with mids a0..a<n-1>.
std::string many_audio_slots(std::size_t n) {
    std::string sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    for (std::size_t i = 0; i < n; ++i)
        sdp += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a" + std::to_string(i) +
               "\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\n";
    return sdp;
}

std::size_t count_word(const std::string& s, const std::string& word) {
    std::size_t n = 0;
    for (std::size_t at = s.find(word); at != std::string::npos; at = s.find(word, at + 1)) ++n;
    return n;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

#define A_SEND "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n"
#define V_SEND "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n"

}  // namespace

// ------------------------------------------------------------ parsing

static void chrome_offer_parses(void**) {
    assert_str_eq(summary(kChromeOffer),
                  "audio/0/sendonly video/1/sendonly video/2/sendonly audio/3/recvonly audio/4/recvonly "
                  "video/5/recvonly video/6/recvonly application/7/sendrecv");
    assert_str_eq(codecs_of(kChromeOffer, 0),
                  "opus:111 red:63 g722:9 pcmu:0 pcma:8 cn:13 telephone-event:110 telephone-event:126");
    assert_str_eq(codecs_of(kChromeOffer, 1),
                  "vp8:96 rtx:97 h264:102 rtx:103 h264:104 rtx:105 h264:106 rtx:107 h264:108 rtx:109 h264:127 "
                  "rtx:125 h264:39 rtx:40 av1:45 rtx:46 vp9:98 rtx:99 vp9:100 rtx:101 h264:112 rtx:113 red:116 "
                  "rtx:117 ulpfec:118");
    assert_str_eq(codecs_of(kChromeOffer, 7), "");  // no payload types on a data channel
    assert_int_equal(pt_of(kChromeOffer, 0, "opus"), 111);
    assert_int_equal(pt_of(kChromeOffer, 3, "OPUS"), 111);  // codec names compare case-insensitively
    assert_int_equal(pt_of(kChromeOffer, 1, "vp8"), 96);
    assert_int_equal(pt_of(kChromeOffer, 5, "rtx"), 97);  // the first match
    assert_int_equal(pt_of(kChromeOffer, 5, "h265"), -1);
    assert_int_equal(pt_of(kChromeOffer, 0, "vp8"), -1);
}

static void line_endings_and_blanks(void**) {
    const std::string lf = replace_all(kChromeOffer, "\r\n", "\n");
    assert_str_eq(summary(lf), summary(kChromeOffer));
    assert_str_eq(codecs_of(lf, 1), codecs_of(kChromeOffer, 1));
    // Trailing blanks, empty lines and a missing final line end are tolerated.
    assert_str_eq(summary("v=0\r\n\r\nm=audio 9 RTP/AVP 0   \r\na=mid:x \r\na=recvonly"), "audio/x/recvonly");
    assert_str_eq(summary("v=0\nm=video  9  RTP/AVP  96\n\n"), "video//sendrecv");
}

static void static_payload_types_and_rtpmap(void**) {
    const std::string o = offer_of({"m=audio 9 RTP/AVP 0 8 9 18 96 0\r\na=rtpmap:96 Telephone-Event/8000\r\n"});
    // 18 (G729) has no rtpmap and is not one of ours: left out; 0 counted once.
    assert_str_eq(codecs_of(o, 0), "pcmu:0 pcma:8 g722:9 telephone-event:96");
    // An rtpmap names a static payload type too; the first rtpmap wins; an
    // rtpmap of a payload type not in the list, or malformed, is ignored.
    const std::string p = offer_of({"m=audio 9 RTP/AVP 0 97 98 99 100 101\r\n"
                                    "a=rtpmap:0 MyPCMU/8000\r\n"
                                    "a=rtpmap:0 Other/8000\r\n"
                                    "a=rtpmap:97 opus/48000/2\r\n"
                                    "a=rtpmap:120 VP8/90000\r\n"
                                    "a=rtpmap:98 ISAC\r\n"
                                    "a=rtpmap:99 bad name/8000\r\n"
                                    "a=rtpmap:100 x/clock\r\n"
                                    "a=rtpmap:101  spaced/16000\r\n"});
    assert_str_eq(codecs_of(p, 0), "mypcmu:0 opus:97 spaced:101");
    // Static names apply to video m-lines too (payload type numbers are not per kind).
    assert_str_eq(codecs_of(offer_of({"m=video 9 RTP/AVP 0\r\n"}), 0), "pcmu:0");
}

static void mids_and_directions(void**) {
    // Default direction sendrecv; a session-level direction is the default.
    assert_str_eq(summary(offer_of({"m=audio 9 RTP/AVP 0\r\n"})), "audio//sendrecv");
    assert_str_eq(summary("v=0\r\na=recvonly\r\nm=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\na=inactive\r\n"),
                  "audio//recvonly video//inactive");
    // Port 0 is rejected unless bundle-only (an offerer's bundled m-line).
    assert_str_eq(summary(offer_of({"m=audio 0 RTP/AVP 0\r\n", "m=video 0 RTP/AVP 96\r\na=bundle-only\r\n"})),
                  "audio//sendrecv/rejected video//sendrecv");
    assert_str_eq(summary(offer_of({"m=audio 0 RTP/AVP 0\r\na=mid:a\r\n"})), "audio/a/sendrecv/rejected");
    // Port with a count; other kinds.
    assert_str_eq(summary(offer_of({"m=audio 9/2 RTP/AVP 0\r\n", "m=text 9 RTP/AVP t140\r\n"})),
                  "audio//sendrecv other//sendrecv");
    // A 32-character mid of token characters is fine.
    assert_str_eq(summary(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:{abcdefghijklmnopqrstuvwxyz-._~}\r\n"})),
                  "audio/{abcdefghijklmnopqrstuvwxyz-._~}/sendrecv");
    // Attributes that look like directions but carry a value are not directions.
    assert_str_eq(summary(offer_of({"m=audio 9 RTP/AVP 0\r\na=sendonly:x\r\na=mid:m\r\n"})), "audio/m/sendrecv");
}

static void refusals(void**) {
    assert_true(refused(""));
    assert_true(refused("\r\n\r\n"));
    assert_true(refused("hello world"));
    assert_true(refused("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"));  // no m-line
    assert_true(refused(std::string_view("\x00\x01\x02\xff", 4)));
    assert_true(refused("v=0\r\nm=audio 9 RTP/AVP 0\r\n<script>\r\n"));           // not an SDP line
    assert_true(refused("v=0\r\nm=audio 9 RTP/AVP 0\r\nA=mid:0\r\n"));            // type letters are lower-case
    // Unreadable m-lines.
    assert_true(refused(offer_of({"m=audio\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP\r\n"})));           // no format
    assert_true(refused(offer_of({"m=audio x RTP/AVP 0\r\n"})));
    assert_true(refused(offer_of({"m=audio -1 RTP/AVP 0\r\n"})));
    assert_true(refused(offer_of({"m=audio 65536 RTP/AVP 0\r\n"})));
    assert_true(refused(offer_of({"m=audio 9/ RTP/AVP 0\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 128\r\n"})));       // not a payload type
    assert_true(refused(offer_of({"m=video 9 RTP/AVP 96 vp8\r\n"})));
    assert_true(refused(offer_of({"m=video 9 RTP/AVP 99999999999\r\n"})));
    assert_false(refused(offer_of({"m=audio 65535 RTP/AVP 127\r\n"})));
    // Mids: too long, empty, invalid characters, twice, repeated across m-lines.
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:abcdefghijklmnopqrstuvwxyz0123456\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:a b\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:\"x\"\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:x\\y\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:\xc3\xa9\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:a\r\na=mid:b\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:a\r\n", "m=video 9 RTP/AVP 96\r\na=mid:a\r\n"})));
    // Conflicting directions.
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=sendonly\r\na=recvonly\r\n"})));
    assert_true(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=sendonly\r\na=sendonly\r\n"})));
    assert_true(refused("v=0\r\na=sendonly\r\na=inactive\r\nm=audio 9 RTP/AVP 0\r\n"));
}

static void size_limits(void**) {
    // kMaxSdpBytes exactly is read; one byte more is refused.
    std::string big = kChromeOffer;
    const std::string pad = "a=x-pad:0123456789\r\n";
    while (big.size() + pad.size() <= kMaxSdpBytes) big += pad;
    big += std::string(kMaxSdpBytes - big.size(), ' ');  // trailing blanks of the last line
    assert_int_equal(big.size(), kMaxSdpBytes);
    assert_false(refused(big));
    assert_true(refused(big + "x"));
    // kMaxMLines m-lines are read, one more is refused.
    assert_int_equal(count_word(summary(many_audio_slots(kMaxMLines)), "audio/"), kMaxMLines);
    assert_true(refused(many_audio_slots(kMaxMLines + 1)));
}

// RFC 8285 / 8843: an RTP header extension id names one extension within an
// m-line and across a BUNDLE group (with the session-level extmaps).
static void extmap_ids(void**) {
    const std::string ours = "one RTP header extension id used for two extensions";
    std::string err;
    // Chrome's offer: the same ids for the same URIs in every bundled m-line.
    assert_true(parse(kChromeOffer, &err).has_value());
    // Id 2 is abs-send-time everywhere; make the camera's id 2 another URI.
    std::string clash = kChromeOffer;
    const std::string cam = "a=mid:1\r\na=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
                            "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n";
    const std::size_t at = clash.find(cam);
    assert_true(at != std::string::npos);
    clash.replace(at, cam.size(), "a=mid:1\r\na=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
                                  "a=extmap:2 urn:3gpp:video-orientation\r\n");
    err.clear();
    assert_false(parse(clash, &err).has_value());
    assert_str_eq(err, ours);
    // The same two m-lines without a BUNDLE group are separate RTP sessions: allowed.
    const std::string unbundled = replace_all(clash, "a=group:BUNDLE 0 1 2 3 4 5 6 7\r\n", "");
    assert_true(parse(unbundled, &err).has_value());
    // ...unless the camera is in a group with the microphone.
    assert_false(parse(replace_all(clash, "a=group:BUNDLE 0 1 2 3 4 5 6 7\r\n", "a=group:BUNDLE 1 0\r\n")).has_value());
    assert_true(parse(replace_all(clash, "a=group:BUNDLE 0 1 2 3 4 5 6 7\r\n", "a=group:BUNDLE 1\r\n")).has_value());
    // Two BUNDLE groups are two RTP sessions: each has its own ids.
    assert_true(parse(replace_all(clash, "a=group:BUNDLE 0 1 2 3 4 5 6 7\r\n",
                                  "a=group:BUNDLE 0 2 3 4 5 6 7\r\na=group:BUNDLE 1\r\n")).has_value());
    // Within one m-line, whatever the grouping.
    const char* twice = "m=audio 9 RTP/AVP 0\r\na=mid:a\r\na=extmap:1 urn:x:one\r\na=extmap:1 urn:x:two\r\n";
    assert_true(refused(offer_of({twice})));
    assert_false(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=mid:a\r\na=extmap:1 urn:x:one\r\na=extmap:1 urn:x:one\r\n"})));
    // Session-level extmaps belong to the bundle.
    assert_true(refused("v=0\r\na=group:BUNDLE a\r\na=extmap:3 urn:x:one\r\n"
                        "m=audio 9 RTP/AVP 0\r\na=mid:a\r\na=extmap:3/sendrecv urn:x:two\r\n"));
    assert_false(refused("v=0\r\na=group:BUNDLE a\r\na=extmap:3 urn:x:one\r\n"
                         "m=audio 9 RTP/AVP 0\r\na=mid:a\r\na=extmap:3/sendrecv urn:x:one\r\n"));
    // ...and apply to every m-line, bundled or not.
    assert_true(refused("v=0\r\na=extmap:3 urn:x:one\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\r\na=extmap:3 urn:x:two\r\n"));
    // Ids 1..255 (two-byte headers reach 255); 0, 256 and junk are unreadable.
    assert_false(refused(offer_of({"m=audio 9 RTP/AVP 0\r\na=extmap:255 urn:x:one\r\n"})));
    for (const char* bad : {"a=extmap:0 urn:x:one\r\n", "a=extmap:256 urn:x:one\r\n", "a=extmap:x urn:x:one\r\n",
                            "a=extmap:7\r\n"}) {
        err.clear();
        assert_false(parse(offer_of({"m=audio 9 RTP/AVP 0\r\n", bad}), &err).has_value());
        assert_str_eq(err, "unreadable extmap");
    }
    // A BUNDLE group is bounded by the m-line limit.
    std::string group = "a=group:BUNDLE";
    for (std::size_t i = 0; i <= kMaxMLines; ++i) group += " m" + std::to_string(i);
    assert_true(refused("v=0\r\n" + group + "\r\nm=audio 9 RTP/AVP 0\r\n"));
}

// Refusal texts are our own words: never a piece of the input.
static void refusal_texts_are_ours(void**) {
    const char* const inputs[] = {
        "",
        "SECRET<token>",
        "v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:SECRET_MID_ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n",
        "v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:SECRET\"\r\n",
        "v=0\r\nm=audio 9 SECRET/AVP secret\r\n",
        "v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:SECRET\r\nm=audio 9 RTP/AVP 0\r\na=mid:SECRET\r\n",
    };
    for (const char* in : inputs) {
        std::string err;
        const bool ok = parse(in, &err).has_value();
        assert_false(ok);
        assert_true(!err.empty());
        assert_null(strstr(err.c_str(), "SECRET"));
        assert_null(strstr(err.c_str(), "secret"));
    }
    // No error pointer: still just nullopt.
    assert_true(refused("nonsense"));
}

// ------------------------------------------------------------ the plan

static void plan_doctor(void**) {
    assert_str_eq(plan_of(kChromeOffer, role(Role::Doctor)),
                  "pub:audio pub:video pub:screen slot:audio slot:audio slot:video slot:video reject");
    assert_str_eq(plan_codecs(kChromeOffer, role(Role::Doctor)), "opus vp8 vp8 opus opus vp8 vp8 -");
}

static void plan_patient(void**) {
    // No publish_screen: the second sending video m-line (screen) is inactive.
    assert_str_eq(plan_of(kChromeOffer, role(Role::Patient)),
                  "pub:audio pub:video off:screen slot:audio slot:audio slot:video slot:video reject");
    assert_str_eq(plan_codecs(kChromeOffer, role(Role::Patient)), "opus vp8 vp8 opus opus vp8 vp8 -");
    // The same in an emergency session.
    assert_str_eq(plan_of(kChromeOffer, role(Role::Patient, SessionKind::Emergency)),
                  "pub:audio pub:video off:screen slot:audio slot:audio slot:video slot:video reject");
}

static void plan_observer(void**) {
    // Receives everything, sends nothing.
    assert_str_eq(plan_of(kChromeOffer, role(Role::Observer)),
                  "off:audio off:video off:screen slot:audio slot:audio slot:video slot:video reject");
}

static void plan_paramedic_and_nothing(void**) {
    assert_str_eq(plan_of(kChromeOffer, role(Role::Paramedic, SessionKind::Emergency)),
                  "pub:audio pub:video pub:screen slot:audio slot:audio slot:video slot:video reject");
    // Without subscribe the slots are inactive (not rejected); no permission at all: nothing accepted.
    assert_str_eq(plan_of(kChromeOffer, bit(Permission::PublishAudio)),
                  "pub:audio off:video off:screen off:audio off:audio off:video off:video reject");
    assert_str_eq(plan_of(kChromeOffer, 0),
                  "off:audio off:video off:screen off:audio off:audio off:video off:video reject");
}

static void plan_slot_limit(void**) {
    const PermissionSet doctor = role(Role::Doctor);
    assert_str_eq(plan_of(kChromeOffer, doctor, "", 1),
                  "pub:audio pub:video pub:screen slot:audio reject slot:video reject reject");
    assert_str_eq(plan_of(kChromeOffer, doctor, "", 0),
                  "pub:audio pub:video pub:screen reject reject reject reject reject");
    // The default limit of 16 per kind over 20 audio slots.
    const std::string plan = plan_of(many_audio_slots(20), doctor);
    assert_int_equal(count_word(plan, "slot:audio"), 16);
    assert_int_equal(count_word(plan, "reject"), 4);
    assert_int_equal(plan.rfind("slot:audio"), plan.find("reject") - 11);  // the first 16 are the slots
    // Slots are counted per kind: 2 audio do not use up video slots.
    assert_str_eq(plan_of(kChromeOffer, doctor, "", 2),
                  "pub:audio pub:video pub:screen slot:audio slot:audio slot:video slot:video reject");
    // Without subscribe, over-limit slots are inactive like the others.
    assert_str_eq(plan_of(kChromeOffer, 0, "", 1),
                  "off:audio off:video off:screen off:audio off:audio off:video off:video reject");
}

static void plan_slot_pairs(void**) {
    // Slots are numbered per kind in m-line order; audio and video slots with
    // the same number are a pair (one msid stream in the answer).
    assert_str_eq(plan_pairs(kChromeOffer, role(Role::Doctor)), "- - - 0 1 0 1 -");
    assert_str_eq(plan_pairs(kChromeOffer, role(Role::Doctor), 1), "- - - 0 - 0 - -");
    assert_str_eq(plan_pairs(kChromeOffer, 0), "- - - - - - - -");  // inactive: no slot
    // The receiving half of a sendrecv m-line is a slot too.
    const std::string sr = offer_of({"m=audio 9 RTP/AVP 111\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n",
                                     "m=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
                                     "m=video 9 RTP/AVP 96\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n",
                                     "m=audio 9 RTP/AVP 111\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\n"});
    assert_str_eq(plan_pairs(sr, role(Role::Doctor)), "0 0 1 1");
    assert_str_eq(plan_pairs(sr, bit(Permission::PublishAudio) | bit(Permission::PublishVideo)), "- - - -");
}

static void plan_hints(void**) {
    const PermissionSet doctor = role(Role::Doctor);
    const PermissionSet patient = role(Role::Patient);
    // Hints in the usual order change nothing.
    assert_str_eq(plan_of(kChromeOffer, doctor, "0=audio,1=video,2=screen"),
                  "pub:audio pub:video pub:screen slot:audio slot:audio slot:video slot:video reject");
    // Screen first: mid 1 is the screen, mid 2 the camera.
    assert_str_eq(plan_of(kChromeOffer, doctor, "1=screen,2=video"),
                  "pub:audio pub:screen pub:video slot:audio slot:audio slot:video slot:video reject");
    // A patient who names its only video m-line "screen" publishes nothing there.
    assert_str_eq(plan_of(kChromeOffer, patient, "1=screen,2=video"),
                  "pub:audio off:screen pub:video slot:audio slot:audio slot:video slot:video reject");
    // A hint of the wrong kind makes the m-line inactive, with the hinted source.
    assert_str_eq(plan_of(kChromeOffer, doctor, "0=video,1=audio"),
                  "off:video off:audio pub:video slot:audio slot:audio slot:video slot:video reject");
    // Hints of unknown mids, of recvonly m-lines, and of unknown sources.
    assert_str_eq(plan_of(kChromeOffer, doctor, "9=audio,3=video,5=audio"),
                  "pub:audio pub:video pub:screen slot:audio slot:audio slot:video slot:video reject");
    assert_str_eq(plan_of(kChromeOffer, doctor, "1=camera"),
                  "pub:audio off:video pub:video slot:audio slot:audio slot:video slot:video reject");
    // The first hint for a mid wins.
    assert_str_eq(plan_of(kChromeOffer, doctor, "2=video,2=screen,1=screen"),
                  "pub:audio pub:screen pub:video slot:audio slot:audio slot:video slot:video reject");
    // Hinted m-lines do not take an unhinted number: mid 2 is then the first
    // unhinted video m-line, i.e. the camera.
    assert_str_eq(plan_of(kChromeOffer, doctor, "1=screen"),
                  "pub:audio pub:screen pub:video slot:audio slot:audio slot:video slot:video reject");
}

static void plan_duplicates(void**) {
    const PermissionSet doctor = role(Role::Doctor);
    // Two m-lines hinted "video": the later one is inactive.
    assert_str_eq(plan_of(kChromeOffer, doctor, "1=video,2=video"),
                  "pub:audio pub:video off:video slot:audio slot:audio slot:video slot:video reject");
    // A hinted "video" after an unhinted one (which defaulted to video).
    assert_str_eq(plan_of(kChromeOffer, doctor, "2=video"),
                  "pub:audio pub:video off:video slot:audio slot:audio slot:video slot:video reject");
    // A second sending audio m-line without a hint, a third video one.
    const std::string o = offer_of({A_SEND, A_SEND, V_SEND, V_SEND, V_SEND});
    assert_str_eq(plan_of(o, doctor), "pub:audio off:audio pub:video pub:screen off:screen");
    // An audio m-line hinted "audio" after the unhinted default took it.
    const std::string h = offer_of({A_SEND, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:x\r\na=sendonly\r\n"
                                            "a=rtpmap:111 opus/48000/2\r\n"});
    assert_str_eq(plan_of(h, doctor, "x=audio"), "pub:audio off:audio");
    // The source is taken by the first m-line that publishes it: an earlier
    // m-line that could not (no VP8) leaves it free.
    const std::string n = offer_of({"m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:h\r\na=sendonly\r\n"
                                    "a=rtpmap:102 H264/90000\r\n",
                                    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=sendonly\r\n"
                                    "a=rtpmap:96 VP8/90000\r\n"});
    assert_str_eq(plan_of(n, doctor, "h=video,v=video"), "off:video pub:video");
}

static void plan_codecs_and_directions(void**) {
    const PermissionSet doctor = role(Role::Doctor);
    // No Opus / no VP8 offered: a sending m-line is inactive, a slot is rejected.
    const std::string o = offer_of({"m=audio 9 RTP/AVP 0 8\r\na=sendonly\r\n",
                                    "m=audio 9 RTP/AVP 0 8\r\na=recvonly\r\n",
                                    "m=video 9 RTP/AVP 102\r\na=sendonly\r\na=rtpmap:102 H264/90000\r\n",
                                    "m=video 9 RTP/AVP 102\r\na=recvonly\r\na=rtpmap:102 H264/90000\r\n"});
    assert_str_eq(plan_of(o, doctor), "off:audio reject off:video reject");
    assert_str_eq(plan_codecs(o, doctor), "opus - vp8 -");
    // No codec beats no subscribe: still rejected.
    assert_str_eq(plan_of(o, 0), "off:audio reject off:video reject");
    // Codec names in any case.
    assert_str_eq(plan_of(offer_of({"m=audio 9 RTP/AVP 109\r\na=sendonly\r\na=rtpmap:109 OPUS/48000/2\r\n"}), doctor),
                  "pub:audio");
    // sendrecv (and no direction at all) is sending and a slot: each half
    // is decided on its own.
    const std::string sr = offer_of({"m=audio 9 RTP/AVP 111\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n",
                                     "m=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"});
    assert_str_eq(plan_of(sr, doctor), "both:audio both:video");
    assert_str_eq(plan_of(sr, role(Role::Observer)), "slot:audio slot:video");
    assert_str_eq(plan_of(sr, role(Role::Patient) & ~bit(Permission::PublishVideo)), "both:audio slot:video");
    assert_str_eq(plan_of(sr, bit(Permission::PublishAudio) | bit(Permission::PublishVideo)), "pub:audio pub:video");
    assert_str_eq(plan_of(sr, 0), "off:audio off:video");
    // The receiving half counts against the slot limit like a recvonly m-line.
    const std::string sr3 = offer_of({"m=audio 9 RTP/AVP 111\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n",
                                      "m=audio 9 RTP/AVP 111\r\na=recvonly\r\na=rtpmap:111 opus/48000/2\r\n",
                                      "m=audio 9 RTP/AVP 111\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n"});
    assert_str_eq(plan_of(sr3, doctor, "", 2), "both:audio slot:audio off:audio");
    assert_str_eq(plan_of(sr3, doctor, "", 1), "both:audio reject off:audio");
    // Inactive, rejected and non-media m-lines are rejected.
    const std::string r = offer_of({"m=audio 9 RTP/AVP 111\r\na=inactive\r\na=rtpmap:111 opus/48000/2\r\n",
                                    "m=audio 0 RTP/AVP 111\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n",
                                    "m=text 9 RTP/AVP 98\r\na=sendonly\r\na=rtpmap:98 t140/1000\r\n",
                                    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
                                    "m=audio 9 RTP/AVP 111\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n"});
    assert_str_eq(plan_of(r, doctor), "reject reject reject reject pub:audio");
    assert_str_eq(plan_codecs(r, doctor), "- - - - opus");
    // A bundle-only m-line (port 0) is not rejected.
    assert_str_eq(plan_of(offer_of({A_SEND, "m=video 0 RTP/AVP 96\r\na=bundle-only\r\na=sendonly\r\n"
                                            "a=rtpmap:96 VP8/90000\r\n"}),
                          doctor),
                  "pub:audio pub:video");
}

// ------------------------------------------------------------ the answer check

static void answer_matches_plan(void**) {
    const PermissionSet doctor = role(Role::Doctor);
    const PermissionSet patient = role(Role::Patient);
    const PermissionSet observer = role(Role::Observer);
    assert_int_equal(respects(doctor, "recvonly recvonly recvonly sendonly sendonly sendonly sendonly reject"), 1);
    assert_int_equal(respects(patient, "recvonly recvonly inactive sendonly sendonly sendonly sendonly reject"), 1);
    assert_int_equal(respects(observer, "inactive inactive inactive sendonly sendonly sendonly sendonly reject"), 1);
    // Rejecting more than planned is always within the plan.
    assert_int_equal(respects(patient, "recvonly reject reject sendonly reject sendonly sendonly reject"), 1);
    assert_int_equal(respects(observer, "reject reject reject reject reject reject reject reject"), 1);
}

static void answer_beyond_plan_fails(void**) {
    const PermissionSet patient = role(Role::Patient);
    const PermissionSet observer = role(Role::Observer);
    // The patient's screen m-line answered recvonly although the plan said Inactive.
    assert_int_equal(respects(patient, "recvonly recvonly recvonly sendonly sendonly sendonly sendonly reject"), 0);
    // An observer's microphone answered recvonly / sendrecv.
    assert_int_equal(respects(observer, "recvonly inactive inactive sendonly sendonly sendonly sendonly reject"), 0);
    assert_int_equal(respects(observer, "sendrecv inactive inactive sendonly sendonly sendonly sendonly reject"), 0);
    // A slot answered sendrecv (would receive from the client).
    assert_int_equal(respects(patient, "recvonly recvonly inactive sendrecv sendonly sendonly sendonly reject"), 0);
    // A publishing m-line answered sendonly / inactive.
    assert_int_equal(respects(patient, "sendonly recvonly inactive sendonly sendonly sendonly sendonly reject"), 0);
    assert_int_equal(respects(patient, "inactive recvonly inactive sendonly sendonly sendonly sendonly reject"), 0);
    // The data channel accepted.
    assert_int_equal(respects(patient, "recvonly recvonly inactive sendonly sendonly sendonly sendonly sendrecv"), 0);
    // A slot over the limit (rejected in the plan) accepted.
    assert_int_equal(respects(patient, "recvonly recvonly inactive sendonly sendonly sendonly sendonly reject", 1), 0);
    assert_int_equal(respects(patient, "recvonly recvonly inactive sendonly reject sendonly reject reject", 1), 1);
    // Wrong number of m-lines.
    assert_int_equal(respects(patient, "recvonly recvonly inactive sendonly sendonly sendonly sendonly"), 0);
    assert_int_equal(
        respects(patient, "recvonly recvonly inactive sendonly sendonly sendonly sendonly reject sendonly"), 0);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chrome_offer_parses),
        cmocka_unit_test(line_endings_and_blanks),
        cmocka_unit_test(static_payload_types_and_rtpmap),
        cmocka_unit_test(mids_and_directions),
        cmocka_unit_test(refusals),
        cmocka_unit_test(extmap_ids),
        cmocka_unit_test(size_limits),
        cmocka_unit_test(refusal_texts_are_ours),
        cmocka_unit_test(plan_doctor),
        cmocka_unit_test(plan_patient),
        cmocka_unit_test(plan_observer),
        cmocka_unit_test(plan_paramedic_and_nothing),
        cmocka_unit_test(plan_slot_limit),
        cmocka_unit_test(plan_slot_pairs),
        cmocka_unit_test(plan_hints),
        cmocka_unit_test(plan_duplicates),
        cmocka_unit_test(plan_codecs_and_directions),
        cmocka_unit_test(answer_matches_plan),
        cmocka_unit_test(answer_beyond_plan_fails),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
