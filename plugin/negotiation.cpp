// Media negotiation: `configure` (the client's SDP offer answered under the
// participant's permissions), the PeerConnection's up/down callbacks, and
// media_changed, which has the room's slots reassigned (plugin/slots.hpp) and
// its MediaViews rebuilt (plugin/view_publisher.hpp) after every membership
// or negotiation change.
#include <string>
#include <utility>
#include <variant>

#include "plugin/plugin_core.hpp"

namespace telemed::plugin {
namespace {

Failure sdp_failure(std::string_view what) {
    return Failure::of(ErrorCode::InvalidSdp, "invalid or missing SDP offer: " + std::string(what));
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
            // The parser's reasons are its own words, never a piece of the SDP.
            if (!offer) failure = sdp_failure("unusable SDP (" + why + ")");
        }
    }

    // 2. The plan needs the participant's permissions (under the lock).
    sdp::PlanInput in;
    {
        std::lock_guard lk(mu_);
        if (m.from->destroyed()) return;
        if (!m.from->identity()) return refuse_offer(m, Failure::of(ErrorCode::NotJoined));
        if (!offer) return refuse_offer(m, failure);
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
        return refuse_offer(m, Failure::of(ErrorCode::NegotiationFailed, "the offer could not be answered: no Opus or VP8"));
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
    if (!p->identity()) return refuse_offer(m, Failure::of(ErrorCode::NotJoined));
    if (!answer_ok) return refuse_offer(m, Failure::of(ErrorCode::NegotiationFailed));
    Room* room = find_room(p->identity()->room_id);
    if (!room) return refuse_offer(m, Failure::of(ErrorCode::NoSuchRoom));

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
    std::vector<StreamEntry> streams = SlotAssigner::streams_of(*p, &unassigned, *room);
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

// Janus sets up its side of a PeerConnection (an ICE agent) from every offer
// before the plugin sees the request. A refused offer on a handle without a
// negotiated PeerConnection would leave that half-made agent behind, and
// Janus would refuse the client's next offer (490 "Error setting ICE
// locally"): the plugin has it closed, Janus sends `hangup`, and the next
// offer starts afresh. A refused renegotiation leaves the working
// PeerConnection alone (the client rolls its offer back).
void PluginCore::refuse_offer(const ClientMessage& m, const Failure& f) {
    reply_error(m.from, m.transaction, f);
    if (m.jsep && !m.from->negotiated().configured) close_pc_locked(m.from);
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
            if (const PublishedStream* ps = find_published(*pub, s.assigned->second))
                queue_.push(SendPli{pub, ps->mindex});
    }
}

std::size_t PluginCore::sweep_captures() {
    if (slots_.captures_held() == 0) return 0;
    std::lock_guard lk(mu_);
    const int64_t now = host_.now_monotonic_us();
    std::size_t held = 0;
    for (auto& [rid, room] : rooms_) {
        // Views without the captures: the media path stops looking for them.
        if (slots_.sweep_captures(*room, now, &held)) views_.rebuild(*room);
    }
    // Captures of cursors that are gone were freed with them.
    slots_.set_captures_held(held);
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
    // What the new assignment asks for, queued in the order it asked.
    for (SlotAssigner::Effect& e : slots_.assign(room, quiet)) {
        if (auto* k = std::get_if<SlotAssigner::KeyframeRequest>(&e))
            queue_.push(SendPli{std::move(k->publisher), k->mindex});
        else if (std::holds_alternative<SlotAssigner::CaptureStarted>(e))
            queue_.nudge();  // the worker sweeps it when done or expired
        else if (auto* c = std::get_if<SlotAssigner::StreamsChanged>(&e))
            push_locked(c->subscriber, std::nullopt, streams_event(c->streams, c->unassigned));
    }
    sync_recording(room);  // the recorders of the recorded participants' m-lines go into the views
    views_.rebuild(room);
    tell_recording(room);
}

}  // namespace telemed::plugin
