// One Janus handle attached to janus.plugin.telemed, and the participant it
// becomes once a join succeeds.
//
// Two kinds of state live here:
//  - capability bits and the destroyed flag are atomics, read without locks by
//    the media path (the per-packet gate of the next issue): a permission
//    removed by set_permissions / kick / leave is zeroed here first, so the
//    very next packet is dropped;
//  - identity (participant id, room, role) is control-plane state, read and
//    written only while PluginCore's state mutex is held.
//
// Objects are shared (std::shared_ptr) between the handle table, rooms and
// queued work; the last owner releases the host's reference on the handle
// (see PluginCore::attach), never while the state mutex is held.
#pragma once
#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/permissions.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/media_view.hpp"
#include "plugin/sdp.hpp"

namespace telemed::plugin {

// Opaque handle of the host (janus_plugin_session* in entrypoint.cpp).
using HostHandle = void*;

struct Identity {
    std::string participant_id;  // token "sub", lower-case UUID
    std::string room_id;         // token "sid", lower-case UUID
    Role role = Role::Observer;
};

enum class Admission : uint8_t { Waiting, Admitted };

// A sending m-line of this participant's PeerConnection accepted for publishing.
struct PublishedStream {
    int mindex = -1;
    std::string mid;
    Source source = Source::Audio;
    uint8_t pt = 0;
};

// A receiving m-line ("slot") of this participant's PeerConnection.
struct SlotState {
    int mindex = -1;
    std::string mid;
    bool video = false;
    uint8_t pt = 0;
    int pair = -1;  // sdp::MLinePlan::pair: the audio and video slots of one msid stream
    // The remote source it carries: publisher participant id + source.
    std::optional<std::pair<std::string, Source>> assigned;
    std::shared_ptr<SlotCursor> cursor;  // replaced whenever `assigned` changes
};

// Control-plane media state, guarded by PluginCore's state mutex.
struct Negotiated {
    std::vector<PublishedStream> publishing;
    std::vector<SlotState> slots;
    bool configured = false;  // an answer was sent and not hung up since
    // What the last `configured` / `streams` told the client, so a change of
    // only the unassigned counts is sent too.
    std::size_t told_unassigned_audio = 0;
    std::size_t told_unassigned_video = 0;
};

class Participant {
public:
    explicit Participant(HostHandle handle) noexcept : handle_(handle) {}
    Participant(const Participant&) = delete;
    Participant& operator=(const Participant&) = delete;

    HostHandle handle() const noexcept { return handle_; }

    // Set by PluginCore::attach once the handle is registered: only then does
    // the last owner hand the host's reference back (Host::release_handle).
    void set_holds_host_ref() noexcept { holds_host_ref_ = true; }
    bool holds_host_ref() const noexcept { return holds_host_ref_; }

    // ---- media path (lock-free; any thread) ----
    // Hazard slots: 0 for RTP, 1 for RTCP (Janus delivers a handle's packets
    // on that handle's loop thread, so one slot per callback kind suffices).
    static constexpr int kRtpReader = 0;
    static constexpr int kRtcpReader = 1;
    const MediaView* acquire_view(int reader) noexcept {
        const MediaView* v;
        do {
            v = view_.load(std::memory_order_acquire);
            hazard_[reader].store(v, std::memory_order_seq_cst);
        } while (v != view_.load(std::memory_order_seq_cst));
        return v;
    }
    void release_view(int reader) noexcept { hazard_[reader].store(nullptr, std::memory_order_release); }
    // Control plane: installs a new view, returns the previous one (to retire).
    const MediaView* swap_view(const MediaView* fresh) noexcept {
        return view_.exchange(fresh, std::memory_order_seq_cst);
    }
    bool view_in_use(const MediaView* v) const noexcept {
        return hazard_[0].load(std::memory_order_seq_cst) == v || hazard_[1].load(std::memory_order_seq_cst) == v;
    }
    // PeerConnection up (setup_media) and not hung up since.
    bool media_ready() const noexcept { return media_ready_.load(std::memory_order_acquire); }
    void set_media_ready(bool v) noexcept { media_ready_.store(v, std::memory_order_release); }
    MediaCounters& counters() noexcept { return counters_; }
    const MediaCounters& counters() const noexcept { return counters_; }
    // Keyframe-request rate limit per publishing m-line: true if a PLI may be
    // sent now (at most one per `min_gap_us`).
    bool allow_keyframe_request(int mindex, int64_t now_us, int64_t min_gap_us) noexcept {
        if (mindex < 0 || static_cast<std::size_t>(mindex) >= last_pli_us_.size()) return false;
        auto& slot = last_pli_us_[static_cast<std::size_t>(mindex)];
        int64_t last = slot.load(std::memory_order_relaxed);
        if (now_us - last < min_gap_us) return false;
        return slot.compare_exchange_strong(last, now_us, std::memory_order_relaxed);
    }

