// RecordingStore: the plugin's HTTP jobs for recording, off every plugin
// lock and every media thread (docs/DESIGN.md "Recording"):
//  - consent answers: POST /internal/v1/consents. consent=true is effective
//    in the plugin only after the controller answered 2xx (deny by default);
//    the outcome goes back to the worker (`on_consent`);
//  - recording events: POST /internal/v1/recordings/events ("started",
//    "stopped"), retried kMaxEventAttempts times with a growing pause; a
//    lost event loses nothing (manifest.json on disk is the durable truth).
// The same shape as the ChatStore (chat_store.hpp): the worker submits under
// the state mutex, `threads` store threads call the RecordingBackend with no
// lock of the core held, outcomes are queued for the worker. Its mutex is a
// leaf. threads == 0: nothing runs by itself, pump() does the work (tests).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "plugin/participant.hpp"
#include "plugin/recording.hpp"

namespace telemed::plugin {

// The controller's internal recording API, seen from the plugin. Calls block
// (a store thread waits) and must not throw; false: failed, nothing known.
class RecordingBackend {
public:
    virtual ~RecordingBackend() = default;
    // POST /internal/v1/consents {"session_id","participant_id","recording"}:
    // true and *consent_id (the stored row's id) on 2xx.
    virtual bool store_consent(const std::string& session_id, const std::string& participant_id, bool recording,
                               std::string* consent_id) = 0;
    // POST /internal/v1/recordings/events: true on 2xx.
    virtual bool post_event(const RecordingEventMsg& event) = 0;
};

// A consent answer to store, and whom to tell.
struct PendingConsent {
    std::string room_id;
    std::string participant_id;
    bool recording = false;
    uint64_t seq = 0;  // ConsentState::seq when it was asked
    std::shared_ptr<Participant> from;
    std::optional<std::string> transaction;
};

struct ConsentDone {
    PendingConsent request;
    bool stored = false;
    std::string consent_id;  // when stored
};

class RecordingStore {
public:
    static constexpr std::size_t kMaxPending = 1024;
    static constexpr int kMaxEventAttempts = 4;

    RecordingStore(RecordingBackend& backend, std::size_t threads, std::function<void(ConsentDone)> on_consent);
    ~RecordingStore();  // stop()
    RecordingStore(const RecordingStore&) = delete;
    RecordingStore& operator=(const RecordingStore&) = delete;

    void start();
    // Stops and joins the threads (a call in flight finishes or times out);
    // queued work is dropped. Idempotent.
    void stop();

    // false: full or stopped (a consent=true is then answered 5031).
    bool submit_consent(PendingConsent c);
    bool submit_event(RecordingEventMsg e);

    // threads == 0 only: runs everything queued (retries at once) on the
    // calling thread. Returns the number of calls made.
    std::size_t pump();

    RecordingBackend& backend() { return backend_; }
    // Queued consents and events (admin `stats`).
    std::size_t backlog() {
        std::lock_guard lk(mu_);
        return consents_.size() + events_.size();
    }

private:
    struct EventJob {
        RecordingEventMsg event;
        int attempts = 0;
        std::chrono::steady_clock::time_point not_before{};
    };
    // One piece of work (mu_ held): a consent first, else an event that is due.
    bool take_locked(std::optional<PendingConsent>* c, std::optional<EventJob>* e, bool ignore_time);
    void run_consent(PendingConsent c);
    // true when done (sent, or given up).
    bool run_event(EventJob& e);
    void thread_loop();

    RecordingBackend& backend_;
    const std::size_t threads_;
    std::function<void(ConsentDone)> on_consent_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<PendingConsent> consents_;
    std::deque<EventJob> events_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace telemed::plugin
