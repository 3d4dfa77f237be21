// The per-packet media path: Janus's media threads call these for every RTP,
// RTCP and data packet. No lock, no allocation, no exception (STYLE.md rule
// 4): the sender's live capability bits (an atomic) decide, then the packet
// is relayed to the subscriber slots of the sender's MediaView, read under a
// hazard pointer (plugin/participant.hpp).
#include "plugin/plugin_core.hpp"

namespace telemed::plugin {
namespace {

constexpr int64_t kMinKeyframeRequestGapUs = 500'000;
// A video source that flows again after a gap the gate made was asked for a
// keyframe by the control plane; if none has passed this long after its
// packets resumed, it is asked again (a browser may ignore a request, e.g.
// one that comes within 300 ms of another), until one passes. Without it a
// receiver holding only undecodable delta frames waits for its own request,
// which Chromium sends after 3 s.
constexpr int64_t kKeyframeRetryUs = 400'000;

// Releases the hazard slot on every path out.
class ViewReader {
public:
    ViewReader(Participant& p, int reader) noexcept : p_(p), reader_(reader), view_(p.acquire_view(reader)) {}
    ~ViewReader() { p_.release_view(reader_); }
    ViewReader(const ViewReader&) = delete;
    ViewReader& operator=(const ViewReader&) = delete;
    const MediaView* view() const noexcept { return view_; }
    const Route* route(int mindex) const noexcept {
        if (!view_ || mindex < 0 || static_cast<std::size_t>(mindex) >= view_->routes.size()) return nullptr;
        return &view_->routes[static_cast<std::size_t>(mindex)];
    }

private:
    Participant& p_;
    int reader_;
    const MediaView* view_;
};

// A subscriber that takes packets right now: allowed to receive, its
// PeerConnection up, not destroyed.
bool receiving(const Participant& to) noexcept {
    return may_receive(to.capabilities()) && to.media_ready() && !to.destroyed();
}

}  // namespace

void PluginCore::on_rtp(Participant& p, int mindex, bool video, uint8_t* buf, std::size_t len,
                        const void* ext) noexcept {
    MediaCounters& c = p.counters();
    c.rtp_in.fetch_add(1, std::memory_order_relaxed);
    // The gate reads the live bits first: lobby, mute and revoked permissions
    // all show up here within one packet.
    const PermissionSet caps = p.capabilities();
    ViewReader reader(p, Participant::kRtpReader);
    const Route* r = reader.route(mindex);
    if (r == nullptr || !r->publish || is_video(r->source) != video || !rtp::is_valid_rtp(buf, len) ||
        rtp::payload_type(buf) != r->in_pt) {
        c.rtp_dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (!gate_allows(caps, r->source)) {
        // A packet of the stream the plugin holds back (mute, revoked
        // permission): each slot's output continues at last + 1 once it
        // flows again, instead of showing the receivers a loss.
        for (const Target& t : r->targets) t.cursor->rewriter.gap();
        if (video) p.set_keyframe_awaited(mindex, -1);
        c.rtp_dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (video) {
        if (const int64_t since = p.keyframe_awaited(mindex); since != 0) {
            const int64_t now = host_.now_monotonic_us();
            if (rtp::vp8_keyframe_start(buf, len)) {
                p.set_keyframe_awaited(mindex, 0);
            } else if (since < 0) {
                p.set_keyframe_awaited(mindex, now);  // flows again; the control plane asked already
            } else if (now - since >= kKeyframeRetryUs &&
                       p.allow_keyframe_request(mindex, now, kMinKeyframeRequestGapUs)) {
                host_.send_pli(p.handle(), mindex);
                p.set_keyframe_awaited(mindex, now);
            }
        }
    }
    // Recording: written iff the gate forwards it and the publisher is being
    // recorded (its view carries a recorder). Not recorded: one null check.
    if (r->recorder) {
        TrackRecorder& rec = *r->recorder;
        // A video file starts at a keyframe (no decoder can start anywhere
        // else, so a file opened mid-picture would play black until the
        // publisher's next keyframe, which WebRTC sends only when asked):
        // until one comes, nothing is written and one is asked for.
        if (video && !rec.keyed && rec.file.load(std::memory_order_acquire) != nullptr) {
            if (rtp::vp8_keyframe_start(buf, len)) {
                rec.keyed = true;
            } else {
                const int64_t now = host_.now_monotonic_us();
                if (p.allow_keyframe_request(mindex, now, kMinKeyframeRequestGapUs)) host_.send_pli(p.handle(), mindex);
            }
        }
        if (!video || rec.keyed) record_packet(p, rec, buf, len);
    }
    // Kept keyframes of subscribers that came up go out first, with any
    // packet of the publisher (plugin/keyframe_capture.hpp).
    if (reader.view()->replay_pending) replay_ready(p, *reader.view(), caps);
    if (r->targets.empty()) return;
    const uint16_t seq = rtp::seq(buf);
    const uint32_t ts = rtp::timestamp(buf);
    const uint8_t pt = rtp::payload_type(buf);
    const int64_t now = host_.now_monotonic_us();
    uint64_t forwarded = 0;
    uint64_t replayed = 0;
    for (const Target& t : r->targets) {
        const bool recording = t.cursor->capture_state.load(std::memory_order_relaxed) == CaptureState::Recording;
        if (!receiving(*t.to)) {
            // A joining subscriber's slot keeps the packet for later; for
            // any other, this is a gap the plugin makes in its stream.
            if (!recording || !keep_for(p, t, buf, len, ext)) t.cursor->rewriter.gap();
            continue;
        }
        // Its PeerConnection came up after replay_ready looked (media_up on
        // another thread): the kept packets go first here, or this live one
        // would start the slot's stream and every kept one, older, would be
        // dropped by the rewriter.
        if (recording) replayed += replay_to(p, mindex, t);
        if (relay_to_slot(t, buf, len, ext, now)) ++forwarded;
        rtp::set_seq(buf, seq);
        rtp::set_timestamp(buf, ts);
        rtp::set_payload_type(buf, pt);
    }
    c.rtp_forwarded.fetch_add(forwarded, std::memory_order_relaxed);
    if (replayed != 0) c.rtp_replayed.fetch_add(replayed, std::memory_order_relaxed);
}

bool PluginCore::relay_to_slot(const Target& t, uint8_t* buf, std::size_t len, const void* ext,
                               int64_t now_us) noexcept {
    uint16_t out_seq;
    uint32_t out_ts;
    // false: a late packet from before a re-base, whose number the receiver
    // already had for another packet.
    if (!t.cursor->rewriter.rewrite(buf, &out_seq, &out_ts, now_us)) return false;
    t.cursor->last_seq.store(out_seq, std::memory_order_relaxed);
    t.cursor->last_ts.store(out_ts, std::memory_order_relaxed);
    t.cursor->last_us.store(now_us, std::memory_order_relaxed);
    rtp::set_payload_type(buf, t.pt);
    host_.relay_rtp(t.to->handle(), t.mindex, t.video, buf, len, ext);
    return true;
}

void PluginCore::replay_ready(Participant& p, const MediaView& v, PermissionSet caps) noexcept {
    uint64_t sent = 0;
    for (std::size_t mindex = 0; mindex < v.routes.size(); ++mindex) {
        const Route& r = v.routes[mindex];
        // Only what the publisher may send right now: no kept frame of a
        // camera muted since goes out.
        if (!r.publish || !is_video(r.source) || !gate_allows(caps, r.source)) continue;
        for (const Target& t : r.targets)
            if (t.cursor->capture_state.load(std::memory_order_relaxed) == CaptureState::Recording && receiving(*t.to))
                sent += replay_to(p, static_cast<int>(mindex), t);
    }
    if (sent != 0) p.counters().rtp_replayed.fetch_add(sent, std::memory_order_relaxed);
}

bool PluginCore::keep_for(const Participant& p, const Target& t, const uint8_t* buf, std::size_t len,
                          const void* ext) noexcept {
    SlotCursor& cur = *t.cursor;
    if (!cur.take_capture()) return false;
    cur.capture->record(buf, len, ext, p.caps_epoch());
    cur.capture_state.store(CaptureState::Recording, std::memory_order_release);
    return true;
}

std::size_t PluginCore::replay_to(Participant& p, int mindex, const Target& t) noexcept {
    SlotCursor& cur = *t.cursor;
    if (!cur.take_capture()) return 0;
    const int64_t now = host_.now_monotonic_us();
    // Only the packets that went out count: the rewriter drops kept ones
    // older than what the slot already sent.
    std::size_t sent = 0;
    cur.capture->replay(p.caps_epoch(), [&](uint8_t* kept, std::size_t n, const void* kept_ext) {
        if (relay_to_slot(t, kept, n, kept_ext, now)) ++sent;
    });
    cur.capture_state.store(CaptureState::Done, std::memory_order_release);
    // media_up left the keyframe request to the capture, but nothing valid
    // was kept by now (a change of the publisher's capabilities), or none of
    // it could be sent: ask now.
    if (sent == 0 && cur.keyframe_promised.load(std::memory_order_acquire) &&
        p.allow_keyframe_request(mindex, host_.now_monotonic_us(), kMinKeyframeRequestGapUs))
        host_.send_pli(p.handle(), mindex);
    return sent;
}

void PluginCore::on_rtcp(Participant& p, int mindex, bool, const uint8_t* buf, std::size_t len) noexcept {
    MediaCounters& c = p.counters();
    const PermissionSet caps = p.capabilities();
    ViewReader reader(p, Participant::kRtcpReader);
    if (rtp::has_keyframe_request(buf, len)) {
        // A participant's PLI/FIR is always about media it receives, but Janus
        // files incoming RTCP under the m-line of the *sender* SSRC, which is
        // the participant's own camera when it publishes one. So the m-line
        // does not say which slot is meant: every video source on its slots is
        // asked (each at most once per kMinKeyframeRequestGapUs).
        if (!may_receive(caps)) {
            c.rtcp_dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const int64_t now = host_.now_monotonic_us();
        for (int i = 0;; ++i) {
            const Route* r = reader.route(i);
            if (r == nullptr) break;
            if (!r->slot || !r->slot_video || !r->publisher || r->publisher_mindex < 0) continue;
            Participant& pub = *r->publisher;
            if (pub.destroyed() || !pub.media_ready()) continue;
            if (pub.allow_keyframe_request(r->publisher_mindex, now, kMinKeyframeRequestGapUs))
                host_.send_pli(pub.handle(), r->publisher_mindex);
        }
        return;
    }
    const Route* r = reader.route(mindex);
    if (r == nullptr || (!r->publish && !r->slot)) {
        c.rtcp_dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    // Reports about its own stream or its slots: Janus terminates them and
    // nothing goes to anyone; those of a source it may not send, or of slots
    // it may not receive, are counted. (On a sendrecv m-line either may come.)
    const bool allowed = (r->publish && gate_allows(caps, r->source)) || (r->slot && may_receive(caps));
    if (!allowed) c.rtcp_dropped.fetch_add(1, std::memory_order_relaxed);
}

void PluginCore::on_data(Participant& p) noexcept {
    // Data channels are refused in every answer (chat is a plugin request):
    // whatever arrives anyway is dropped and counted.
    p.counters().data_dropped.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace telemed::plugin