    // Keyframe awaited after a gap the gate made in a video source (this
    // participant's own media thread only): per publishing m-line, 0 none,
    // -1 packets were held back, else when they flowed again (monotonic us).
    int64_t keyframe_awaited(int mindex) const noexcept {
        return mindex >= 0 && static_cast<std::size_t>(mindex) < key_awaited_.size()
                   ? key_awaited_[static_cast<std::size_t>(mindex)]
                   : 0;
    }
    void set_keyframe_awaited(int mindex, int64_t v) noexcept {
        if (mindex >= 0 && static_cast<std::size_t>(mindex) < key_awaited_.size())
            key_awaited_[static_cast<std::size_t>(mindex)] = v;
    }

    // ---- lock-free reads (any thread, including media callbacks) ----
    PermissionSet capabilities() const noexcept { return caps_.load(std::memory_order_acquire); }
    // Changes whenever the capability bits change (mute, unmute, permissions,
    // lobby): a key frame kept across such a change is not sent.
    uint32_t caps_epoch() const noexcept { return caps_epoch_.load(std::memory_order_acquire); }
    bool may(Permission p) const noexcept { return has(capabilities(), p); }
    bool destroyed() const noexcept { return destroyed_.load(std::memory_order_acquire); }
    // True while joined to a room (capabilities may still be empty).
    bool joined() const noexcept { return joined_.load(std::memory_order_acquire); }

    // ---- control plane (caller holds PluginCore's state mutex) ----
    // Returns true exactly once: for the caller that destroyed it.
    bool mark_destroyed() noexcept {
        set_capabilities(0);
        return !destroyed_.exchange(true, std::memory_order_acq_rel);
    }
    const std::optional<Identity>& identity() const noexcept { return identity_; }
    // Identity first, then the capability bits are published (by the caller,
    // through set_capabilities, once admission and mutes are known).
    void join(Identity id, PermissionSet granted, Admission admission) {
        identity_ = std::move(id);
        granted_ = granted & kAllPermissions;
        admission_ = admission;
        joined_.store(true, std::memory_order_release);
    }
    PermissionSet granted() const noexcept { return granted_; }
    void set_granted(PermissionSet g) noexcept { granted_ = g & kAllPermissions; }
    Admission admission() const noexcept { return admission_; }
    void set_admission(Admission a) noexcept { admission_ = a; }
    bool admitted() const noexcept { return identity_.has_value() && admission_ == Admission::Admitted; }
    // Waiting only for its consent to recording (a required room): the
    // lobby would admit it (a ticket), so its stored consent admits it.
    bool consent_ticket() const noexcept { return consent_ticket_; }
    void set_consent_ticket(bool v) noexcept { consent_ticket_ = v; }
    // Order in which members joined (lobby order).
    uint64_t join_order() const noexcept { return join_order_; }
    void set_join_order(uint64_t n) noexcept { join_order_ = n; }
    Negotiated& negotiated() noexcept { return negotiated_; }
    const Negotiated& negotiated() const noexcept { return negotiated_; }
    void set_capabilities(PermissionSet caps) noexcept {
        const PermissionSet before = caps_.exchange(caps & kAllPermissions, std::memory_order_acq_rel);
        if (before != (caps & kAllPermissions)) caps_epoch_.fetch_add(1, std::memory_order_release);
    }
    void set_role(Role r) noexcept {
        if (identity_) identity_->role = r;
    }
    // Leaves the room: capability bits are cleared before anything else.
    void clear() noexcept {
        set_capabilities(0);
        joined_.store(false, std::memory_order_release);
        identity_.reset();
        granted_ = 0;
        admission_ = Admission::Waiting;
        consent_ticket_ = false;
        negotiated_ = Negotiated{};
    }

private:
    static_assert(std::atomic<PermissionSet>::is_always_lock_free);
    static_assert(std::atomic<bool>::is_always_lock_free);

    const HostHandle handle_;
    bool holds_host_ref_ = false;
    std::atomic<PermissionSet> caps_{0};
    std::atomic<uint32_t> caps_epoch_{0};
    std::atomic<bool> destroyed_{false};
    std::atomic<bool> joined_{false};
    std::atomic<bool> media_ready_{false};
    std::atomic<const MediaView*> view_{nullptr};
    std::array<std::atomic<const MediaView*>, 2> hazard_{};
    std::array<std::atomic<int64_t>, sdp::kMaxMLines> last_pli_us_{};
    std::array<int64_t, sdp::kMaxMLines> key_awaited_{};  // media thread only
    MediaCounters counters_;

    // control plane (PluginCore's state mutex)
    std::optional<Identity> identity_;
    PermissionSet granted_ = 0;
    Admission admission_ = Admission::Waiting;
    bool consent_ticket_ = false;
    uint64_t join_order_ = 0;
    Negotiated negotiated_;
};

}  // namespace telemed::plugin
