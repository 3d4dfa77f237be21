// The room reconciler (issue 11 item 4): Janus keeps its rooms in memory, so
// a Janus restart loses every room, with its lobby admissions, force-mutes
// and the bans of moderator kicks. This thread notices it and puts every room
// back without any REST call.
//
// Every janus_reconcile_interval_ms it asks the plugin for its `snapshot`
// (admin_api::SnapshotRequest: the plugin instance id and each room's
// admitted ids, mute states and bans) and reads from Postgres which rooms
// must exist (active sessions, and scheduled ones with active participants).
//  - The plugin's instance id differs from the last one seen (kept in Redis
//    and in memory): Janus restarted, every expected room is restored (an
//    upsert: a room a REST call re-created meanwhile gets the rest).
//  - An expected room is missing: it is restored.
//  - A room whose session is ended/cancelled: destroyed.
//  - A room whose id is no session at all (made by hand through the Admin
//    API): destroyed, at most 100 per pass (issue 15).
// Restore = create_room with the session's state, grants of the active
// participants and bans (removed participants in Postgres, plus the bans of
// the last snapshot), and the last snapshot's admitted ids and mute states.
// After a restart, the admitted ids and mute states go to each room at most
// once per plugin instance (the plugin ORs them into the live state: sent
// again they would undo a moderator's unmute); a pass that goes on with the
// restore (Janus went away meanwhile) re-creates only rooms missing again,
// from the snapshot the new instance took since, or without that state.
// The snapshot of every other room is stored in Redis
// (<prefix>room:<sid>:snapshot, JSON, written when it changed) and in memory,
// so neither a controller restart nor a Redis loss alone loses it.
//
// Recording state comes back with the room (issue 15): every restore's
// create_room carries the latest stored consent answer of each active
// participant ("consents"), so nobody answers again; after a restart, a
// session's `recording` row is marked lost (fault media_server_lost, then
// processed as incomplete) before its room is re-created, and an
// `optional` room whose recording was cut by this restart records again as
// a new recording (insert_starting + Admin `record` start, actor system),
// like a REST start; a `required` room starts its own (the plugin's rule).
// A recording stopped on purpose before the crash is not restarted.
//
// Also re-sends the permission sets of sessions whose REST Janus call failed
// in transport (request_resync).
//
// state(): Restoring from the start until a pass found every expected room
// in place or attempted it with Janus answering (a room Janus refuses, e.g.
// the plugin's room limit, is logged and tried again at each pass, without
// holding readiness), and again whenever Janus is unreachable or restarted;
// Ok after. /readyz reports it as checks.rooms.
#pragma once
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "common/admin_api.hpp"

namespace telemed {
namespace db { class Pool; }
class JanusAdmin;

class RoomReconciler {
public:
    enum class State { Restoring, Ok };
    RoomReconciler(db::Pool& pool, JanusAdmin& janus, std::string redis_host, int redis_port,
                   std::string redis_prefix, unsigned interval_ms);
    ~RoomReconciler();  // stops the thread
    void start();
    void stop();
    // Restoring also when a Janus call failed in transport since the last
    // good pass: Janus may have restarted meanwhile (until the next pass,
    // which then comes sooner).
    State state() const;
    // A REST request's Janus call to this session timed out or failed in
    // transport: Janus may still apply it later (a paused Janus reads the
    // request once resumed) while the request answered 503 with Postgres
    // unchanged. At the next pass with Janus reachable, every active
    // participant's permission set and role are sent again from Postgres
    // (set_permissions), so the media path matches Postgres. Thread-safe;
    // at most kMaxResync sessions wait (more are dropped with a warning).
    void request_resync(const std::string& session_id);
    static constexpr std::size_t kMaxResync = 10000;
    // "restoring" | "ok"
    const char* state_name() const { return state() == State::Ok ? "ok" : "restoring"; }

    struct Impl;
private:
    void run();
    bool pass();  // one comparison; true when every expected room is in place or was answered by Janus
    void resync_pending();
    // Restore of a room after a Janus restart (docs/DESIGN.md "Recording",
    // "After a Janus restart"): the session's `recording` row marked lost
    // (its id), and an optional room's recording started again.
    std::optional<std::string> mark_lost_recording(const std::string& sid, bool room_present);
    void resume_recording(const std::string& sid, const std::optional<std::string>& lost_now);
    bool current_instance() const;
    bool stopping() const;

    db::Pool& pool_;
    JanusAdmin& janus_;
    const unsigned interval_ms_;
    std::unique_ptr<Impl> impl_;
    std::atomic<State> state_{State::Restoring};
    std::atomic<uint64_t> failures_seen_{0};
    std::string instance_ok_;  // plugin instance of the last good pass; guarded by mu_  // janus_.transport_failures() before the last good pass
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::set<std::string> resync_;  // guarded by mu_
    std::thread thread_;
};

}  // namespace telemed
