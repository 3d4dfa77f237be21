// Lanes and their bounded worker pools (controller/http/lanes.hpp).
//
// One mutex per pool guards the queue and the counters. Workers wait on
// work_cv_; the reaper waits on reap_cv_ until the oldest job's deadline
// (jobs are FIFO with one max_wait, so the front is always the first to
// expire). Callbacks always run outside the mutex.
#include "controller/http/lanes.hpp"

#include <exception>

#include "controller/log.hpp"

namespace telemed {

std::string_view to_string(Lane lane) {
    switch (lane) {
        case Lane::Inline: return "inline";
        case Lane::Db: return "db";
        case Lane::Janus: return "janus";
    }
    return "?";
}

namespace {

// A job callback must not throw (the server's jobs catch everything); if one
// does anyway, the pool survives it.
void call(const LanePool::Job& job, LanePool::Outcome outcome, const std::string& lane) noexcept {
    try {
        job(outcome);
    } catch (const std::exception&) {
        log_error("lane %s: a job threw", lane.c_str());
    } catch (...) {
        log_error("lane %s: a job threw", lane.c_str());
    }
}

}  // namespace

LanePool::LanePool(std::string name, unsigned workers, std::size_t queue_cap, std::chrono::milliseconds max_wait,
                   std::function<Clock::time_point()> now, ThreadFactory spawn)
    : name_(std::move(name)),
      workers_(workers == 0 ? 1 : workers),
      queue_cap_(queue_cap),
      max_wait_(max_wait),
      reaper_(!now),
      now_(now ? std::move(now) : std::function<Clock::time_point()>(&Clock::now)),
      spawn_(spawn ? std::move(spawn)
                   : ThreadFactory([](std::function<void()> fn) { return std::thread(std::move(fn)); })) {}

LanePool::~LanePool() { stop(); }

bool LanePool::start(std::string* error) {
    std::vector<std::thread> made;
    std::string why;
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (threads_started_) return true;
        if (stopping_) {
            *error = "lane " + name_ + ": cannot start a stopped pool";
            return false;
        }
        try {
            made.reserve(workers_ + 1);  // push_back below cannot throw
            for (unsigned i = 0; i < workers_; ++i) made.push_back(spawn_([this] { worker(); }));
            if (reaper_) made.push_back(spawn_([this] { reaper(); }));
            threads_ = std::move(made);
            threads_started_ = true;
            return true;
        } catch (const std::exception& e) {
            why = e.what();
        } catch (...) {
            why = "unknown error";
        }
        stopping_ = true;  // refuses every submit from now on
    }
    // The threads made so far wait for mu_ or a job; wake them to end.
    work_cv_.notify_all();
    reap_cv_.notify_all();
    for (std::thread& t : made)
        if (t.joinable()) t.join();
    *error = "lane " + name_ + ": cannot create its threads (" + why + ")";
    return false;
}

LanePool::Submit LanePool::submit(Job job) {
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (stopping_ || !threads_started_) return Submit::Stopped;
        // Accepted while the jobs not yet running fit the free workers plus
        // the queue. (A job moves from queue_ to busy_ under mu_, so this
        // count does not depend on how fast the workers are.)
        if (queue_.size() + 1 > (workers_ - busy_) + queue_cap_) {
            ++rejected_;
            return Submit::Full;
        }
        queue_.push_back(Item{std::move(job), now_() + max_wait_});
    }
    work_cv_.notify_one();
    reap_cv_.notify_one();
    return Submit::Accepted;
}

void LanePool::worker() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
        work_cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping
        Item item = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
        lk.unlock();
        call(item.job, Outcome::Run, name_);
        item.job = nullptr;  // release captures outside the lock
        lk.lock();
        --busy_;
    }
}

std::size_t LanePool::expire_due() {
    std::vector<Job> due;
    {
        std::lock_guard<std::mutex> lk(mu_);
        const Clock::time_point now = now_();
        while (!queue_.empty() && queue_.front().deadline <= now) {
            due.push_back(std::move(queue_.front().job));
            queue_.pop_front();
        }
        expired_ += due.size();
    }
    for (const Job& j : due) call(j, Outcome::Expired, name_);
    return due.size();
}

void LanePool::reaper() {
    std::unique_lock<std::mutex> lk(mu_);
    while (!stopping_) {
        if (queue_.empty()) {
            reap_cv_.wait(lk);
            continue;
        }
        const auto wait = queue_.front().deadline - now_();
        if (wait > Clock::duration::zero()) {
            reap_cv_.wait_for(lk, wait);
            continue;
        }
        lk.unlock();
        expire_due();
        lk.lock();
    }
}

void LanePool::stop() {
    std::deque<Item> dropped;
    std::vector<std::thread> threads;
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (stopping_ && threads_.empty() && queue_.empty()) return;
        stopping_ = true;
        dropped.swap(queue_);
        threads.swap(threads_);
    }
    work_cv_.notify_all();
    reap_cv_.notify_all();
    for (Item& it : dropped) call(it.job, Outcome::Stopped, name_);
    for (std::thread& t : threads)
        if (t.joinable()) t.join();
}

LanePool::Stats LanePool::stats() const {
    std::lock_guard<std::mutex> lk(mu_);
    Stats s;
    s.queued = queue_.size();
    s.busy = busy_;
    s.rejected = rejected_;
    s.expired = expired_;
    return s;
}

Lanes::Lanes(const LaneLimits& db, const LaneLimits& janus)
    : db_("db", db.workers, db.queue, db.max_wait), janus_("janus", janus.workers, janus.queue, janus.max_wait) {}

bool Lanes::start(std::string* error) {
    if (!db_.start(error)) {
        janus_.stop();
        return false;
    }
    if (!janus_.start(error)) {
        db_.stop();
        return false;
    }
    return true;
}

LanePool* Lanes::pool(Lane lane) {
    switch (lane) {
        case Lane::Db: return &db_;
        case Lane::Janus: return &janus_;
        case Lane::Inline: break;
    }
    return nullptr;
}

void Lanes::stop() {
    db_.stop();
    janus_.stop();
}

}  // namespace telemed
