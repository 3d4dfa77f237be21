// The deadline of the work on the current thread: the HTTP server sets one
// for each request handed to a lane (db_request_budget_ms), and the data
// layer ends every wait on Postgres by it (db/pool.cpp, db/pg.cpp), so one
// request cannot wait on a hung database longer than its budget however
// many statements, retries or pool waits it makes.
//
//   ScopedDeadline guard(steady_clock::now() + budget);   // nests: the earlier wins
//   if (auto d = thread_deadline()) ...
#pragma once
#include <chrono>
#include <optional>

namespace telemed {

using SteadyTime = std::chrono::steady_clock::time_point;

// The innermost deadline set on this thread, if any.
std::optional<SteadyTime> thread_deadline();

// The earlier of `t` and thread_deadline().
SteadyTime clamp_to_thread_deadline(SteadyTime t);

class ScopedDeadline {
public:
    explicit ScopedDeadline(SteadyTime deadline);
    ~ScopedDeadline();
    ScopedDeadline(const ScopedDeadline&) = delete;
    ScopedDeadline& operator=(const ScopedDeadline&) = delete;
private:
    std::optional<SteadyTime> previous_;
};

}  // namespace telemed
