// plugin/rtp: RTP header bounds, accessors, SeqRewriter continuity, and
// the RTCP compound walk (keyframe requests, malformed lengths).
// Packets are plain byte arrays on the stack; SeqRewriter has a trivial
// destructor, so nothing is lost when a CMocka assertion longjmps.
#include <cstring>

#include "rtp_packets.hpp"
#include "plugin/rtp.hpp"

#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed::plugin;

namespace {


// One RTCP block header: version 2, FMT/RC `fmt`, type `pt`, `words` = length field.
void rtcp_header(uint8_t* b, uint8_t fmt, uint8_t pt, uint16_t words) {
    b[0] = static_cast<uint8_t>(0x80 | (fmt & 0x1f));
    b[1] = pt;
    b[2] = static_cast<uint8_t>(words >> 8);
    b[3] = static_cast<uint8_t>(words);
}

// Feeds one packet (ssrc, seq, ts) through `rw`; returns the output seq and
// stores the output ts in *ts_out. Also checks the buffer was rewritten.
uint16_t feed(rtp::SeqRewriter* rw, uint32_t ss, uint16_t sq, uint32_t ts, uint32_t* ts_out) {
    uint8_t pkt[20] = {};
    rtp_header(pkt, 96, false, sq, ts, ss);
    uint16_t out_seq = 0;
    uint32_t out_ts = 0;
    rw->rewrite(pkt, &out_seq, &out_ts);
    if (rtp::seq(pkt) != out_seq || rtp::timestamp(pkt) != out_ts || rtp::ssrc(pkt) != ss) *ts_out = 0xdeadbeef;
    else *ts_out = out_ts;
    return out_seq;
}

}  // namespace

static void rtp_minimal_header(void**) {
    uint8_t p[12];
    rtp_header(p, 111, true, 0x1234, 0x89abcdef, 0x01020304);
    assert_true(rtp::is_valid_rtp(p, 12));
    assert_false(rtp::is_valid_rtp(p, 11));
    assert_false(rtp::is_valid_rtp(p, 0));
    assert_false(rtp::is_valid_rtp(nullptr, 12));
    assert_int_equal(rtp::payload_type(p), 111);
    assert_int_equal(rtp::seq(p), 0x1234);
    assert_int_equal(rtp::timestamp(p), 0x89abcdefu);
    assert_int_equal(rtp::ssrc(p), 0x01020304u);
    // Versions 0, 1 and 3 are not RTP (and not what Janus hands us).
    const uint8_t versions[] = {0x00, 0x40, 0xc0};
    for (uint8_t v : versions) {
        p[0] = v;
        assert_false(rtp::is_valid_rtp(p, 12));
    }
}

static void rtp_csrc_bounds(void**) {
    uint8_t p[12 + 15 * 4] = {};
    rtp_header(p, 96, false, 1, 2, 3);
    p[0] = 0x80 | 2;  // CC = 2: the header is 20 bytes
    assert_false(rtp::is_valid_rtp(p, 19));
    assert_true(rtp::is_valid_rtp(p, 20));
    p[0] = 0x80 | 15;  // the largest CSRC list: 72 bytes
    assert_false(rtp::is_valid_rtp(p, 71));
    assert_true(rtp::is_valid_rtp(p, 72));
    // The accessors read the fixed header whatever the CSRC count.
    assert_int_equal(rtp::ssrc(p), 3);
}

static void rtp_extension_bounds(void**) {
    // CC = 1, X: 12 + 4 (CSRC) + 4 (extension header) + 4 * words.
    uint8_t p[64] = {};
    rtp_header(p, 96, false, 1, 2, 3);
    p[0] = 0x90 | 1;
    p[16] = 0xbe;  // one-byte header profile (RFC 8285)
    p[17] = 0xde;
    p[18] = 0;
    p[19] = 2;  // two words of extensions
    assert_false(rtp::is_valid_rtp(p, 16));  // no room for the extension header
    assert_false(rtp::is_valid_rtp(p, 19));
    assert_false(rtp::is_valid_rtp(p, 20));  // header fits, its words do not
    assert_false(rtp::is_valid_rtp(p, 27));
    assert_true(rtp::is_valid_rtp(p, 28));
    assert_true(rtp::is_valid_rtp(p, 64));  // with payload
    p[18] = 0xff;  // a huge length field cannot read past the buffer
    p[19] = 0xff;
    assert_false(rtp::is_valid_rtp(p, 64));
    p[18] = 0;  // zero extension words is allowed
    p[19] = 0;
    assert_true(rtp::is_valid_rtp(p, 20));
}

