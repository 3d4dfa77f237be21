// RTP / RTCP header access on the hot path (see rtp.hpp).
//
// Everything here runs for every packet: no allocation, no exception, no
// lock. A packet that does not pass the checks is "not valid" and the caller
// drops it; nothing is ever read outside [buf, buf + len).
//
// RTP fixed header (RFC 3550 section 5.1), big-endian:
//   byte 0: V(2) P(1) X(1) CC(4)   byte 1: M(1) PT(7)
//   bytes 2-3 sequence number, 4-7 timestamp, 8-11 SSRC, then CC CSRCs
//   (4 bytes each), then, if X, an extension header: 2 bytes profile,
//   2 bytes length in 32-bit words, then that many words.
//
// RTCP (RFC 3550 section 6.4, RFC 4585 section 6.1): a compound packet is a
// sequence of blocks, each starting with V(2) P(1) FMT/RC(5), PT(8), and a
// 16-bit length = block size in 32-bit words minus one.
#include "plugin/rtp.hpp"

#include <algorithm>

namespace telemed::plugin::rtp {
namespace {

constexpr std::size_t kRtpFixedHeader = 12;
constexpr std::size_t kRtcpHeader = 4;
constexpr uint8_t kRtcpPsfb = 206;  // payload-specific feedback (RFC 4585)
constexpr uint8_t kFmtPli = 1;      // picture loss indication (RFC 4585 6.3.1)
constexpr uint8_t kFmtFir = 4;      // full intra request (RFC 5104 4.3.1)
// A PLI carries the sender and media SSRCs (12 bytes in all); a FIR carries
// at least one 8-byte FCI entry after them (20 bytes). Shorter blocks of
// these types are not requests we can honour.
constexpr std::size_t kMinPliBytes = 12;
constexpr std::size_t kMinFirBytes = 20;

inline uint16_t be16(const uint8_t* p) noexcept { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t be32(const uint8_t* p) noexcept {
    return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
           (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
inline void put16(uint8_t* p, uint16_t v) noexcept {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) noexcept {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

// The RTCP walk shared by is_valid_rtcp and has_keyframe_request. The whole
// buffer must be a sequence of well-formed blocks that ends exactly at
// `len` (Janus hands us one decrypted compound packet, so trailing bytes
// mean a corrupt length field, and nothing after it can be trusted).
// `keyframe` (optional) is set if a PLI or FIR block was seen.
bool walk_rtcp(const uint8_t* buf, std::size_t len, bool* keyframe) noexcept {
    if (buf == nullptr || len < kRtcpHeader) return false;
    bool found = false;
    std::size_t off = 0;
    while (off < len) {
        if (len - off < kRtcpHeader) return false;
        const uint8_t* b = buf + off;
        if ((b[0] >> 6) != 2) return false;
        const uint8_t pt = b[1];
        if (pt < 192 || pt > 223) return false;
        // (length + 1) * 4 <= 65536 * 4: no overflow in size_t.
        const std::size_t block = (static_cast<std::size_t>(be16(b + 2)) + 1) * 4;
        if (block > len - off) return false;
        if (pt == kRtcpPsfb) {
            const uint8_t fmt = b[0] & 0x1f;
            if ((fmt == kFmtPli && block >= kMinPliBytes) || (fmt == kFmtFir && block >= kMinFirBytes)) found = true;
        }
        off += block;
    }
    if (keyframe != nullptr) *keyframe = found;
    return true;
}

// The RTP header's length (fixed part, CSRCs, extension), or 0 if the packet
// is not valid RTP (version, or a header that does not fit in `len`).
std::size_t rtp_header_length(const uint8_t* buf, std::size_t len) noexcept {
    if (buf == nullptr || len < kRtpFixedHeader) return 0;
    if ((buf[0] >> 6) != 2) return 0;
    std::size_t header = kRtpFixedHeader + 4u * (buf[0] & 0x0f);
    if (header > len) return 0;
    if (buf[0] & 0x10) {  // X: the extension header must fit, with its words
        if (len - header < 4) return 0;
        header += 4 + 4u * static_cast<std::size_t>(be16(buf + header + 2));
        if (header > len) return 0;
    }
    return header;
}

}  // namespace

bool is_valid_rtp(const uint8_t* buf, std::size_t len) noexcept { return rtp_header_length(buf, len) != 0; }

// VP8 RTP payload (RFC 7741 section 4): a payload descriptor, then, at the
// start of a partition, the VP8 payload header.
//   descriptor byte 0: X R N S R PID(3); if X, byte 1: I L T K RSV(4), then
//   PictureID (1 byte, or 2 if its first bit M is set) if I, TL0PICIDX if L,
//   one byte TID/Y/KEYIDX if T or K.
//   payload header byte 0: Size0(3) H VER(3) P, P = 0 on a key frame.
// A key frame starts where S = 1, PID = 0 and P = 0.
bool vp8_keyframe_start(const uint8_t* buf, std::size_t len) noexcept {
    const std::size_t off = rtp_header_length(buf, len);
    if (off == 0) return false;
    std::size_t end = len;
    if (buf[0] & 0x20) {  // P: the last byte counts the padding, itself included
        const uint8_t pad = buf[len - 1];
        if (pad == 0 || pad > end - off) return false;
        end -= pad;
    }
    if (off >= end) return false;
    const uint8_t* p = buf + off;
    const std::size_t n = end - off;
    if ((p[0] & 0x10) == 0 || (p[0] & 0x07) != 0) return false;  // not S=1, PID=0
    std::size_t i = 1;
    if (p[0] & 0x80) {
        if (i >= n) return false;
        const uint8_t x = p[i++];
        if (x & 0x80) {
            if (i >= n) return false;
            i += (p[i] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) i += 1;
        if (x & 0x30) i += 1;
    }
    return i < n && (p[i] & 0x01) == 0;
}

uint8_t payload_type(const uint8_t* buf) noexcept { return buf[1] & 0x7f; }
uint16_t seq(const uint8_t* buf) noexcept { return be16(buf + 2); }
uint32_t timestamp(const uint8_t* buf) noexcept { return be32(buf + 4); }
uint32_t ssrc(const uint8_t* buf) noexcept { return be32(buf + 8); }

void set_payload_type(uint8_t* buf, uint8_t pt) noexcept {
    buf[1] = static_cast<uint8_t>((buf[1] & 0x80) | (pt & 0x7f));
}
void set_seq(uint8_t* buf, uint16_t v) noexcept { put16(buf + 2, v); }
void set_timestamp(uint8_t* buf, uint32_t v) noexcept { put32(buf + 4, v); }

bool has_keyframe_request(const uint8_t* buf, std::size_t len) noexcept {
    bool keyframe = false;
    return walk_rtcp(buf, len, &keyframe) && keyframe;
}

bool is_valid_rtcp(const uint8_t* buf, std::size_t len) noexcept { return walk_rtcp(buf, len, nullptr); }

// ------------------------------------------------------------ SeqRewriter
//
// On the first packet after seed() and whenever the incoming SSRC changes,
// the offsets are chosen so that this packet comes out right after the last
// one sent on the slot:
//     seq_off = last_out_seq + 1       - in_seq   (mod 2^16)
//     ts_off  = last_out_ts  + advance - in_ts    (mod 2^32)
// where `advance` is the wall time since the last packet sent in RTP clock
// units (Janus computes its sender reports from the last packet's timestamp
// and the wall clock, so timestamps that follow real time keep receivers'
// jitter estimates and lip sync right), at least ts_step and at most an hour
// of clock (a longer idle time would come close to 2^31 and wrap).
// After gap() (same SSRC, the plugin dropped some of its packets) only the
// sequence offset is recomputed; the source's timestamps ran on in real time
// while its packets were dropped, so the timestamp offset is kept.
// Every packet then leaves as in + off (mod 2^16 / 2^32). Unsigned
// arithmetic wraps by definition, so wrap-around needs no special case.
//
// "The last output" is the newest one, compared serial-number style
// (RFC 1982): a late, reordered packet does not pull it back, so a switch
// right after a reordering never reuses sequence numbers the receiver has
// already seen. For in-order streams this is simply the previous packet.
// For the same reason, after a re-base a packet older than the one it was
// based on is dropped until the input has moved kFloorWindow past it.

namespace {
constexpr uint16_t kFloorWindow = 0x2000;
// The most a switch advances the timestamps: an hour of wall time, and
// never 2^31 or more (a serial-number step backwards) whatever the clock.
constexpr int64_t kMaxAdvanceUs = 3600LL * 1'000'000;
constexpr uint64_t kMaxAdvanceTs = 0x7fffffffu;
}  // namespace

void SeqRewriter::seed(uint16_t last_out_seq, uint32_t last_out_ts, uint32_t ts_step, int64_t last_out_us,
                       uint32_t clock_hz) noexcept {
    started_ = false;
    resync_ = false;
    floor_active_ = false;
    last_seq_ = last_out_seq;
    last_ts_ = last_out_ts;
    ts_step_ = ts_step;
    last_us_ = last_out_us;
    clock_hz_ = clock_hz;
}

bool SeqRewriter::rewrite(uint8_t* buf, uint16_t* out_seq, uint32_t* out_ts, int64_t now_us) noexcept {
    const uint16_t in_seq = seq(buf);
    const uint32_t in_ts = timestamp(buf);
    const uint32_t in_ssrc = ssrc(buf);
    const bool switched = !started_ || in_ssrc != in_ssrc_;
    if (!switched && floor_active_) {
        const auto ahead = static_cast<int16_t>(static_cast<uint16_t>(in_seq - floor_));
        if (ahead < 0) return false;  // from before the re-base
        if (ahead > static_cast<int16_t>(kFloorWindow)) floor_active_ = false;
    }
    if (switched) {
        uint32_t advance = ts_step_;
        if (clock_hz_ != 0 && last_us_ > 0 && now_us > last_us_) {
            // At most kMaxAdvanceUs of clock: a slot idle for hours would
            // otherwise wrap (2^31 of 90 kHz is 6.6 h) into a step that
            // receivers read as going backwards.
            const auto idle_us = static_cast<uint64_t>(std::min(now_us - last_us_, kMaxAdvanceUs));
            const uint64_t elapsed = std::min<uint64_t>(idle_us * clock_hz_ / 1'000'000, kMaxAdvanceTs);
            if (elapsed > advance) advance = static_cast<uint32_t>(elapsed);
        }
        seq_off_ = static_cast<uint16_t>(last_seq_ + 1u - in_seq);
        ts_off_ = last_ts_ + advance - in_ts;
        in_ssrc_ = in_ssrc;
        started_ = true;
    } else if (resync_) {
        seq_off_ = static_cast<uint16_t>(last_seq_ + 1u - in_seq);
    }
    if (switched || resync_) {
        floor_ = in_seq;
        floor_active_ = true;
        resync_ = false;
    }
    const auto s = static_cast<uint16_t>(in_seq + seq_off_);
    const uint32_t t = in_ts + ts_off_;
    set_seq(buf, s);
    set_timestamp(buf, t);
    if (switched || static_cast<int16_t>(static_cast<uint16_t>(s - last_seq_)) > 0) last_seq_ = s;
    if (switched || static_cast<int32_t>(t - last_ts_) > 0) last_ts_ = t;
    if (now_us > 0) last_us_ = now_us;
    if (out_seq != nullptr) *out_seq = s;
    if (out_ts != nullptr) *out_ts = t;
    return true;
}

}  // namespace telemed::plugin::rtp
