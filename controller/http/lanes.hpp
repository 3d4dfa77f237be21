// Bulkheads for request handlers (issue 11): every route belongs to a lane,
// and each non-inline lane runs its handlers on a bounded worker pool of its
// own with a bounded queue, so a dependency that hangs can only fill its own
// lane.
//
//   Lane::Inline  handled on the HTTP event thread at once: /healthz,
//                 /readyz (cached readiness), /metrics, /openapi.json, the
//                 static web app. Must never wait on a dependency.
//   Lane::Db      needs Postgres (and Redis) only.
//   Lane::Janus   calls the Janus Admin API (and Postgres).
//
// LanePool: `workers` threads take jobs from a FIFO of at most `queue_cap`
// waiting jobs. submit() refuses at once when the queue is full (the server
// answers 503 + Retry-After). A job still waiting `max_wait` after its
// submission is taken off the queue and finished without running (its
// callback gets Outcome::Expired, on the pool's reaper thread), so a
// request never waits in a queue longer than that. stop() refuses further
// jobs, finishes the waiting ones with Outcome::Stopped, and joins the
// threads once the running jobs have returned.
//
// start() creates the threads (the server calls it when it starts, so a
// failure to create them fails start-up instead of leaving accepted jobs
// that never run); submit() before start() refuses (Submit::Stopped), and
// so does every submit after a failed start().
//
// Pure C++ (no libmicrohttpd): unit-tested in tests/unit/test_controller_lanes.cpp.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace telemed {

enum class Lane { Inline, Db, Janus };
// "inline", "db", "janus" (NUL-terminated literals).
std::string_view to_string(Lane lane);

class LanePool {
public:
    using Clock = std::chrono::steady_clock;
    enum class Outcome { Run, Expired, Stopped };
    // Called exactly once per accepted job: with Run on a worker thread
    // (the job's work), or with Expired / Stopped when it is dropped
    // unrun (it must then only answer, quickly: it runs on the reaper or
    // on the thread calling stop()).
    using Job = std::function<void(Outcome)>;
    enum class Submit { Accepted, Full, Stopped };
    // Creates a thread running its argument (std::thread by default; tests
    // inject one that fails). May throw (std::system_error).
    using ThreadFactory = std::function<std::thread(std::function<void()>)>;

    // workers >= 1; queue_cap 0 means "no waiting": a job is accepted only
    // when a worker is free. `now`: a test clock; a pool on a test clock has
    // no reaper thread (the test calls expire_due() itself).
    LanePool(std::string name, unsigned workers, std::size_t queue_cap, std::chrono::milliseconds max_wait,
             std::function<Clock::time_point()> now = {}, ThreadFactory spawn = {});
    ~LanePool();  // stop()
    LanePool(const LanePool&) = delete;
    LanePool& operator=(const LanePool&) = delete;

    // Starts the workers (and the reaper). false with *error when a thread
    // cannot be created: the threads already made are joined and the pool
    // stays refusing. true at once when already started.
    bool start(std::string* error);
    // Stopped when the pool is not started (or stopping).
    Submit submit(Job job);
    // Finishes expired jobs now (the reaper thread calls this on its own;
    // tests with a fake clock call it directly). Returns how many.
    std::size_t expire_due();
    void stop();

    const std::string& name() const { return name_; }
    std::chrono::milliseconds max_wait() const { return max_wait_; }
    struct Stats {
        std::size_t queued = 0;   // waiting now
        unsigned busy = 0;        // running now
        uint64_t rejected = 0;    // refused: queue full
        uint64_t expired = 0;     // waited longer than max_wait
    };
    Stats stats() const;

private:
    struct Item {
        Job job;
        Clock::time_point deadline;
    };
    void worker();
    void reaper();

    const std::string name_;
    const unsigned workers_;
    const std::size_t queue_cap_;
    const std::chrono::milliseconds max_wait_;
    // reaper_ before now_: it is read from the constructor's `now` argument,
    // which now_'s initializer moves from.
    const bool reaper_;
    const std::function<Clock::time_point()> now_;
    const ThreadFactory spawn_;
    mutable std::mutex mu_;
    std::condition_variable work_cv_;
    std::condition_variable reap_cv_;
    std::deque<Item> queue_;
    unsigned busy_ = 0;
    uint64_t rejected_ = 0;
    uint64_t expired_ = 0;
    bool stopping_ = false;
    bool threads_started_ = false;
    std::vector<std::thread> threads_;
};

struct LaneLimits {
    unsigned workers = 4;
    std::size_t queue = 32;
    std::chrono::milliseconds max_wait{1000};
};

// The non-inline lanes of one server.
class Lanes {
public:
    Lanes(const LaneLimits& db, const LaneLimits& janus);
    // Starts both pools; false with *error when threads cannot be created
    // (then neither pool accepts jobs).
    bool start(std::string* error);
    // nullptr for Lane::Inline.
    LanePool* pool(Lane lane);
    void stop();
private:
    LanePool db_;
    LanePool janus_;
};

}  // namespace telemed
