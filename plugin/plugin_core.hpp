// PluginCore: the whole control plane of janus.plugin.telemed, free of Janus
// headers. entrypoint.cpp forwards each Janus callback to one method here and
// implements Host; unit tests drive it with a recording Host.
//
// Threads and locks
//  - mu_ (state mutex) guards the handle table, the rooms and every
//    Participant's identity. It is held only for in-memory work; the host's
//    push_event / close_pc / notify_event are never called under it.
//  - Every effect (an event to a handle, a PeerConnection close, a
//    notification) is queued under mu_, in state-change order, onto the same
//    queue as client messages; the single worker thread (or drain() in tests)
//    runs them with no lock held. So clients see events in the order the
//    state changed, and Janus locks and ours never nest.
//  - The last reference to a Participant is never dropped under mu_ (its
//    deleter gives the Janus handle reference back).
#pragma once
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/json.hpp"
#include "common/token.hpp"
#include "plugin/errors.hpp"
#include "plugin/events.hpp"
#include "plugin/host.hpp"
#include "plugin/participant.hpp"
#include "plugin/plugin_config.hpp"
#include "plugin/protocol.hpp"
#include "plugin/room.hpp"
#include "plugin/work_queue.hpp"

namespace telemed::plugin {

inline constexpr std::size_t kMaxQueuedMessages = 4096;
inline constexpr std::size_t kMaxHandles = 100000;

class PluginCore {
public:
    PluginCore(Host& host, PluginConfig config, KeyRing keys);
    ~PluginCore();  // stops the worker; drops queued work
    PluginCore(const PluginCore&) = delete;
    PluginCore& operator=(const PluginCore&) = delete;

    const PluginConfig& config() const { return config_; }

    // ---- Janus handle lifecycle (create_session / destroy_session / ...) ----
    // Registers a new handle. false: already known, table full or stopping (the
    // host keeps its reference then). Sets nothing on the host side.
    bool attach(HostHandle h);
    // The raw object for plugin_handle (diagnostics only; look-ups go through
    // the table). nullptr if unknown.
    Participant* find_raw(HostHandle h) const;
    // destroy_session: leaves the room (others are told), marks destroyed.
    // false if the handle was unknown.
    bool detach(HostHandle h);
    // hangup_media: the media path arrives with the next issue; nothing to undo.
    void hangup(HostHandle h);
    // query_session: {"participant_id","session_id","role","permissions","joined"}
    // (ids only, never tokens). nullptr if unknown.
    Json query(HostHandle h) const;

    // ---- client messages: queued, answered later by the worker ----
    enum class Enqueued { Ok, UnknownHandle, Busy, Stopped };
    Enqueued enqueue_message(HostHandle h, std::optional<std::string> transaction, Json message, Json jsep);

    // ---- Admin API (message_plugin): synchronous, returns the response ----
    Json handle_admin(const json_t* request);

    // ---- worker ----
    void start_worker();
    void stop_worker();  // idempotent; queued work is dropped
    // Runs queued work on the calling thread until the queue is empty (tests;
    // must not be mixed with a running worker). Returns the number of tasks.
    std::size_t drain();

    std::size_t room_count() const;
    std::size_t handle_count() const;

private:
    struct ClientMessage {
        std::shared_ptr<Participant> from;
        std::optional<std::string> transaction;
        Json message;
        Json jsep;
    };
    struct Push {
        std::shared_ptr<Participant> to;
        std::optional<std::string> transaction;
        Json event;
    };
    struct ClosePc {
        std::shared_ptr<Participant> to;
    };
    struct Notify {
        std::shared_ptr<Participant> about;  // may be null
        Json event;
    };
    using Task = std::variant<ClientMessage, Push, ClosePc, Notify>;

    void run(Task& task) noexcept;
    void run_client(ClientMessage& m);
    void worker_loop() noexcept;

    // --- helpers below require mu_ held ---
    Room* find_room(std::string_view id);
    void push_locked(const std::shared_ptr<Participant>& to, const std::optional<std::string>& txn, Json event);
    void close_pc_locked(const std::shared_ptr<Participant>& to);
    void notify_locked(const std::shared_ptr<Participant>& about, Json event);
    void reply_error(const std::shared_ptr<Participant>& to, const std::optional<std::string>& txn, const Failure& f);
    std::vector<RosterEntry> roster_without(const Room& room, std::string_view participant_id) const;
    void broadcast_roster(const Room& room);
    // Removes a member from its room and the room's view: capability bits are
    // cleared first. The caller decides which events the removed one gets.
    void evict(Room& room, const std::shared_ptr<Participant>& p);

    void join(const std::shared_ptr<Participant>& p, const JoinRequest& req, const std::optional<std::string>& txn,
              int64_t now);
    void leave(const std::shared_ptr<Participant>& p, const std::optional<std::string>& txn);

    Json admin_ping();
    Json admin_create_room(const CreateRoomRequest& r);
    Json admin_destroy_room(const DestroyRoomRequest& r);
    Json admin_list_rooms();
    Json admin_room_info(const RoomInfoRequest& r);
    Json admin_set_permissions(const SetPermissionsRequest& r);
    Json admin_kick(const KickRequest& r);
    // Kicks a connected member (reason "removed"). Returns true if it was connected.
    bool kick_member(Room& room, const std::string& participant_id);

    void log(LogLevel level, std::string_view line) const { host_.log(level, line); }

    Host& host_;
    const PluginConfig config_;
    const KeyRing keys_;

    mutable std::mutex mu_;
    std::unordered_map<HostHandle, std::shared_ptr<Participant>> handles_;
    std::map<std::string, std::unique_ptr<Room>, std::less<>> rooms_;

    WorkQueue<Task> queue_{kMaxQueuedMessages};
    std::thread worker_;
};

}  // namespace telemed::plugin