static void rtp_setters_keep_the_rest(void**) {
    uint8_t p[16];
    rtp_header(p, 96, true, 100, 200, 300);
    p[12] = 0xaa;
    p[13] = 0xbb;
    p[14] = 0xcc;
    p[15] = 0xdd;
    uint8_t before[16];
    std::memcpy(before, p, sizeof p);
    rtp::set_payload_type(p, 111);
    assert_int_equal(rtp::payload_type(p), 111);
    assert_int_equal(p[1] & 0x80, 0x80);  // marker kept
    rtp::set_payload_type(p, 0xff);        // only 7 bits are a payload type
    assert_int_equal(rtp::payload_type(p), 0x7f);
    assert_int_equal(p[1] & 0x80, 0x80);
    rtp::set_payload_type(p, 96);
    assert_memory_equal(p, before, sizeof p);
    rtp::set_seq(p, 0xfffe);
    rtp::set_timestamp(p, 0xfedcba98);
    assert_int_equal(rtp::seq(p), 0xfffe);
    assert_int_equal(rtp::timestamp(p), 0xfedcba98u);
    assert_int_equal(p[0], before[0]);
    assert_memory_equal(p + 8, before + 8, 8);  // SSRC and payload untouched
    p[1] = 96;                                  // marker clear stays clear
    rtp::set_payload_type(p, 111);
    assert_int_equal(p[1], 111);
}

// A packet: 12-byte header (+ flags in byte 0 ORed in), then `extra` header
// bytes, then `payload`. Returns the length.
std::size_t vp8_packet(uint8_t* b, uint8_t byte0_flags, const uint8_t* extra, std::size_t extra_len,
                       const uint8_t* payload, std::size_t payload_len) {
    rtp_header(b, 96, false, 1, 2, 3);
    b[0] = static_cast<uint8_t>(b[0] | byte0_flags);
    if (extra_len != 0) std::memcpy(b + 12, extra, extra_len);
    if (payload_len != 0) std::memcpy(b + 12 + extra_len, payload, payload_len);
    return 12 + extra_len + payload_len;
}
bool key(const uint8_t* payload, std::size_t n, uint8_t flags = 0, const uint8_t* extra = nullptr,
         std::size_t extra_len = 0) {
    uint8_t b[64];
    const std::size_t len = vp8_packet(b, flags, extra, extra_len, payload, n);
    return rtp::vp8_keyframe_start(b, len);
}

static void vp8_keyframe_start_descriptor(void**) {
    // Short descriptor: S=1 PID=0, then the payload header (P=0: key frame).
    const uint8_t k[] = {0x10, 0x00, 0x9d};
    const uint8_t d[] = {0x10, 0x01, 0x9d};     // P=1: delta frame
    const uint8_t mid[] = {0x00, 0x00, 0x9d};   // S=0: not a partition start
    const uint8_t pid1[] = {0x11, 0x00, 0x9d};  // PID=1: not the first partition
    assert_true(key(k, sizeof k));
    assert_false(key(d, sizeof d));
    assert_false(key(mid, sizeof mid));
    assert_false(key(pid1, sizeof pid1));
    // X with I (15-bit PictureID, M=1), L (TL0PICIDX) and T (TID/Y/KEYIDX):
    // the payload header is the 6th byte.
    const uint8_t ext_k[] = {0x90, 0xe0, 0x80 | 0x12, 0x34, 0x05, 0x40, 0x00};
    const uint8_t ext_d[] = {0x90, 0xe0, 0x80 | 0x12, 0x34, 0x05, 0x40, 0x01};
    assert_true(key(ext_k, sizeof ext_k));
    assert_false(key(ext_d, sizeof ext_d));
    // 7-bit PictureID (M=0), K only: one byte less.
    const uint8_t short_k[] = {0x90, 0x90, 0x12, 0x40, 0x00};
    assert_true(key(short_k, sizeof short_k));
    // Truncated before the payload header.
    assert_false(key(ext_k, sizeof ext_k - 1));
    assert_false(key(short_k, 2));
    assert_false(key(k, 1));
    assert_false(key(k, 0));
}

