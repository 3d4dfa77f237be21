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
#include <atomic>
#include <optional>
#include <string>

#include "common/permissions.hpp"

namespace telemed::plugin {

// Opaque handle of the host (janus_plugin_session* in entrypoint.cpp).
using HostHandle = void*;

struct Identity {
    std::string participant_id;  // token "sub", lower-case UUID
    std::string room_id;         // token "sid", lower-case UUID
    Role role = Role::Observer;
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

    // ---- lock-free reads (any thread, including media callbacks) ----
    PermissionSet capabilities() const noexcept { return caps_.load(std::memory_order_acquire); }
    bool may(Permission p) const noexcept { return has(capabilities(), p); }
    bool destroyed() const noexcept { return destroyed_.load(std::memory_order_acquire); }
    // True while joined to a room (capabilities may still be empty).
    bool joined() const noexcept { return joined_.load(std::memory_order_acquire); }

    // ---- control plane (caller holds PluginCore's state mutex) ----
    // Returns true exactly once: for the caller that destroyed it.
    bool mark_destroyed() noexcept {
        caps_.store(0, std::memory_order_release);
        return !destroyed_.exchange(true, std::memory_order_acq_rel);
    }
    const std::optional<Identity>& identity() const noexcept { return identity_; }
    // Identity first, then the capability bits are published.
    void admit(Identity id, PermissionSet caps) {
        identity_ = std::move(id);
        joined_.store(true, std::memory_order_release);
        caps_.store(caps & kAllPermissions, std::memory_order_release);
    }
    void set_capabilities(PermissionSet caps) noexcept {
        caps_.store(caps & kAllPermissions, std::memory_order_release);
    }
    void set_role(Role r) noexcept {
        if (identity_) identity_->role = r;
    }
    // Leaves the room: capability bits are cleared before anything else.
    void clear() noexcept {
        caps_.store(0, std::memory_order_release);
        joined_.store(false, std::memory_order_release);
        identity_.reset();
    }

private:
    static_assert(std::atomic<PermissionSet>::is_always_lock_free);
    static_assert(std::atomic<bool>::is_always_lock_free);

    const HostHandle handle_;
    bool holds_host_ref_ = false;
    std::atomic<PermissionSet> caps_{0};
    std::atomic<bool> destroyed_{false};
    std::atomic<bool> joined_{false};
    std::optional<Identity> identity_;
};

}  // namespace telemed::plugin
