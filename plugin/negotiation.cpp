// Media negotiation and routing state: `configure` (the client's SDP offer
// answered under the participant's permissions), the PeerConnection's
// up/down callbacks, slot assignment (which remote source goes out on which
// of a subscriber's receiving m-lines) and the rebuild of the lock-free
// MediaViews the media path reads (plugin/media_view.hpp).
#include <algorithm>
#include <string>
#include <utility>

#include "plugin/plugin_core.hpp"

namespace telemed::plugin {
namespace {

// RTP timestamp gap left when a slot switches to another source (20 ms of
// Opus at 48 kHz; one frame at 30 fps on the 90 kHz video clock).
constexpr uint32_t kAudioTsStep = 960;
constexpr uint32_t kVideoTsStep = 3000;

// The stream a participant publishes `source` on, if any.
const PublishedStream* published(const Participant& p, Source source) {
    for (const PublishedStream& ps : p.negotiated().publishing)
        if (ps.source == source) return &ps;
    return nullptr;
}

Failure sdp_failure(const char* what) {
    return Failure::of(ErrorCode::InvalidSdp, std::string("invalid or missing SDP offer: ") + what);
}

}  // namespace

// ---------------------------------------------------------------- configure

// {"request":"configure","sources":[{"mid","source"}]?} + jsep offer
// → {"telemed":"configured",...} + jsep answer (docs/PROTOCOL.md "configure").
void PluginCore::configure(ClientMessage& m, const ConfigureRequest& req) {
    // 1. The offer, parsed without any lock.
    std::optional<sdp::Session> offer;
    std::string offer_text;
    Failure failure;
    const json_t* jsep = m.jsep.get();
    if (!jsep || !json_is_object(jsep)) {
        failure = sdp_failure("configure needs a jsep offer");
    } else {
        const json_t* type = json_object_get(jsep, "type");
        const json_t* text = json_object_get(jsep, "sdp");
        if (!json_is_string(type) || std::string_view(json_string_value(type)) != "offer")
            failure = sdp_failure("jsep type must be offer");
        else if (!json_is_string(text) || json_string_length(text) > sdp::kMaxSdpBytes)
            failure = sdp_failure("sdp missing or too large");
        else {
            offer_text.assign(json_string_value(text), json_string_length(text));
            std::string why;
            offer = sdp::parse(offer_text, &why);
            if (!offer) failure = sdp_failure("unusable SDP");
        }
    }

    // 2. The plan needs the participant's permissions (under the lock).
    sdp::PlanInput in;
    {
        std::lock_guard lk(mu_);
        if (m.from->destroyed()) return;
        if (!m.from->identity()) return reply_error(m.from, m.transaction, Failure::of(ErrorCode::NotJoined));
        if (!offer) return reply_error(m.from, m.transaction, failure);
        in.granted = m.from->granted();
    }
    in.hints = req.hints;
    in.max_slots_per_kind = config_.max_slots_per_kind;
    const std::vector<sdp::MLinePlan> plan = sdp::plan_answer(*offer, in);
    // Nothing we can carry at all (no Opus, no VP8 anywhere): refuse rather
    // than answer an all-rejected SDP. (The plan cannot tell: it answers a
    // sending m-line without the codec `inactive`, like a refused one.)
    bool usable = false;
    for (const sdp::MLine& ml : offer->mlines)
        if ((ml.kind == sdp::Kind::Audio && sdp::payload_type_of(ml, "opus")) ||
            (ml.kind == sdp::Kind::Video && sdp::payload_type_of(ml, "vp8")))
            usable = true;
    if (!usable) {
        std::lock_guard lk(mu_);
        return reply_error(m.from, m.transaction,
                           Failure::of(ErrorCode::NegotiationFailed, "the offer could not be answered: no Opus or VP8"));
    }

    // 3. The answer text comes from the host (Janus sdp-utils), unlocked; we
    //    verify it accepts nothing beyond the plan before it goes anywhere.
    std::string error;
    std::optional<std::string> answer_text = host_.answer_offer(offer_text, plan, &error);
    std::optional<sdp::Session> answer;
    if (answer_text) answer = sdp::parse(*answer_text);
    const bool answer_ok = answer && sdp::answer_respects_plan(*answer, plan);
    if (answer_text && !answer_ok) log(LogLevel::Error, "configure: generated answer does not respect the plan");

    // 4. Apply under the lock.
    std::lock_guard lk(mu_);
    const std::shared_ptr<Participant>& p = m.from;
    if (p->destroyed()) return;
    if (!p->identity()) return reply_error(p, m.transaction, Failure::of(ErrorCode::NotJoined));
    if (!answer_ok) return reply_error(p, m.transaction, Failure::of(ErrorCode::NegotiationFailed));
    Room* room = find_room(p->identity()->room_id);
    if (!room) return reply_error(p, m.transaction, Failure::of(ErrorCode::NoSuchRoom));

    Negotiated fresh;
    std::vector<MidSource> publishing, refused;
    KindCounts slots;
    const Negotiated& old = p->negotiated();
    for (const sdp::MLinePlan& step : plan) {
        const sdp::MLine& om = offer->mlines[step.index];
        const sdp::MLine& am = answer->mlines[step.index];
        const int mindex = static_cast<int>(step.index);
        int pt = -1;  // the payload type the answer accepted, if any
        if (!am.rejected)
            if (const std::optional<uint8_t> v = sdp::payload_type_of(am, step.codec)) pt = *v;
        if (sdp::publishes(step.use) && pt >= 0) {
            fresh.publishing.push_back(PublishedStream{mindex, om.mid, step.source, static_cast<uint8_t>(pt)});
            publishing.push_back(MidSource{om.mid, step.source});
        } else if ((step.use == sdp::Use::Inactive || step.use == sdp::Use::Slot) && sdp::sends(om.direction) &&
                   !has(in.granted, permission_for(step.source))) {
            refused.push_back(MidSource{om.mid, step.source});
        }
        if (sdp::is_slot(step.use) && pt >= 0) {
            SlotState s;
            s.mindex = mindex;
            s.mid = om.mid;
            s.video = om.kind == sdp::Kind::Video;
            s.pt = static_cast<uint8_t>(pt);
            s.pair = step.pair;
            // A renegotiation keeps what a slot carried (same mid, same kind).
            for (const SlotState& was : old.slots)
                if (was.mid == s.mid && was.video == s.video && !s.mid.empty()) {
                    s.assigned = was.assigned;
                    s.cursor = was.cursor;
                }
            (s.video ? slots.video : slots.audio)++;
            fresh.slots.push_back(std::move(s));
        }
    }
    fresh.configured = true;
    p->negotiated() = std::move(fresh);
    p->counters().sdp_refused.fetch_add(refused.size(), std::memory_order_relaxed);

    media_changed(*room, p.get());
    KindCounts unassigned;
    std::vector<StreamEntry> streams = streams_of(*p, &unassigned, *room);
    p->negotiated().told_unassigned_audio = unassigned.audio;
    p->negotiated().told_unassigned_video = unassigned.video;
    Json answer_jsep(json_object());
    json_object_set_new(answer_jsep.get(), "type", json_string("answer"));
    json_object_set_new(answer_jsep.get(), "sdp", json_str(*answer_text));
    push_locked(p, m.transaction, configured_event(publishing, refused, slots, streams, unassigned),
                std::move(answer_jsep));
    if (p->admitted()) broadcast_roster(*room);  // "publishing" changed
    log(LogLevel::Verbose, "configured: room " + room->id() + " participant " + p->identity()->participant_id +
                               ", " + std::to_string(publishing.size()) + " published, " +
                               std::to_string(refused.size()) + " refused, " +
                               std::to_string(slots.audio + slots.video) + " slots");
}

// ---------------------------------------------------------------- PeerConnection up / down

void PluginCore::media_up(HostHandle h) {
    std::lock_guard lk(mu_);
    auto it = handles_.find(h);
    if (it == handles_.end()) return;
    const std::shared_ptr<Participant>& p = it->second;
    p->set_media_ready(true);
    if (!p->identity()) return;
    Room* room = find_room(p->identity()->room_id);
    if (!room) return;
    // Its subscribers need a keyframe from it, and it needs one from each
    // video source on its slots, unless one was kept for it.
    request_keyframes(p);
    for (const SlotState& s : p->negotiated().slots) {
        if (!s.video || !s.assigned) continue;
        if (s.cursor && s.cursor->capture_state.load(std::memory_order_acquire) != CaptureState::Done &&
            s.cursor->capture && s.cursor->capture->has_keyframe()) {
            s.cursor->keyframe_promised.store(true, std::memory_order_release);
            continue;
        }
        if (auto pub = room->member(s.assigned->first))
            if (const PublishedStream* ps = published(*pub, s.assigned->second)) queue_.push(SendPli{pub, ps->mindex});
    }
}

std::size_t PluginCore::sweep_captures() {
    if (captures_held_.load(std::memory_order_relaxed) == 0) return 0;
    std::lock_guard lk(mu_);
    const int64_t now = host_.now_monotonic_us();
    std::size_t held = 0;
    for (auto& [rid, room] : rooms_) {
        bool freed = false;
        for (const auto& [pid, member] : room->members()) {
            for (SlotState& s : member->negotiated().slots) {
                if (!s.cursor || !s.cursor->capture) continue;
                SlotCursor& c = *s.cursor;
                CaptureState st = c.capture_state.load(std::memory_order_acquire);
                if (st == CaptureState::Recording && now - c.capture_since_us > kCaptureMaxAgeUs)
                    c.capture_state.compare_exchange_strong(st, CaptureState::Done, std::memory_order_acquire);
                if (c.capture_state.load(std::memory_order_acquire) == CaptureState::Done) {
                    c.capture.reset();
                    freed = true;
                } else {
                    ++held;
                }
            }
        }
        // Views without the captures: the media path stops looking for them.
        if (freed) rebuild_views(*room);
    }
    // Captures of cursors that are gone were freed with them.
    captures_held_.store(held, std::memory_order_relaxed);
    return held;
}

void PluginCore::hangup(HostHandle h) {
    std::lock_guard lk(mu_);
    auto it = handles_.find(h);
    if (it == handles_.end()) return;
    const std::shared_ptr<Participant>& p = it->second;
    p->set_media_ready(false);
    if (!p->negotiated().configured) return;
    p->negotiated() = Negotiated{};
    if (!p->identity()) return;
    if (Room* room = find_room(p->identity()->room_id)) {
        media_changed(*room);
        if (p->admitted()) broadcast_roster(*room);
    }
}

// ---------------------------------------------------------------- routing state (mu_ held)

void PluginCore::request_keyframes(const std::shared_ptr<Participant>& publisher, bool video_only_sources) {
    for (const PublishedStream& ps : publisher->negotiated().publishing)
        if (!video_only_sources || is_video(ps.source)) queue_.push(SendPli{publisher, ps.mindex});
}

void PluginCore::media_changed(Room& room, const Participant* quiet) {
    assign_slots(room, quiet);
    rebuild_views(room);
}

namespace {

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

void PluginCore::assign_slots(Room& room, const Participant* quiet) {
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
                    cursor->rewriter.seed(last_seq, last_ts, slot.video ? kVideoTsStep : kAudioTsStep);
                    cursor->last_seq.store(last_seq, std::memory_order_relaxed);
                    cursor->last_ts.store(last_ts, std::memory_order_relaxed);
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
                            queue_.nudge();  // the worker sweeps it when done or expired
                        }
                    }
                    if (slot.video && (sub->media_ready() || cursor->capture)) {
                        if (auto pub = room.member(src.pid))
                            if (const PublishedStream* ps = published(*pub, src.source))
                                queue_.push(SendPli{pub, ps->mindex});
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
                push_locked(sub, std::nullopt, streams_event(streams, unassigned));
            }
        }
    }
}

