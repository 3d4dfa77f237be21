// A latch-like gate for the threaded unit tests: wait() blocks until open().
#pragma once
#include <condition_variable>
#include <mutex>

class Gate {
public:
    void open() {
        std::lock_guard<std::mutex> lk(mu_);
        open_ = true;
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [this] { return open_; });
    }
private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool open_ = false;
};
