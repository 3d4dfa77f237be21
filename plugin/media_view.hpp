// The immutable per-participant routing table the media path reads without
// locks (STYLE.md rule 4). One MediaView per participant, indexed by the
// m-line index ("mindex") of that participant's PeerConnection:
//  - publish: what the participant sends on that m-line (its source) and the
//    subscribers it goes to (each with the slot m-line it goes out on);
//  - slot: a receiving m-line of the participant, and the publisher whose
//    source it currently carries (for keyframe requests).
// A sendrecv m-line is both.
// The control plane (ViewPublisher, plugin/view_publisher.hpp, under
// PluginCore's state mutex) builds a fresh view on every membership /
// negotiation change and swaps it in atomically (Participant::swap_view);
// readers protect the view they use with a hazard pointer, so a retired view
// is freed only once no reader holds it.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "plugin/keyframe_capture.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/recording.hpp"
#include "plugin/rtp.hpp"

namespace telemed::plugin {

class Participant;

// Output state of one subscriber slot while it carries one source. Mutated
// only by the thread that delivers that publisher's packets; the last values
// are atomics so a later cursor for the same slot can continue from them.
// A video slot assigned before its subscriber's PeerConnection is up also
// carries a KeyframeCapture (plugin/keyframe_capture.hpp): `capture` is set
// before the cursor is published in a view and freed by the control plane
// once `capture_state` is Done; the media thread touches it only while it
// holds the state Busy.
struct SlotCursor {
    rtp::SeqRewriter rewriter;
    std::atomic<uint16_t> last_seq{0};
    std::atomic<uint32_t> last_ts{0};
    std::atomic<int64_t> last_us{0};  // monotonic time the last packet went out (0: none yet)
    std::atomic<CaptureState> capture_state{CaptureState::None};
    std::unique_ptr<KeyframeCapture> capture;
    int64_t capture_since_us = 0;  // control plane
    // media_up sent no keyframe request because the capture held a keyframe.
    std::atomic<bool> keyframe_promised{false};

    // Media thread: takes the capture (Recording -> Busy); false if there is
    // none waiting or the control plane took it back meanwhile.
    bool take_capture() noexcept {
        CaptureState expected = CaptureState::Recording;
        return capture_state.compare_exchange_strong(expected, CaptureState::Busy, std::memory_order_acquire,
                                                     std::memory_order_relaxed);
    }
};

struct Target {
    std::shared_ptr<Participant> to;  // keeps the subscriber alive while this view exists
    int mindex = -1;                  // the subscriber's slot m-line
    bool video = false;
    uint8_t pt = 0;                   // payload type negotiated on that slot
    std::shared_ptr<SlotCursor> cursor;
};

struct Route {
    bool publish = false;
    bool slot = false;
    // publish
    Source source = Source::Audio;
    uint8_t in_pt = 0;  // payload type negotiated for this m-line (opus / vp8)
    std::vector<Target> targets;
    // Set only while the publisher is being recorded (plugin/recording.hpp):
    // a participant not recorded costs the media path one null check.
    std::shared_ptr<TrackRecorder> recorder;
    // slot
    std::shared_ptr<Participant> publisher;  // null while the slot is idle
    int publisher_mindex = -1;
    bool slot_video = false;
};

struct MediaView {
    std::vector<Route> routes;  // indexed by mindex
    // Some target's cursor had a capture Recording when the view was built:
    // on_rtp then looks for captures to replay on every packet.
    bool replay_pending = false;
};

// Per-participant packet counters (relaxed atomics: statistics only).
struct MediaCounters {
    std::atomic<uint64_t> rtp_in{0};
    std::atomic<uint64_t> rtp_forwarded{0};
    std::atomic<uint64_t> rtp_replayed{0};  // kept key frame packets sent to a joining subscriber
    std::atomic<uint64_t> rtp_dropped{0};   // gate: no permission / muted / waiting / unknown m-line
    std::atomic<uint64_t> rtcp_dropped{0};
    std::atomic<uint64_t> data_dropped{0};
    std::atomic<uint64_t> sdp_refused{0};   // sending m-lines answered inactive (permissions)
    std::atomic<uint64_t> rtp_recorded{0};  // packets written to its recording tracks
};

}  // namespace telemed::plugin