static void vp8_keyframe_start_header_extras(void**) {
    const uint8_t k[] = {0x10, 0x00, 0x9d};
    // Two CSRCs (CC=2) and a one-word header extension (X) before the payload.
    const uint8_t csrc[] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_true(key(k, sizeof k, 0x02, csrc, sizeof csrc));
    const uint8_t ext[] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0x00, 0x00};
    assert_true(key(k, sizeof k, 0x10, ext, sizeof ext));
    const uint8_t d[] = {0x10, 0x01, 0x9d};
    assert_false(key(d, sizeof d, 0x10, ext, sizeof ext));
    // Padding (P): the last byte counts it; it may not eat the payload header.
    const uint8_t padded[] = {0x10, 0x00, 0x00, 0x00, 0x03};
    assert_true(key(padded, sizeof padded, 0x20));
    const uint8_t eats[] = {0x10, 0x00, 0x04};  // 4 > what is left: malformed
    assert_false(key(eats, sizeof eats, 0x20));
    const uint8_t eats_header[] = {0x10, 0x00, 0x02};  // leaves only the descriptor
    assert_false(key(eats_header, sizeof eats_header, 0x20));
    const uint8_t zero_pad[] = {0x10, 0x00, 0x00};
    assert_false(key(zero_pad, sizeof zero_pad, 0x20));
    // Not RTP at all.
    uint8_t b[16] = {0x40, 96};
    assert_false(rtp::vp8_keyframe_start(b, sizeof b));
    assert_false(rtp::vp8_keyframe_start(nullptr, 0));
}

static void rewriter_unseeded_starts_at_zero(void**) {
    rtp::SeqRewriter rw;
    uint32_t ts = 0;
    // Base 0/0 and the default step 3000: the first packet becomes 1 / 3000.
    assert_int_equal(feed(&rw, 0xa, 5000, 90000, &ts), 1);
    assert_int_equal(ts, 3000);
    assert_int_equal(feed(&rw, 0xa, 5001, 93000, &ts), 2);
    assert_int_equal(ts, 6000);
}

static void rewriter_continues_from_seed(void**) {
    rtp::SeqRewriter rw;
    rw.seed(4000, 160000, 960);
    uint32_t ts = 0;
    assert_int_equal(feed(&rw, 0x11, 30000, 7, &ts), 4001);
    assert_int_equal(ts, 160960);
    assert_int_equal(feed(&rw, 0x11, 30001, 967, &ts), 4002);
    assert_int_equal(ts, 161920);
    // A gap in the input stays a gap (loss is not hidden).
    assert_int_equal(feed(&rw, 0x11, 30005, 4807, &ts), 4006);
    assert_int_equal(ts, 165760);
}

static void rewriter_wraps_around(void**) {
    rtp::SeqRewriter rw;
    rw.seed(65534, 0xfffffc00u, 960);
    uint32_t ts = 0;
    // Output wraps: 65535, 0, 1; timestamps wrap through 2^32.
    assert_int_equal(feed(&rw, 0x22, 100, 1000, &ts), 65535);
    assert_int_equal(ts, 0xffffffc0u);
    assert_int_equal(feed(&rw, 0x22, 101, 1960, &ts), 0);
    assert_int_equal(ts, 0x380u);
    assert_int_equal(feed(&rw, 0x22, 102, 2920, &ts), 1);
    // Input wraps too: 65535 -> 0 in, continuous out.
    rtp::SeqRewriter in_wrap;
    in_wrap.seed(10, 10, 3000);
    assert_int_equal(feed(&in_wrap, 0x33, 65534, 0xfffff000u, &ts), 11);
    assert_int_equal(ts, 3010);
    assert_int_equal(feed(&in_wrap, 0x33, 65535, 0xfffff000u + 3000, &ts), 12);
    assert_int_equal(feed(&in_wrap, 0x33, 0, 0xfffff000u + 6000, &ts), 13);
    assert_int_equal(ts, 9010);
    assert_int_equal(feed(&in_wrap, 0x33, 1, 0xfffff000u + 9000, &ts), 14);
}

