// Orders the Janus work on one session inside this controller process.
//
// A REST step sends its Janus request before it commits, without a row lock
// (routes/janus_step.hpp). The end's destroy_room could then be undone by a
// create_room of a change that read the session while it was still open: a
// participant add (create_room is an upsert), a start, or the room
// reconciler's restore. The room of an ended session came back until the
// reconciler's next pass, and a join got in (tests/integ/lifecycle.test.mjs
// "an end racing other changes").
//
// So: REST Janus steps hold their session's lock shared (they still run side
// by side); session transitions (start, end, cancel) hold it exclusive; the
// reconciler takes it exclusive for a restore without waiting, and leaves a
// busy session to its next pass; so does the lifecycle job
// (jobs/session_lifecycle.hpp) for an automatic end or cancel. Sessions share kStripes locks by hash: a
// false share only makes one wait for the other's step (bounded by its
// Janus budget).
#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <shared_mutex>
#include <string_view>

namespace telemed {

class SessionLocks {
public:
    static constexpr std::size_t kStripes = 64;
    std::shared_mutex& of(std::string_view session_id) noexcept {
        return stripes_[std::hash<std::string_view>{}(session_id) % kStripes];
    }

private:
    std::array<std::shared_mutex, kStripes> stripes_;
};

// The controller's one set of locks (REST handlers, the reconciler, the lifecycle job).
inline SessionLocks& session_locks() {
    static SessionLocks locks;
    return locks;
}

}  // namespace telemed
