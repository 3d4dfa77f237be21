// RTP / RTCP header access and SeqRewriter (plugin/rtp.hpp): the hot-path
// parsers, fed raw bytes. ASan catches any read outside the input (libFuzzer
// hands over an exactly-sized buffer). Properties:
//  - is_valid_rtp agrees with a reference check written here from RFC 3550,
//    vp8_keyframe_start with one written from RFC 7741;
//    for a valid packet the accessors read the fixed header, and the setters
//    change exactly the bytes they own (the marker bit is kept);
//  - is_valid_rtcp / has_keyframe_request agree with a reference walk of the
//    compound packet, and a keyframe request implies a valid compound;
//  - SeqRewriter, driven by packets made from the input, matches a model:
//    continuous output after every seed and SSRC switch (last newest + 1,
//    last newest ts + step), a constant offset in between, and wrap-around
//    by modular arithmetic only.
#include <cstring>
#include <vector>

#include "plugin/rtp.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed::plugin;

namespace {

uint32_t rd32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// RFC 3550 section 5.1 / 5.3.1, written as a length budget.
bool reference_rtp(const uint8_t* b, std::size_t n) {
    if (n < 12 || (b[0] & 0xc0) != 0x80) return false;
    const std::size_t csrc_end = 12 + 4 * static_cast<std::size_t>(b[0] & 0x0f);
    if (n < csrc_end) return false;
    if (!(b[0] & 0x10)) return true;
    if (n < csrc_end + 4) return false;
    return n >= csrc_end + 4 + 4 * static_cast<std::size_t>(rd16(b + csrc_end + 2));
}

// RFC 3550 section 6.4 / RFC 4585 section 6.1: the whole buffer is blocks.
// Returns -1 malformed, 0 valid without keyframe request, 1 with one.
int reference_rtcp(const uint8_t* b, std::size_t n) {
    if (n < 4) return -1;
    int kf = 0;
    std::size_t at = 0;
    while (at != n) {
        if (n - at < 4 || (b[at] >> 6) != 2 || b[at + 1] < 192 || b[at + 1] > 223) return -1;
        const std::size_t words = rd16(b + at + 2);
        if ((words + 1) * 4 > n - at) return -1;
        const unsigned fmt = b[at] & 0x1f;
        if (b[at + 1] == 206 && ((fmt == 1 && words >= 2) || (fmt == 4 && words >= 4))) kf = 1;
        at += (words + 1) * 4;
    }
    return kf;
}

// RFC 7741 section 4, written as "find the payload, skip the descriptor".
bool reference_vp8_key(const uint8_t* b, std::size_t n) {
    if (!reference_rtp(b, n)) return false;
    std::size_t begin = 12 + 4 * static_cast<std::size_t>(b[0] & 0x0f);
    if (b[0] & 0x10) begin += 4 + 4 * static_cast<std::size_t>(rd16(b + begin + 2));
    std::size_t end = n;
    if (b[0] & 0x20) {
        if (b[n - 1] == 0 || b[n - 1] > end - begin) return false;
        end -= b[n - 1];
    }
    std::vector<uint8_t> p(b + begin, b + end);
    if (p.empty() || !(p[0] & 0x10) || (p[0] & 0x07)) return false;
    std::size_t skip = 1;
    if (p[0] & 0x80) {
        if (p.size() < 2) return false;
        skip = 2;
        if (p[1] & 0x80) {
            if (p.size() < 3) return false;
            skip += (p[2] & 0x80) ? 2 : 1;
        }
        skip += (p[1] & 0x40) ? 1 : 0;
        skip += (p[1] & 0x30) ? 1 : 0;
    }
    return p.size() > skip && (p[skip] & 1) == 0;
}

void check_rtp(const uint8_t* data, std::size_t size) {
    const bool valid = rtp::is_valid_rtp(data, size);
    FUZZ_CHECK(valid == reference_rtp(data, size));
    const bool key = rtp::vp8_keyframe_start(data, size);
    FUZZ_CHECK(key == reference_vp8_key(data, size));
    FUZZ_CHECK(!key || valid);
    if (!valid) return;
    FUZZ_CHECK(rtp::payload_type(data) == (data[1] & 0x7f));
    FUZZ_CHECK(rtp::seq(data) == rd16(data + 2));
    FUZZ_CHECK(rtp::timestamp(data) == rd32(data + 4));
    FUZZ_CHECK(rtp::ssrc(data) == rd32(data + 8));

    std::vector<uint8_t> copy(data, data + size);
    const uint8_t pt = static_cast<uint8_t>(data[size - 1] ^ data[0]);
    rtp::set_payload_type(copy.data(), pt);
    rtp::set_seq(copy.data(), static_cast<uint16_t>(~rtp::seq(data)));
    rtp::set_timestamp(copy.data(), ~rtp::timestamp(data));
    FUZZ_CHECK(rtp::is_valid_rtp(copy.data(), copy.size()));
    FUZZ_CHECK(rtp::payload_type(copy.data()) == (pt & 0x7f));
    FUZZ_CHECK((copy[1] & 0x80) == (data[1] & 0x80));
    FUZZ_CHECK(rtp::seq(copy.data()) == static_cast<uint16_t>(~rtp::seq(data)));
    FUZZ_CHECK(rtp::timestamp(copy.data()) == static_cast<uint32_t>(~rtp::timestamp(data)));
    FUZZ_CHECK(copy[0] == data[0]);
    FUZZ_CHECK(std::memcmp(copy.data() + 8, data + 8, size - 8) == 0);
}

void check_rtcp(const uint8_t* data, std::size_t size) {
    const int ref = reference_rtcp(data, size);
    const bool valid = rtp::is_valid_rtcp(data, size);
    const bool kf = rtp::has_keyframe_request(data, size);
    FUZZ_CHECK(valid == (ref >= 0));
    FUZZ_CHECK(kf == (ref == 1));
    FUZZ_CHECK(!kf || valid);
}

// The input as a script for one SeqRewriter: a 10-byte seed (seq, ts,
// step), then 7-byte packets: SSRC selector (1 of 4), seq delta (int8),
// ts delta (int32 big-endian), and a flags byte: 0x80 "re-seed here" (with
// the last output as the seed, as a slot handover would do), 0x40 "the
// plugin dropped packets of this stream just before" (gap()).
// The properties (plugin/rtp.hpp): a new source continues at last + 1 with
// the timestamps one step on (no clock given); after gap() the sequence
// continues at last + 1 and the timestamps keep the source's clock; within
// a stream otherwise, a constant offset (upstream losses stay gaps); a
// packet from before the last re-base (within the window) is dropped,
// untouched.
constexpr uint16_t kFloorWindow = 0x2000;  // plugin/rtp.cpp

void check_rewriter(const uint8_t* data, std::size_t size) {
    if (size < 10) return;
    uint16_t last_seq = rd16(data);
    uint32_t last_ts = rd32(data + 2);
    uint32_t step = rd32(data + 6);
    rtp::SeqRewriter rw;
    rw.seed(last_seq, last_ts, step);

    bool started = false;
    bool gap_pending = false;
    bool floor_active = false;
    uint16_t floor = 0;
    uint32_t cur_ssrc = 0;
    uint16_t seq_off = 0;
    uint32_t ts_off = 0;
    uint16_t in_seq[4] = {100, 30000, 65000, 0};
    uint32_t in_ts[4] = {0, 0x7fffffff, 0xfffff000u, 12345};

    for (std::size_t at = 10; at + 7 <= size && at < 10 + 7 * 512; at += 7) {
        const uint8_t* r = data + at;
        const unsigned k = r[0] & 3;
        const uint32_t ss = 0x1000 + k;
        in_seq[k] = static_cast<uint16_t>(in_seq[k] + static_cast<int8_t>(r[1]));
        in_ts[k] += rd32(r + 2);
        if (r[6] & 0x80) {
            rw.seed(last_seq, last_ts, step);
            started = false;
            gap_pending = false;
            floor_active = false;
        }
        if (r[6] & 0x40) {
            rw.gap();
            gap_pending = started;
        }
        uint8_t pkt[12] = {0x80, 96};
        pkt[2] = static_cast<uint8_t>(in_seq[k] >> 8);
        pkt[3] = static_cast<uint8_t>(in_seq[k]);
        for (int i = 0; i < 4; ++i) {
            pkt[4 + i] = static_cast<uint8_t>(in_ts[k] >> (24 - 8 * i));
            pkt[8 + i] = static_cast<uint8_t>(ss >> (24 - 8 * i));
        }
        FUZZ_CHECK(rtp::is_valid_rtp(pkt, sizeof pkt));
        uint8_t before[sizeof pkt];
        std::memcpy(before, pkt, sizeof pkt);
        uint16_t out_seq = 0;
        uint32_t out_ts = 0;
        const bool switched = !started || ss != cur_ssrc;

        bool expect_drop = false;
        if (!switched && floor_active) {
            const auto ahead = static_cast<int16_t>(static_cast<uint16_t>(in_seq[k] - floor));
            if (ahead < 0) expect_drop = true;
            else if (ahead > static_cast<int16_t>(kFloorWindow)) floor_active = false;
        }
        const bool sent = rw.rewrite(pkt, &out_seq, &out_ts);
        FUZZ_CHECK(sent == !expect_drop);
        if (!sent) {
            FUZZ_CHECK(std::memcmp(pkt, before, sizeof pkt) == 0);
            continue;
        }
        FUZZ_CHECK(rtp::seq(pkt) == out_seq && rtp::timestamp(pkt) == out_ts && rtp::ssrc(pkt) == ss);

        if (switched) {
            // Continuity: right after the newest output (or the seed).
            FUZZ_CHECK(out_seq == static_cast<uint16_t>(last_seq + 1));
            FUZZ_CHECK(out_ts == last_ts + step);
            seq_off = static_cast<uint16_t>(out_seq - in_seq[k]);
            ts_off = out_ts - in_ts[k];
            started = true;
            cur_ssrc = ss;
        } else if (gap_pending) {
            // A gap the plugin made: the sequence continues, the source's
            // clock is kept.
            FUZZ_CHECK(out_seq == static_cast<uint16_t>(last_seq + 1));
            FUZZ_CHECK(out_ts == in_ts[k] + ts_off);
            seq_off = static_cast<uint16_t>(out_seq - in_seq[k]);
        } else {
            // Same stream: a constant offset, so gaps and order are preserved.
            FUZZ_CHECK(out_seq == static_cast<uint16_t>(in_seq[k] + seq_off));
            FUZZ_CHECK(out_ts == in_ts[k] + ts_off);
        }
        if (switched || gap_pending) {
            floor = in_seq[k];
            floor_active = true;
            gap_pending = false;
        }
        if (switched || static_cast<int16_t>(static_cast<uint16_t>(out_seq - last_seq)) > 0) last_seq = out_seq;
        if (switched || static_cast<int32_t>(out_ts - last_ts) > 0) last_ts = out_ts;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    check_rtp(data, size);
    check_rtcp(data, size);
    check_rewriter(data, size);
    return 0;
}