static void rewriter_ssrc_switch_is_continuous(void**) {
    rtp::SeqRewriter rw;
    rw.seed(0, 0, 3000);
    uint32_t ts = 0;
    // Camera of participant A on this slot...
    assert_int_equal(feed(&rw, 0xaaaa, 1000, 500000, &ts), 1);
    assert_int_equal(ts, 3000);
    assert_int_equal(feed(&rw, 0xaaaa, 1001, 503000, &ts), 2);
    assert_int_equal(ts, 6000);
    // ... replaced by B's screen: continues right after the last output.
    assert_int_equal(feed(&rw, 0xbbbb, 60000, 42, &ts), 3);
    assert_int_equal(ts, 9000);
    assert_int_equal(feed(&rw, 0xbbbb, 60001, 3042, &ts), 4);
    assert_int_equal(ts, 12000);
    // ... and back to A, whose numbers moved on meanwhile.
    assert_int_equal(feed(&rw, 0xaaaa, 1500, 2000000, &ts), 5);
    assert_int_equal(ts, 15000);
    assert_int_equal(feed(&rw, 0xaaaa, 1501, 2003000, &ts), 6);
    assert_int_equal(ts, 18000);
}

// A late (reordered) packet comes out with its old number but does not pull
// "the last output" back: a switch right after it never reuses numbers.
static void rewriter_reordering_before_switch(void**) {
    rtp::SeqRewriter rw;
    rw.seed(0, 0, 3000);
    uint32_t ts = 0;
    assert_int_equal(feed(&rw, 1, 10, 1000, &ts), 1);
    assert_int_equal(feed(&rw, 1, 12, 7000, &ts), 3);
    assert_int_equal(ts, 9000);
    assert_int_equal(feed(&rw, 1, 11, 4000, &ts), 2);  // late
    assert_int_equal(ts, 6000);
    assert_int_equal(feed(&rw, 2, 500, 1, &ts), 4);
    assert_int_equal(ts, 12000);
}

static void rewriter_reseed_restarts(void**) {
    rtp::SeqRewriter rw;
    uint32_t ts = 0;
    assert_int_equal(feed(&rw, 7, 10, 10, &ts), 1);
    // Same SSRC, but seed() means "a new slot history": offsets recomputed.
    rw.seed(999, 5000, 960);
    assert_int_equal(feed(&rw, 7, 11, 970, &ts), 1000);
    assert_int_equal(ts, 5960);
    uint8_t pkt[12];
    rtp_header(pkt, 96, false, 12, 1930, 7);
    rw.rewrite(pkt, nullptr, nullptr);  // out-parameters are optional
    assert_int_equal(rtp::seq(pkt), 1001);
    assert_int_equal(rtp::timestamp(pkt), 6920);
}

// Packets the plugin held back (gap()) are no loss: the output continues at
// last + 1, the timestamps keep the source's clock (it ran on meanwhile).
// A packet from before the re-base is dropped; losses upstream stay gaps.
static void rewriter_gap_continues_the_sequence(void**) {
    rtp::SeqRewriter rw;
    rw.seed(100, 1000, 960);
    uint32_t ts = 0;
    assert_int_equal(feed(&rw, 5, 7000, 48000, &ts), 101);
    assert_int_equal(ts, 1960);
    for (int i = 1; i <= 175; ++i) rw.gap();  // 175 packets dropped by the gate
    assert_int_equal(feed(&rw, 5, 7176, 48000 + 176 * 960, &ts), 102);  // was 277
    assert_int_equal(ts, 1960 + 176 * 960);
    assert_int_equal(feed(&rw, 5, 7177, 48000 + 177 * 960, &ts), 103);
    // Late packets from before the gap: dropped, buffer untouched.
    uint8_t pkt[12];
    rtp_header(pkt, 96, false, 7100, 1, 5);
    assert_false(rw.rewrite(pkt, nullptr, nullptr));
    assert_int_equal(rtp::seq(pkt), 7100);
    rtp_header(pkt, 96, false, 7000, 1, 5);
    assert_false(rw.rewrite(pkt, nullptr, nullptr));
    // A loss upstream (7178 never came) stays a gap.
    assert_int_equal(feed(&rw, 5, 7179, 48000 + 179 * 960, &ts), 105);
    // gap() before anything was sent changes nothing.
    rtp::SeqRewriter fresh;
    fresh.seed(9, 90, 960);
    fresh.gap();
    assert_int_equal(feed(&fresh, 6, 500, 0, &ts), 10);
    assert_int_equal(feed(&fresh, 6, 501, 960, &ts), 11);
    // The floor lets go once the input is far past it (no false drops after
    // the sequence wraps).
    for (uint32_t i = 2; i < 0x10000u + 10; ++i) {
        uint8_t b[12];
        rtp_header(b, 96, false, static_cast<uint16_t>(500 + i), 960 * i, 6);
        assert_true(fresh.rewrite(b, nullptr, nullptr));
    }
}

