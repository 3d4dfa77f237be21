// The recording store threads (plugin/recording_store.hpp).
#include "plugin/recording_store.hpp"

#include <utility>

namespace telemed::plugin {
namespace {

// Pause before attempt n+1 of an event (n = attempts made).
std::chrono::milliseconds retry_pause(int attempts) {
    return std::chrono::milliseconds(attempts <= 1 ? 500 : attempts == 2 ? 2000 : 5000);
}

}  // namespace

RecordingStore::RecordingStore(RecordingBackend& backend, std::size_t threads,
                               std::function<void(ConsentDone)> on_consent)
    : backend_(backend), threads_(threads), on_consent_(std::move(on_consent)) {}

RecordingStore::~RecordingStore() { stop(); }

void RecordingStore::start() {
    std::lock_guard lk(mu_);
    if (!workers_.empty() || stopping_) return;
    for (std::size_t i = 0; i < threads_; ++i) workers_.emplace_back([this] { thread_loop(); });
}

void RecordingStore::stop() {
    std::vector<std::thread> doomed;
    std::deque<PendingConsent> consents;
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
        doomed.swap(workers_);
    }
    cv_.notify_all();
    for (std::thread& t : doomed)
        if (t.joinable()) t.join();
    {
        std::lock_guard lk(mu_);
        consents.swap(consents_);
        events_.clear();
    }
    // Participants held by dropped work are released here, outside mu_.
}

bool RecordingStore::submit_consent(PendingConsent c) {
    {
        std::lock_guard lk(mu_);
        if (stopping_ || consents_.size() + events_.size() >= kMaxPending) return false;
        consents_.push_back(std::move(c));
    }
    cv_.notify_one();
    return true;
}

bool RecordingStore::submit_event(RecordingEventMsg e) {
    {
        std::lock_guard lk(mu_);
        if (stopping_ || consents_.size() + events_.size() >= kMaxPending) return false;
        events_.push_back(EventJob{std::move(e), 0, {}});
    }
    cv_.notify_one();
    return true;
}

bool RecordingStore::take_locked(std::optional<PendingConsent>* c, std::optional<EventJob>* e, bool ignore_time) {
    // Consents first: a participant waits on each of them.
    if (!consents_.empty()) {
        c->emplace(std::move(consents_.front()));
        consents_.pop_front();
        return true;
    }
    const auto now = std::chrono::steady_clock::now();
    for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (ignore_time || it->not_before <= now) {
            e->emplace(std::move(*it));
            events_.erase(it);
            return true;
        }
    }
    return false;
}

void RecordingStore::run_consent(PendingConsent c) {
    ConsentDone done;
    try {
        done.stored = backend_.store_consent(c.room_id, c.participant_id, c.recording, &done.consent_id);
    } catch (...) {
        done.stored = false;
    }
    if (!done.stored) done.consent_id.clear();
    done.request = std::move(c);
    try {
        on_consent_(std::move(done));
    } catch (...) {
        // on_consent only queues: a failure there loses that answer, never the thread.
    }
}

bool RecordingStore::run_event(EventJob& e) {
    bool ok = false;
    try {
        ok = backend_.post_event(e.event);
    } catch (...) {
        ok = false;
    }
    ++e.attempts;
    return ok || e.attempts >= kMaxEventAttempts;
}

void RecordingStore::thread_loop() {
    while (true) {
        std::optional<PendingConsent> c;
        std::optional<EventJob> e;
        {
            std::unique_lock lk(mu_);
            while (!stopping_ && !take_locked(&c, &e, false)) {
                if (events_.empty()) {
                    cv_.wait(lk);
                } else {
                    auto next = events_.front().not_before;
                    for (const EventJob& j : events_) next = std::min(next, j.not_before);
                    cv_.wait_until(lk, next);
                }
            }
            if (stopping_) return;
        }
        if (c) {
            run_consent(std::move(*c));
        } else if (e && !run_event(*e)) {
            std::lock_guard lk(mu_);
            e->not_before = std::chrono::steady_clock::now() + retry_pause(e->attempts);
            if (!stopping_) events_.push_back(std::move(*e));
        }
    }
}

std::size_t RecordingStore::pump() {
    std::size_t n = 0;
    while (true) {
        std::optional<PendingConsent> c;
        std::optional<EventJob> e;
        {
            std::lock_guard lk(mu_);
            if (!take_locked(&c, &e, true)) return n;
        }
        ++n;
        if (c) {
            run_consent(std::move(*c));
        } else if (e && !run_event(*e)) {
            std::lock_guard lk(mu_);
            events_.push_back(std::move(*e));
        }
    }
}

}  // namespace telemed::plugin
