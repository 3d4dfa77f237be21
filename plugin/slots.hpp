// Slots: which remote source goes out on which of a subscriber's receiving
// m-lines ("slots", docs/PROTOCOL.md "streams"), and the key frames kept for
// a joiner's video slots (plugin/keyframe_capture.hpp).
//
// Every admitted participant's published sources are put on free slots of
// every other admitted participant holding `subscribe`; a slot whose source
// went away (left, kicked, hung up, unpublished, subscriber lost `subscribe`
// or admission) is freed first. A free slot is chosen by its msid pair: the
// slot beside the same participant's other source first (lip sync), then an
// unpaired or idle pair, then a pair showing someone else. A slot that gets a
// new source gets a fresh SlotCursor, continuing the slot's seq/ts.
//
// Control plane only: every call here runs under PluginCore's state mutex.
// The class queues nothing itself: assign() returns what must happen (key
// frame requests, `streams` events), in order, and PluginCore queues it. The
// MediaViews that carry the result to the media path are built afterwards by
// ViewPublisher (plugin/view_publisher.hpp).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "plugin/events.hpp"
#include "plugin/host.hpp"
#include "plugin/participant.hpp"
#include "plugin/room.hpp"

namespace telemed::plugin {

// A key frame capture whose subscriber is not up after this long is dropped.
inline constexpr int64_t kCaptureMaxAgeUs = 10'000'000;

// The stream a participant publishes `source` on, if any.
const PublishedStream* find_published(const Participant& p, Source source);

class SlotAssigner {
public:
    // What an assignment asks of the coordinator, in the order it must happen.
    struct KeyframeRequest {  // a PLI to the publisher's m-line
        std::shared_ptr<Participant> publisher;
        int mindex = -1;
    };
    struct CaptureStarted {};  // the worker frees the capture once done or expired: wake it
    struct StreamsChanged {    // a `streams` event to the subscriber
        std::shared_ptr<Participant> subscriber;
        std::vector<StreamEntry> streams;
        KindCounts unassigned;
    };
    using Effect = std::variant<KeyframeRequest, CaptureStarted, StreamsChanged>;

    // The host gives the captures' size (rtp_extensions_size) and clock.
    explicit SlotAssigner(Host& host) : host_(host) {}
    SlotAssigner(const SlotAssigner&) = delete;
    SlotAssigner& operator=(const SlotAssigner&) = delete;

    // Reassigns every member's slots in `room`. A configured member whose
    // assignment (or count of unassigned sources) changed gets a `streams`
    // event, except `quiet` (configure answers with its own event). A video
    // slot given a new source asks its publisher for a key frame at once:
    // when the subscriber's PeerConnection is up, or else when a capture
    // could be set up to keep the key frame until it is.
    std::vector<Effect> assign(Room& room, const Participant* quiet);

    // `p`'s assigned slots, and the remote sources it could receive that
    // found no free slot (per kind) in *unassigned.
    static std::vector<StreamEntry> streams_of(const Participant& p, KindCounts* unassigned, const Room& room);

    // Frees the captures of `room` that are Done, and takes back (Recording
    // -> Done) those waiting longer than kCaptureMaxAgeUs. Adds the captures
    // still held to *held. true if any was freed (the room's views must then
    // be rebuilt without it).
    bool sweep_captures(Room& room, int64_t now_us, std::size_t* held);

    // Captures allocated and not yet seen freed by a sweep (a hint: the
    // sweep walks the rooms only while it is not zero). Any thread.
    std::size_t captures_held() const noexcept { return captures_held_.load(std::memory_order_relaxed); }
    void set_captures_held(std::size_t n) noexcept { captures_held_.store(n, std::memory_order_relaxed); }

private:
    Host& host_;
    std::atomic<std::size_t> captures_held_{0};
};

}  // namespace telemed::plugin
