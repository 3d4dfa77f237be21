// Publishing the MediaViews the media path reads without locks
// (plugin/media_view.hpp), and retiring the ones they replace.
//
// rebuild() turns a room's control-plane state (what each member publishes,
// what its slots carry: plugin/slots.hpp) into one fresh, immutable MediaView
// per configured member, and swaps each in with one atomic exchange
// (Participant::swap_view). The media path (on_rtp / on_rtcp, Janus's media
// threads) reads a participant's view under a hazard pointer
// (Participant::acquire_view), so a replaced view cannot be freed at once: it
// goes to the retire list, and reclaim() frees it once no hazard points at it.
//
// Threads and locks
//  - rebuild() and clear() run under PluginCore's state mutex (mu_).
//  - The retire list has its own mutex, a leaf lock: taken under mu_ or
//    alone, and nothing is locked or called while it is held.
//  - After each retire, `on_retire` is called (outside the leaf lock; still
//    under mu_): PluginCore nudges its worker, which calls reclaim() with no
//    other lock held. Retired views are deleted outside every lock: a view
//    may hold the last reference to a participant, whose deleter gives the
//    Janus handle reference back.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "plugin/media_view.hpp"
#include "plugin/participant.hpp"
#include "plugin/room.hpp"

namespace telemed::plugin {

class ViewPublisher {
public:
    explicit ViewPublisher(std::function<void()> on_retire) : on_retire_(std::move(on_retire)) {}
    ~ViewPublisher() { free_all(); }
    ViewPublisher(const ViewPublisher&) = delete;
    ViewPublisher& operator=(const ViewPublisher&) = delete;

    // Fresh views for every member of `room` (none for an unconfigured one),
    // each swapped in; the replaced ones are retired. mu_ held.
    void rebuild(Room& room);
    // `p` reads no view from now on; its old one is retired. mu_ held.
    void clear(const std::shared_ptr<Participant>& p);
    // Frees the retired views no reader holds. Returns the number still
    // retired. Called with no lock held (the worker; tests).
    std::size_t reclaim();
    // Frees every retired view, read or not: only once no media callback can
    // run any more (PluginCore's destructor: Janus's destroy()).
    void free_all();
    // Views retired and not freed yet (admin `stats`). Any thread.
    std::size_t retired_count() {
        std::lock_guard lk(retire_mu_);
        return retired_.size();
    }

private:
    struct Retired {
        std::shared_ptr<Participant> owner;
        const MediaView* view;
    };
    void retire(const std::shared_ptr<Participant>& owner, const MediaView* view);

    std::function<void()> on_retire_;
    std::mutex retire_mu_;  // leaf
    std::vector<Retired> retired_;
};

}  // namespace telemed::plugin
