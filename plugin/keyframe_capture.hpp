// The packets of one publisher's video kept for one subscriber whose
// PeerConnection is not up yet, from the latest key frame on, so the first
// thing it receives is a decodable picture instead of a wait for the
// publisher's next key frame (join → first frame).
//
// How it is used (SlotAssigner::assign in plugin/slots.cpp, PluginCore::on_rtp):
//  - a subscriber that gets a video slot before its PeerConnection is up (a
//    joiner) gets a capture in that slot's SlotCursor, and the publisher is
//    asked for a key frame right then, not only once the PeerConnection is up;
//  - the publisher's media thread records every packet for that slot (and
//    a copy of its RTP extension info: a keyframe's video orientation) while
//    the subscriber is not ready: a key frame start clears the capture and
//    starts it again, so it always holds the newest key frame and the delta
//    frames after it (VP8 deltas reference the frames before them, so a key
//    frame alone is not enough);
//  - on the publisher's first packet of any kind after the subscriber is
//    ready (its audio comes every 20 ms; the camera's next frame may be
//    50 ms away), the capture is sent, then live packets, all through the
//    slot's rewriter: one continuous stream;
//  - media_up asks for another key frame only if the capture holds none;
//  - nothing kept under other capability bits of the publisher is sent (a
//    camera muted and unmuted meanwhile): the capture is dropped instead.
// A capture that fills up is dropped until the next key frame (the
// subscriber then gets live packets and a key frame request, as without it).
//
// Threads: only the publisher's media thread records and replays, and only
// while it owns the cursor's capture state (Busy). The control plane frees a
// capture once it is Done, or takes it back (Recording -> Done) when it has
// waited too long; both sides meet only through that atomic state.
// No allocation after construction; only the bytes recorded become resident.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include <sys/mman.h>

#include "plugin/rtp.hpp"

namespace telemed::plugin {

class KeyframeCapture {
public:
    // About a second of 640x480 video at 1.5 Mbit/s; a join takes well under.
    static constexpr std::size_t kMaxPackets = 160;
    static constexpr std::size_t kMaxBytes = 160 * 1200;
    static constexpr std::size_t kMaxPacketBytes = 1500;

    static constexpr std::size_t kMaxExtBytes = 1024;

    // `ext_size`: Host::rtp_extensions_size(), the bytes of extension info
    // kept with each packet (0: none; more than kMaxExtBytes: none).
    // The buffer is mapped on its own (not from the heap), so the pages
    // recorded into go back to the system when the capture is freed. null if
    // the mapping fails (the slot then simply has no capture).
    static std::unique_ptr<KeyframeCapture> create(std::size_t ext_size) noexcept {
        if (ext_size > kMaxExtBytes) ext_size = 0;
        const std::size_t stride = (ext_size + 7) & ~std::size_t{7};
        const std::size_t size = kMaxBytes + kMaxPackets * stride;
        void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return nullptr;
        std::unique_ptr<KeyframeCapture> c(
            new (std::nothrow) KeyframeCapture(static_cast<uint8_t*>(m), size, ext_size, stride));
        if (!c) ::munmap(m, size);
        return c;
    }
    ~KeyframeCapture() { ::munmap(data_, size_); }
    KeyframeCapture(const KeyframeCapture&) = delete;
    KeyframeCapture& operator=(const KeyframeCapture&) = delete;

    // Media thread. `buf` is a valid RTP packet of the publisher's video;
    // `epoch` its Participant::caps_epoch(): what was kept under other
    // capability bits (a mute since, say) is dropped, not sent later.
    void record(const uint8_t* buf, std::size_t len, const void* ext, uint32_t epoch) noexcept {
        if (started_ && epoch != epoch_) drop();
        if (rtp::vp8_keyframe_start(buf, len)) {
            count_ = 0;
            bytes_ = 0;
            started_ = true;
            epoch_ = epoch;
        }
        if (!started_) return;
        if (len > kMaxPacketBytes || count_ == kMaxPackets || bytes_ + len > kMaxBytes) {
            drop();  // too long: wait for the next key frame
            return;
        }
        std::memcpy(data_ + bytes_, buf, len);
        off_[count_] = static_cast<uint32_t>(bytes_);
        len_[count_] = static_cast<uint16_t>(len);
        has_ext_[count_] = ext != nullptr && ext_size_ != 0;
        if (has_ext_[count_]) std::memcpy(ext_at(count_), ext, ext_size_);
        ++count_;
        bytes_ += len;
        keyframe_.store(true, std::memory_order_release);
    }

    // Media thread: calls send(buf, len, ext) for each packet kept, oldest
    // first, with its copy of the extension info (null if it had none); the
    // buffers may be modified (they are not used again).
    template <typename Send>
    std::size_t replay(uint32_t epoch, Send&& send) noexcept {
        if (!started_ || epoch != epoch_) return 0;
        for (std::size_t i = 0; i < count_; ++i)
            send(data_ + off_[i], static_cast<std::size_t>(len_[i]),
                 has_ext_[i] ? static_cast<const void*>(ext_at(i)) : nullptr);
        return count_;
    }

    // Any thread: a key frame start is kept (and has not been dropped since).
    bool has_keyframe() const noexcept { return keyframe_.load(std::memory_order_acquire); }

private:
    KeyframeCapture(uint8_t* data, std::size_t size, std::size_t ext_size, std::size_t ext_stride) noexcept
        : data_(data), size_(size), ext_size_(ext_size), ext_stride_(ext_stride) {}
    uint8_t* ext_at(std::size_t i) const noexcept { return data_ + kMaxBytes + i * ext_stride_; }
    void drop() noexcept {
        started_ = false;
        count_ = 0;
        bytes_ = 0;
        keyframe_.store(false, std::memory_order_release);
    }

    uint8_t* const data_;  // kMaxBytes of packets, then kMaxPackets extension infos
    const std::size_t size_;
    const std::size_t ext_size_;
    const std::size_t ext_stride_;
    std::array<uint32_t, kMaxPackets> off_{};
    std::array<uint16_t, kMaxPackets> len_{};
    std::array<bool, kMaxPackets> has_ext_{};
    std::size_t count_ = 0;
    std::size_t bytes_ = 0;
    bool started_ = false;
    uint32_t epoch_ = 0;
    std::atomic<bool> keyframe_{false};
};

// Who owns a SlotCursor's capture right now.
enum class CaptureState : uint8_t {
    None,       // no capture (the slot was assigned to a subscriber already up)
    Recording,  // waiting for the subscriber; free for the media thread to take
    Busy,       // the media thread is recording or replaying
    Done,       // replayed or given up: the control plane frees it
};

}  // namespace telemed::plugin
