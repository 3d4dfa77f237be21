// Cached readiness (issue 11 bulkheads): one background prober per
// dependency (Postgres, Redis, Janus), each checking on its own thread every
// `interval` with its own short deadline, so GET /readyz reads the state
// instantly and never waits behind a dependency.
//
// A dependency counts as up while its last check succeeded AND that success
// is at most `stale_after` old. A check that hangs past its own deadline
// (Postgres stopped with SIGSTOP answers nothing) therefore turns the
// dependency "down" stale_after after its last success, without waiting for
// the hung call: with main.cpp's values (interval 250 ms, stale_after
// 1250 ms) an outage shows within 2 s.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace telemed {

class Readiness {
public:
    using Clock = std::chrono::steady_clock;
    using Check = std::function<bool()>;  // true = up; may block up to its own deadline

    Readiness(std::chrono::milliseconds interval, std::chrono::milliseconds stale_after);
    ~Readiness();  // stop()
    Readiness(const Readiness&) = delete;
    Readiness& operator=(const Readiness&) = delete;

    // Before start(). Names are the keys of /readyz "checks".
    void add(std::string name, Check check);
    void start();
    void stop();

    struct Status {
        std::string name;
        bool up = false;
    };
    // Instant: never calls a check.
    std::vector<Status> snapshot() const;

private:
    struct Probe {
        std::string name;
        Check check;
        std::atomic<bool> last_ok{false};
        std::atomic<Clock::rep> last_success{0};  // Clock ticks; 0 = never
        std::thread thread;
    };
    void run(Probe& p);
    bool is_up(const Probe& p, Clock::time_point now) const;

    const std::chrono::milliseconds interval_;
    const std::chrono::milliseconds stale_after_;
    std::vector<std::unique_ptr<Probe>> probes_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool started_ = false;
};

}  // namespace telemed
