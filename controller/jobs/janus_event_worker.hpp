// The Janus event worker (docs/DESIGN.md "Janus events"): one thread that
// turns the events POST /internal/v1/janus-events accepted (already parsed
// and validated by common/janus_events.hpp) into participant events in
// Postgres, presence in Redis (live/presence_store.hpp) and the outbox
// events participant.joined / participant.waiting / participant.left.
// Never on an HTTP thread: the route only enqueue()s (bounded; a full queue
// drops the post's events and counts them) and answers 200.
//
// What it keeps in memory (this thread only, bounded):
//  - handles: Janus handle id -> (session, participant), learned from the
//    plugin's `joined` / `waiting` / `admitted` events (they carry the
//    participant's handle); forgotten on the handle's `detached`, and when
//    kMaxHandles would be exceeded (the oldest-seen go first) or after
//    kHandleIdle without any event. Core events (webrtcup, hangup, ICE
//    failed, stats) carry only Janus ids: an unmapped handle's events are
//    counted and dropped. After a controller restart the map is empty: the
//    first event of an unknown handle looks it up in participant_events
//    (sql/013 janus_handle: its latest joined / waiting / admitted row, if
//    the participant has not left or moved to another handle since), once
//    per handle (misses remembered, bounded), so participants still
//    connected go on being tracked.
//  - participants: state (none, waiting, in the room, left), the current
//    handle, online since, media up/down, per-stream last stats sample;
//    left ones are forgotten after kLeftKeep, at most kMaxParticipants.
//
// Transitions and their outbox events (each at most once per transition):
//  - plugin joined / admitted, not in the room yet  -> participant.joined
//    (a webrtcup adds no event: the participant entered with `joined`);
//  - plugin waiting, not waiting yet                -> participant.waiting;
//  - plugin left / kicked / denied, waiting or in   -> participant.left with
//    reason left / kicked / denied (a left for a participant this worker
//    never saw, e.g. after a controller restart, is reported too);
//  - plugin room_destroyed: everyone still in       -> participant.left,
//    reason session_ended;
//  - hangup / ICE failed of the participant's CURRENT handle, while waiting
//    or in: media down, and participant.left with reason hangup /
//    ice_failed if the participant does not come back (joined, admitted or
//    webrtcup on any handle) within janus_events_hangup_grace_ms. Back in
//    time: no event at all.
//  - plugin replaced (the same participant joined on another handle: a
//    reconnect): no event; the old handle stops counting (its hangup and
//    detach are ignored), the participant stays online.
// Rows of participant_events (sql/013): joined, waiting, admitted, left,
// kicked, denied, webrtcup, hangup, ice_failed, with {"source":"janus",
// "reason"?} and the Janus timestamp as occurred_at. Each round of the loop
// writes its rows and outbox events in ONE transaction (batched), after
// checking that each participant exists in that session (unknown ones are
// dropped and counted: Postgres is the truth about who is a participant).
// A failed transaction is retried (kStoreAttempts) and then dropped and
// counted; presence is written to Redis after it.
//
// Presence (live/presence_store.hpp): written for every participant whose
// state or quality changed in the round, and every PresenceStore::kRefreshS
// for everyone online (TTL refresh; heals a Redis rebuild that wiped it).
// Quality: per participant, the worst of its current handle's streams from
// their latest stats samples (loss over the interval between two samples,
// jitter the larger of local and remote, RTT), graded by
// janus_events::grade (good / fair / poor).
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/janus_events.hpp"

namespace telemed {
namespace db { class Pool; }
class PresenceStore;
struct ControllerConfig;

class JanusEventWorker {
public:
    static constexpr std::size_t kMaxHandles = 100000;
    static constexpr std::size_t kMaxParticipants = 100000;
    static constexpr std::size_t kMaxBatch = 5000;  // events per round
    static constexpr std::chrono::minutes kLeftKeep{10};
    static constexpr std::chrono::hours kHandleIdle{6};
    static constexpr int kStoreAttempts = 3;

