// Building, swapping and retiring the media path's views (see view_publisher.hpp).
#include "plugin/view_publisher.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "plugin/slots.hpp"

namespace telemed::plugin {

void ViewPublisher::rebuild(Room& room) {
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
        const auto recorded = room.recording().active.find(pid);
        for (const PublishedStream& ps : n.publishing) {
            Route& r = v->routes[static_cast<std::size_t>(ps.mindex)];
            r.publish = true;
            r.source = ps.source;
            r.in_pt = ps.pt;
            // Recorded participants only: the media path writes through it.
            if (recorded != room.recording().active.end()) {
                auto t = recorded->second.find(ps.mindex);
                if (t != recorded->second.end() && t->second->source == ps.source) r.recorder = t->second;
            }
        }
        for (const SlotState& s : n.slots) {
            Route& r = v->routes[static_cast<std::size_t>(s.mindex)];
            r.slot = true;
            r.slot_video = s.video;
            if (!s.assigned) continue;
            if (auto pub = room.member(s.assigned->first)) {
                if (const PublishedStream* ps = find_published(*pub, s.assigned->second)) {
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
            if (const PublishedStream* ps = find_published(*pub, s.assigned->second)) {
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

void ViewPublisher::clear(const std::shared_ptr<Participant>& p) {
    if (const MediaView* old = p->swap_view(nullptr)) retire(p, old);
}

void ViewPublisher::retire(const std::shared_ptr<Participant>& owner, const MediaView* view) {
    {
        std::lock_guard lk(retire_mu_);
        retired_.push_back(Retired{owner, view});
    }
    on_retire_();  // the worker frees it once no reader holds it
}

std::size_t ViewPublisher::reclaim() {
    std::vector<Retired> doomed;
    std::size_t left = 0;
    {
        std::lock_guard lk(retire_mu_);
        if (retired_.empty()) return 0;
        std::vector<Retired> keep;
        for (Retired& r : retired_) {
            if (r.owner->view_in_use(r.view))
                keep.push_back(std::move(r));
            else
                doomed.push_back(std::move(r));
        }
        retired_.swap(keep);
        left = retired_.size();
    }
    // Outside every lock: a view may hold the last reference to a participant.
    for (Retired& r : doomed) delete r.view;
    return left;
}

void ViewPublisher::free_all() {
    std::vector<Retired> retired;
    {
        std::lock_guard lk(retire_mu_);
        retired.swap(retired_);
    }
    for (Retired& r : retired) delete r.view;
}

}  // namespace telemed::plugin
