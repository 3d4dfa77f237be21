// RTP / RTCP header access for the hot path: no allocation, no exception,
// bounds-checked views over the buffer Janus hands us (already decrypted).
// mediasoup style: an invalid packet is "not valid" and gets dropped.
#pragma once
#include <cstddef>
#include <cstdint>

namespace telemed::plugin::rtp {

// Minimal RTP header check: length >= 12, version 2, and the CSRC list and
// (if the X bit is set) the extension header fit in `len`.
bool is_valid_rtp(const uint8_t* buf, std::size_t len) noexcept;

// Accessors: callers must have checked is_valid_rtp.
uint8_t payload_type(const uint8_t* buf) noexcept;
uint16_t seq(const uint8_t* buf) noexcept;
uint32_t timestamp(const uint8_t* buf) noexcept;
uint32_t ssrc(const uint8_t* buf) noexcept;
void set_payload_type(uint8_t* buf, uint8_t pt) noexcept;  // keeps the marker bit
void set_seq(uint8_t* buf, uint16_t v) noexcept;
void set_timestamp(uint8_t* buf, uint32_t v) noexcept;

// true if the packet (valid RTP, VP8 payload) carries the first bytes of a
// VP8 key frame. Any malformed payload returns false.
bool vp8_keyframe_start(const uint8_t* buf, std::size_t len) noexcept;

// RTCP: walks a compound packet (each block's length field bounded by `len`).
// true if any block is a keyframe request: PLI (PT 206, FMT 1) or FIR
// (PT 206, FMT 4). Malformed input returns false.
bool has_keyframe_request(const uint8_t* buf, std::size_t len) noexcept;
// true if `len` bytes hold at least one well-formed RTCP block (version 2,
// PT 192..223, lengths consistent).
bool is_valid_rtcp(const uint8_t* buf, std::size_t len) noexcept;

// Per (source -> subscriber slot) rewriting of sequence numbers and
// timestamps, so a slot's outgoing stream stays continuous whenever the
// plugin makes a gap in it (the SSRC itself is rewritten by the Janus core):
//  - the source it carries changes (another publisher, a new SSRC): the
//    output continues at last seq + 1, its timestamps advance by the wall
//    time elapsed since the last packet sent (at least `ts_step`, at most
//    an hour of clock);
//  - the plugin dropped packets of the same source meanwhile (mute, revoked
//    permission, subscriber not receiving: gap()): the output continues at
//    last seq + 1, timestamps keep the source's own clock (which ran on in
//    real time), so a gap in time stays a gap in timestamps.
// Losses upstream of the plugin (seq gaps in the input without gap()) stay
// gaps: receivers must see them to ask for retransmission.
// After such a re-base, a packet older than the one it was based on (a late
// or retransmitted packet from before the gap) would map onto numbers the
// receiver already had: it is dropped (rewrite returns false).
// Only ever used by one thread (the publisher's); not thread-safe.
class SeqRewriter {
public:
    SeqRewriter() = default;
    // `last_out_seq`/`last_out_ts`: the last values sent on this slot (0 if
    // none); `ts_step`: the least timestamp gap on a switch (960 audio, 3000
    // video); `last_out_us` (monotonic, 0 if unknown) and `clock_hz` (48000,
    // 90000; 0 if unknown): when the last packet went out, so a switch can
    // advance the timestamps by the time elapsed.
    void seed(uint16_t last_out_seq, uint32_t last_out_ts, uint32_t ts_step, int64_t last_out_us = 0,
              uint32_t clock_hz = 0) noexcept;
    // The plugin dropped a packet of this stream for this slot: the next one
    // sent continues the output sequence (see above).
    void gap() noexcept { resync_ = started_; }
    // Rewrites seq/ts of `buf` in place (valid RTP required), `now_us` the
    // monotonic clock (0: unknown). On the first packet, or when the SSRC
    // differs from the previous one, or after gap(), the offsets are
    // recomputed so the output continues from the seed / the last output.
    // Returns the new (seq, ts) through the out-parameters; false (buffer
    // untouched) for a packet older than the last re-base: drop it.
    bool rewrite(uint8_t* buf, uint16_t* out_seq, uint32_t* out_ts, int64_t now_us = 0) noexcept;

private:
    bool started_ = false;
    bool resync_ = false;
    bool floor_active_ = false;
    uint16_t floor_ = 0;  // input seq of the last re-base
    uint32_t in_ssrc_ = 0;
    uint16_t seq_off_ = 0;
    uint32_t ts_off_ = 0;
    uint16_t last_seq_ = 0;
    uint32_t last_ts_ = 0;
    uint32_t ts_step_ = 3000;
    int64_t last_us_ = 0;
    uint32_t clock_hz_ = 0;
};

}  // namespace telemed::plugin::rtp