std::vector<StreamEntry> PluginCore::streams_of(const Participant& p, KindCounts* unassigned, const Room& room) const {
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

void PluginCore::rebuild_views(Room& room) {
    // Fresh routes for every member, then the targets of every publisher.
    std::map<const Participant*, std::unique_ptr<MediaView>> views;
    for (const auto& [pid, member] : room.members()) {
        const Negotiated& n = member->negotiated();
        if (!n.configured) continue;
        int size = 0;
        for (const PublishedStream& ps : n.publishing) size = std::max(size, ps.mindex + 1);
        for (const SlotState& s : n.slots) size = std::max(size, s.mindex + 1);
        auto v = std::make_unique<MediaView>();
        v->routes.resize(static_cast<std::size_t>(size));
        for (const PublishedStream& ps : n.publishing) {
            Route& r = v->routes[static_cast<std::size_t>(ps.mindex)];
            r.publish = true;
            r.source = ps.source;
            r.in_pt = ps.pt;
        }
        for (const SlotState& s : n.slots) {
            Route& r = v->routes[static_cast<std::size_t>(s.mindex)];
            r.slot = true;
            r.slot_video = s.video;
            if (!s.assigned) continue;
            if (auto pub = room.member(s.assigned->first)) {
                if (const PublishedStream* ps = published(*pub, s.assigned->second)) {
                    r.publisher = pub;
                    r.publisher_mindex = ps->mindex;
                }
            }
        }
        views.emplace(member.get(), std::move(v));
    }
    for (const auto& [sub_id, sub] : room.members()) {
        if (!sub->negotiated().configured) continue;
        for (const SlotState& s : sub->negotiated().slots) {
            if (!s.assigned || !s.cursor) continue;
            auto pub = room.member(s.assigned->first);
            if (!pub) continue;
            auto vit = views.find(pub.get());
            if (vit == views.end()) continue;
            if (const PublishedStream* ps = published(*pub, s.assigned->second)) {
                Route& r = vit->second->routes[static_cast<std::size_t>(ps->mindex)];
                r.targets.push_back(Target{sub, s.mindex, s.video, s.pt, s.cursor});
                if (s.cursor->capture_state.load(std::memory_order_relaxed) == CaptureState::Recording)
                    vit->second->replay_pending = true;
            }
        }
    }
    for (const auto& [pid, member] : room.members()) {
        auto vit = views.find(member.get());
        const MediaView* fresh = vit == views.end() ? nullptr : vit->second.release();
        if (const MediaView* old = member->swap_view(fresh)) retire(member, old);
    }
}

void PluginCore::clear_view(const std::shared_ptr<Participant>& p) {
    if (const MediaView* old = p->swap_view(nullptr)) retire(p, old);
}

void PluginCore::retire(const std::shared_ptr<Participant>& owner, const MediaView* view) {
    {
        std::lock_guard lk(retire_mu_);
        retired_.push_back(Retired{owner, view});
    }
    queue_.nudge();  // the worker frees it once no reader holds it
}

}  // namespace telemed::plugin
