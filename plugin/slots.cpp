// Slot assignment and the sweep of kept key frames (see slots.hpp).
#include "plugin/slots.hpp"

#include <string>
#include <utility>

namespace telemed::plugin {
namespace {

// RTP timestamp gap left when a slot switches to another source (20 ms of
// Opus at 48 kHz; one frame at 30 fps on the 90 kHz video clock).
constexpr uint32_t kAudioTsStep = 960;
constexpr uint32_t kVideoTsStep = 3000;
// RTP clocks of what slots carry (Opus, VP8): a slot's timestamps advance by
// the wall time between the last packet of one source and the first of the
// next (plugin/rtp.hpp SeqRewriter).
constexpr uint32_t kAudioClockHz = 48000;
constexpr uint32_t kVideoClockHz = 90000;

// How well a free slot suits a source of participant `pid`, by what the slot
// of the other kind in its pair (same msid stream) carries: 2 the same
// participant (its audio and video lip-synced), 1 nothing or no such slot,
// 0 someone else. The first slot with the best score wins.
int pair_score(const Negotiated& n, const SlotState& slot, const std::string& pid) {
    if (slot.pair < 0) return 1;
    for (const SlotState& other : n.slots) {
        if (other.video == slot.video || other.pair != slot.pair) continue;
        if (!other.assigned) return 1;
        return other.assigned->first == pid ? 2 : 0;
    }
    return 1;
}

}  // namespace

const PublishedStream* find_published(const Participant& p, Source source) {
    for (const PublishedStream& ps : p.negotiated().publishing)
        if (ps.source == source) return &ps;
    return nullptr;
}

std::vector<SlotAssigner::Effect> SlotAssigner::assign(Room& room, const Participant* quiet) {
    std::vector<Effect> effects;
    struct Src {
        std::string pid;
        Source source;
    };
    std::vector<Src> sources;
    for (const auto& [pid, member] : room.members())
        if (member->admitted() && member->negotiated().configured)
            for (const PublishedStream& ps : member->negotiated().publishing) sources.push_back(Src{pid, ps.source});

    for (const auto& [sub_id, sub] : room.members()) {
        Negotiated& n = sub->negotiated();
        if (n.slots.empty()) continue;
        const bool can_receive = sub->admitted() && has(sub->granted(), Permission::Subscribe);
        bool changed = false;
        auto wanted = [&](const std::pair<std::string, Source>& a) {
            if (!can_receive || a.first == sub_id) return false;
            for (const Src& s : sources)
                if (s.pid == a.first && s.source == a.second) return true;
            return false;
        };
        for (SlotState& slot : n.slots) {
            if (slot.assigned && !wanted(*slot.assigned)) {
                slot.assigned.reset();
                changed = true;
            }
        }
        if (can_receive) {
            for (const Src& src : sources) {
                if (src.pid == sub_id) continue;
                bool present = false;
                for (const SlotState& slot : n.slots)
                    if (slot.assigned && slot.assigned->first == src.pid && slot.assigned->second == src.source)
                        present = true;
                if (present) continue;
                SlotState* best = nullptr;
                int best_score = -1;
                for (SlotState& slot : n.slots) {
                    if (slot.assigned || slot.video != is_video(src.source)) continue;
                    const int score = pair_score(n, slot, src.pid);
                    if (score > best_score) {
                        best = &slot;
                        best_score = score;
                    }
                }
                if (best != nullptr) {
                    SlotState& slot = *best;
                    auto cursor = std::make_shared<SlotCursor>();
                    const uint16_t last_seq = slot.cursor ? slot.cursor->last_seq.load(std::memory_order_relaxed) : 0;
                    const uint32_t last_ts = slot.cursor ? slot.cursor->last_ts.load(std::memory_order_relaxed) : 0;
                    const int64_t last_us = slot.cursor ? slot.cursor->last_us.load(std::memory_order_relaxed) : 0;
                    cursor->rewriter.seed(last_seq, last_ts, slot.video ? kVideoTsStep : kAudioTsStep, last_us,
                                          slot.video ? kVideoClockHz : kAudioClockHz);
                    cursor->last_seq.store(last_seq, std::memory_order_relaxed);
                    cursor->last_ts.store(last_ts, std::memory_order_relaxed);
                    cursor->last_us.store(last_us, std::memory_order_relaxed);
                    // A video slot asks for a key frame at once. Before the
                    // subscriber's PeerConnection is up, the key frame is
                    // kept for it (keyframe_capture.hpp); media_up asks
                    // again only if none came.
                    if (slot.video && !sub->media_ready()) {
                        cursor->capture = KeyframeCapture::create(host_.rtp_extensions_size());
                        if (cursor->capture) {
                            cursor->capture_since_us = host_.now_monotonic_us();
                            cursor->capture_state.store(CaptureState::Recording, std::memory_order_relaxed);
                            captures_held_.fetch_add(1, std::memory_order_relaxed);
                            effects.emplace_back(CaptureStarted{});
                        }
                    }
                    if (slot.video && (sub->media_ready() || cursor->capture)) {
                        if (auto pub = room.member(src.pid))
                            if (const PublishedStream* ps = find_published(*pub, src.source))
                                effects.emplace_back(KeyframeRequest{pub, ps->mindex});
                    }
                    slot.cursor = std::move(cursor);
                    slot.assigned = std::make_pair(src.pid, src.source);
                    changed = true;
                }
            }
        }
        if (sub.get() != quiet && n.configured) {
            KindCounts unassigned;
            std::vector<StreamEntry> streams = streams_of(*sub, &unassigned, room);
            if (changed || unassigned.audio != n.told_unassigned_audio || unassigned.video != n.told_unassigned_video) {
                n.told_unassigned_audio = unassigned.audio;
                n.told_unassigned_video = unassigned.video;
                effects.emplace_back(StreamsChanged{sub, std::move(streams), unassigned});
            }
        }
    }
    return effects;
}

std::vector<StreamEntry> SlotAssigner::streams_of(const Participant& p, KindCounts* unassigned, const Room& room) {
    std::vector<StreamEntry> out;
    for (const SlotState& s : p.negotiated().slots)
        if (s.assigned) out.push_back(StreamEntry{s.mid, s.assigned->first, s.assigned->second});
    *unassigned = KindCounts{};
    if (!p.admitted() || !has(p.granted(), Permission::Subscribe) || !p.identity()) return out;
    const std::string& self = p.identity()->participant_id;
    for (const auto& [pid, member] : room.members()) {
        if (pid == self || !member->admitted() || !member->negotiated().configured) continue;
        for (const PublishedStream& ps : member->negotiated().publishing) {
            bool placed = false;
            for (const StreamEntry& e : out)
                if (e.participant_id == pid && e.source == ps.source) placed = true;
            if (!placed) (is_video(ps.source) ? unassigned->video : unassigned->audio)++;
        }
    }
    return out;
}

bool SlotAssigner::sweep_captures(Room& room, int64_t now_us, std::size_t* held) {
    bool freed = false;
    for (const auto& [pid, member] : room.members()) {
        for (SlotState& s : member->negotiated().slots) {
            if (!s.cursor || !s.cursor->capture) continue;
            SlotCursor& c = *s.cursor;
            CaptureState st = c.capture_state.load(std::memory_order_acquire);
            if (st == CaptureState::Recording && now_us - c.capture_since_us > kCaptureMaxAgeUs)
                c.capture_state.compare_exchange_strong(st, CaptureState::Done, std::memory_order_acquire);
            if (c.capture_state.load(std::memory_order_acquire) == CaptureState::Done) {
                c.capture.reset();
                freed = true;
            } else {
                ++*held;
            }
        }
    }
    return freed;
}

}  // namespace telemed::plugin