// A switch of source advances the timestamps by the wall time since the
// last packet sent (at least ts_step) when the clock is known.
static void rewriter_switch_advances_by_wall_time(void**) {
    rtp::SeqRewriter rw;
    rw.seed(10, 5000, 960, 1'000'000, 48000);
    uint8_t pkt[12];
    rtp_header(pkt, 111, false, 300, 777, 0x1);
    uint16_t s = 0;
    uint32_t t = 0;
    assert_true(rw.rewrite(pkt, &s, &t, 4'000'000));  // 3 s later
    assert_int_equal(s, 11);
    assert_int_equal(t, 5000 + 3 * 48000);
    rtp_header(pkt, 111, false, 301, 777 + 960, 0x1);
    assert_true(rw.rewrite(pkt, &s, &t, 4'020'000));
    assert_int_equal(t, 5000 + 3 * 48000 + 960);
    // Another source 1 ms later: at least one step.
    rtp_header(pkt, 111, false, 9, 9, 0x2);
    assert_true(rw.rewrite(pkt, &s, &t, 4'021'000));
    assert_int_equal(s, 13);
    assert_int_equal(t, 5000 + 3 * 48000 + 960 + 960);
}

// A switch after a long idle time: the advance is capped at an hour of
// clock, far below 2^31, so it never wraps into a timestamp that receivers
// read as going backwards (7 h of 90 kHz is more than 2^31, 25 h of 48 kHz
// more than 2^32).
static void rewriter_switch_after_long_idle_is_capped(void**) {
    const int64_t hour_us = 3600LL * 1'000'000;
    rtp::SeqRewriter video;
    video.seed(10, 5000, 3000, 1'000'000, 90000);
    uint8_t pkt[12];
    rtp_header(pkt, 96, false, 300, 777, 0x1);
    uint16_t s = 0;
    uint32_t t = 0;
    assert_true(video.rewrite(pkt, &s, &t, 1'000'000 + 7 * hour_us));
    assert_int_equal(s, 11);
    assert_int_equal(t, 5000u + 3600u * 90000u);
    assert_true(static_cast<int32_t>(t - 5000u) > 0);
    rtp::SeqRewriter audio;
    audio.seed(10, 5000, 960, 1'000'000, 48000);
    rtp_header(pkt, 111, false, 300, 777, 0x1);
    assert_true(audio.rewrite(pkt, &s, &t, 1'000'000 + 25 * hour_us));
    assert_int_equal(t, 5000u + 3600u * 48000u);
    // Under the cap, the wall time as before: 59 min of 48 kHz.
    rtp::SeqRewriter below;
    below.seed(10, 5000, 960, 1'000'000, 48000);
    rtp_header(pkt, 111, false, 300, 777, 0x1);
    assert_true(below.rewrite(pkt, &s, &t, 1'000'000 + 59 * 60 * 1'000'000LL));
    assert_int_equal(t, 5000u + 59u * 60u * 48000u);
}

static void rtcp_sr_plus_pli(void**) {
    // Chrome's typical compound: SR (no report blocks, 28 bytes) + PLI (12).
    uint8_t b[40] = {};
    rtcp_header(b, 0, 200, 6);
    rtcp_header(b + 28, 1, 206, 2);
    assert_true(rtp::is_valid_rtcp(b, 40));
    assert_true(rtp::has_keyframe_request(b, 40));
    // Only the SR: valid, no request.
    assert_true(rtp::is_valid_rtcp(b, 28));
    assert_false(rtp::has_keyframe_request(b, 28));
    // Cut anywhere inside the PLI: malformed, so no request either.
    for (std::size_t len = 29; len < 40; ++len) {
        assert_false(rtp::is_valid_rtcp(b, len));
        assert_false(rtp::has_keyframe_request(b, len));
    }
}