    JanusEventWorker(db::Pool& pool, PresenceStore& presence, const ControllerConfig& cfg);
    ~JanusEventWorker();  // stop()
    void start();
    void stop();

    // HTTP thread: queues the events of one post, all or none. Returns false
    // (and counts them as dropped) when they do not fit.
    bool enqueue(std::vector<janus_events::Event>&& events);
    // The route's counts of a post (received elements, invalid, ignored).
    void count_post(std::size_t received, std::size_t invalid, std::size_t ignored);
    void count_refused_post() { posts_refused_ += 1; }

    // Prometheus text: telemed_janus_events_*.
    std::string render_metrics() const;

    // For tests and the benchmark: events processed so far.
    uint64_t processed() const { return processed_; }

    enum class State { None, Waiting, InRoom, Left };
    struct StreamSample {
        janus_events::Stats last;
        double loss_pct = 0.0;
        int64_t jitter_ms = 0;
        int64_t rtt_ms = -1;
    };
    struct Participant {
        std::string session_id, participant_id;
        State state = State::None;
        uint64_t handle = 0;  // current handle (0: none)
        int64_t since_us = 0;   // online since / offline since (Unix µs)
        bool media_up = false;
        std::map<std::string, StreamSample> streams;  // by mid, of the current handle
        std::optional<janus_events::Quality> quality;
        double loss_pct = 0.0;
        int64_t jitter_ms = 0, rtt_ms = -1;
        int64_t updated_us = 0;
        // A hangup / ICE failure waiting for its grace period.
        std::optional<std::chrono::steady_clock::time_point> pending_left;
        std::string pending_reason;
        std::chrono::steady_clock::time_point touched;
    };
private:
    struct HandleInfo {
        std::string key;  // participants_ key ("<sid>/<pid>")
        std::chrono::steady_clock::time_point seen;
    };
    struct Row {
        std::string session_id, participant_id, event;
        std::string reason;
        uint64_t handle = 0;  // janus_handle (0: NULL)
        int64_t occurred_us = 0;
        const char* topic = nullptr;  // outbox topic, or null
        std::string topic_reason;
    };

    void loop();
    void process(const janus_events::Event& e, std::vector<Row>& rows);
    void on_plugin(const janus_events::Event& e, std::vector<Row>& rows);
    void on_core(const janus_events::Event& e, std::vector<Row>& rows);
    void go_offline(Participant& p, const char* reason, int64_t at_us, std::vector<Row>& rows);
    void map_handle(uint64_t handle, const std::string& key);
    Participant& participant(const std::string& sid, const std::string& pid);
    void expire_pending(std::vector<Row>& rows);
    void sweep();
    void store(std::vector<Row>& rows);
    void write_presence(bool refresh_all);
    std::string presence_json(const Participant& p) const;

    db::Pool& pool_;
    PresenceStore& presence_;
    const std::size_t capacity_;
    const std::chrono::milliseconds hangup_grace_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<janus_events::Event> queue_;
    bool stop_ = false;
    std::thread thread_;

    // Worker thread only.
    std::unordered_map<uint64_t, HandleInfo> handles_;
    std::unordered_map<std::string, Participant> participants_;
    std::vector<std::string> dirty_;  // participants_ keys whose presence changed this round
    std::unordered_set<uint64_t> unknown_handles_;  // looked up in Postgres, not found (bounded)
    bool recover_handle(uint64_t handle);
    std::chrono::steady_clock::time_point last_refresh_{};

    std::atomic<uint64_t> posts_{0}, posts_refused_{0}, received_{0}, invalid_{0}, ignored_{0};
    std::atomic<uint64_t> accepted_{0}, dropped_{0}, processed_{0}, unmapped_{0}, unknown_participant_{0};
    std::atomic<uint64_t> rows_stored_{0}, outbox_events_{0}, store_failures_{0}, rows_dropped_{0};
    std::atomic<std::size_t> depth_{0};
};

}  // namespace telemed