static void rtcp_fir_and_other_feedback(void**) {
    // RR (one report block, 32 bytes) + FIR with one entry (20 bytes).
    uint8_t b[52] = {};
    rtcp_header(b, 1, 201, 7);
    rtcp_header(b + 32, 4, 206, 4);
    assert_true(rtp::is_valid_rtcp(b, 52));
    assert_true(rtp::has_keyframe_request(b, 52));
    // REMB (PSFB FMT 15) is not a keyframe request.
    rtcp_header(b + 32, 15, 206, 4);
    assert_true(rtp::is_valid_rtcp(b, 52));
    assert_false(rtp::has_keyframe_request(b, 52));
    // Generic NACK (RTPFB 205 FMT 1) is not a PLI.
    rtcp_header(b + 32, 1, 205, 4);
    assert_false(rtp::has_keyframe_request(b, 52));
    // A FIR without its FCI entry (12 bytes) does not count.
    rtcp_header(b + 32, 4, 206, 2);
    assert_true(rtp::is_valid_rtcp(b, 44));
    assert_false(rtp::has_keyframe_request(b, 44));
    // A PLI block of 4 bytes (length 0) carries no SSRCs: not a request.
    rtcp_header(b + 32, 1, 206, 0);
    assert_true(rtp::is_valid_rtcp(b, 36));
    assert_false(rtp::has_keyframe_request(b, 36));
}

static void rtcp_malformed(void**) {
    uint8_t b[40] = {};
    rtcp_header(b, 0, 200, 6);
    rtcp_header(b + 28, 1, 206, 2);
    assert_false(rtp::is_valid_rtcp(nullptr, 40));
    assert_false(rtp::has_keyframe_request(nullptr, 40));
    assert_false(rtp::is_valid_rtcp(b, 0));
    assert_false(rtp::is_valid_rtcp(b, 3));
    // The SR claims more than there is.
    rtcp_header(b, 0, 200, 0xffff);
    assert_false(rtp::is_valid_rtcp(b, 40));
    assert_false(rtp::has_keyframe_request(b, 40));
    // The SR claims 8 bytes: the PLI is then read from byte 8 (zeros, version 0).
    rtcp_header(b, 0, 200, 1);
    assert_false(rtp::is_valid_rtcp(b, 40));
    assert_false(rtp::has_keyframe_request(b, 40));
    // A PLI first, then garbage: malformed as a whole, so not a request.
    uint8_t c[16] = {};
    rtcp_header(c, 1, 206, 2);
    c[12] = 0x80;
    c[13] = 72;  // RTP payload type, not RTCP
    assert_true(rtp::has_keyframe_request(c, 12));
    assert_false(rtp::is_valid_rtcp(c, 16));
    assert_false(rtp::has_keyframe_request(c, 16));
    // Trailing bytes shorter than a header.
    assert_false(rtp::has_keyframe_request(c, 14));
    // Wrong version.
    rtcp_header(c, 1, 206, 2);
    c[0] = 0x41;
    assert_false(rtp::is_valid_rtcp(c, 12));
    assert_false(rtp::has_keyframe_request(c, 12));
    // Packet types at the edges of 192..223.
    rtcp_header(c, 0, 191, 2);
    assert_false(rtp::is_valid_rtcp(c, 12));
    rtcp_header(c, 0, 192, 2);
    assert_true(rtp::is_valid_rtcp(c, 12));
    rtcp_header(c, 0, 223, 2);
    assert_true(rtp::is_valid_rtcp(c, 12));
    rtcp_header(c, 0, 224, 2);
    assert_false(rtp::is_valid_rtcp(c, 12));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rtp_minimal_header),
        cmocka_unit_test(rtp_csrc_bounds),
        cmocka_unit_test(rtp_extension_bounds),
        cmocka_unit_test(rtp_setters_keep_the_rest),
        cmocka_unit_test(vp8_keyframe_start_descriptor),
        cmocka_unit_test(vp8_keyframe_start_header_extras),
        cmocka_unit_test(rewriter_unseeded_starts_at_zero),
        cmocka_unit_test(rewriter_gap_continues_the_sequence),
        cmocka_unit_test(rewriter_switch_advances_by_wall_time),
        cmocka_unit_test(rewriter_switch_after_long_idle_is_capped),
        cmocka_unit_test(rewriter_continues_from_seed),
        cmocka_unit_test(rewriter_wraps_around),
        cmocka_unit_test(rewriter_ssrc_switch_is_continuous),
        cmocka_unit_test(rewriter_reordering_before_switch),
        cmocka_unit_test(rewriter_reseed_restarts),
        cmocka_unit_test(rtcp_sr_plus_pli),
        cmocka_unit_test(rtcp_fir_and_other_feedback),
        cmocka_unit_test(rtcp_malformed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
