// Presence in Redis (docs/DESIGN.md "Janus events"): who is online in a
// session and their connection quality, written by the Janus event worker
// (jobs/janus_event_worker.hpp), read by GET /sessions/{id}.
//
//   <prefix>presence:<session id>:<participant id>   string, JSON, with a TTL
//
// The value is the participant's `presence` member as GET /sessions/{id}
// renders it: {"online","since","media","quality","loss_pct","jitter_ms",
// "rtt_ms","updated_at"}. Its own keys, each with a TTL (online: kOnlineTtlS,
// refreshed by the worker every kRefreshS; offline: presence_ttl_s), and no
// set or index: nothing else refers to them, so the live-state rebuild of
// RedisTracker may delete them (a rebuild that wipes the prefix loses them
// for at most one refresh: the worker writes every online participant again
// every kRefreshS) or leave them alone, and they vanish by themselves when no
// controller refreshes them (a crashed controller's "online" lasts at most
// kOnlineTtlS).
//
// Thread-safe. Writes come from the worker's thread on its own connection;
// reads come from HTTP threads through a small pool of connections. Redis
// down: writes fail (logged, counted, retried by the next refresh) and
// reads answer "unknown" quickly (after a failure, no new connection is
// tried for kRetryAfter).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controller/live/redis_raii.hpp"

namespace telemed {

class PresenceStore {
public:
    static constexpr unsigned kOnlineTtlS = 90;
    static constexpr unsigned kRefreshS = 30;
    static constexpr std::chrono::milliseconds kTimeout{250};
    static constexpr std::chrono::milliseconds kRetryAfter{1000};
    static constexpr std::size_t kMaxIdleReaders = 8;
    static constexpr std::size_t kMaxKeysPerRead = 256;

    PresenceStore(std::string host, int port, std::string prefix, unsigned offline_ttl_s);
    PresenceStore(const PresenceStore&) = delete;
    PresenceStore& operator=(const PresenceStore&) = delete;

    std::string key(std::string_view session_id, std::string_view participant_id) const;

    struct Write {
        std::string session_id, participant_id;
        std::string value;  // the presence JSON
        bool online = false;
    };
    // Pipelined SET key value EX ttl. false when Redis failed (nothing is
    // known to be written). Worker thread only.
    bool write(const std::vector<Write>& writes);

    // The stored values of these participants (nullopt: none stored), or
    // nullopt as a whole when Redis cannot answer now.
    std::optional<std::vector<std::optional<std::string>>> read(std::string_view session_id,
                                                                const std::vector<std::string>& participant_ids);

    // What read() last returned for this session and these participants, if
    // it read them from Redis within `max_age` and no write() of this store
    // has touched the session since (nullopt otherwise). No Redis and no
    // waiting: GET /sessions/{id} answers a cache hit from it on the HTTP
    // event thread. This store's own writes show at once; a write by another
    // controller, or a key that expired in Redis, shows within `max_age`.
    std::optional<std::vector<std::optional<std::string>>> recent(std::string_view session_id,
                                                                  const std::vector<std::string>& participant_ids,
                                                                  std::chrono::milliseconds max_age);

    uint64_t write_failures() const { return write_failures_; }
    uint64_t read_failures() const { return read_failures_; }
    uint64_t recent_reads() const { return recent_reads_; }  // answers of recent() (no Redis)

    // recent(): sessions remembered (all forgotten when full), and the most
    // participants a remembered read may have (larger ones always read Redis).
    static constexpr std::size_t kMaxRecent = 1024;
    static constexpr std::size_t kMaxRecentParticipants = 64;
private:
    // One session's last read. `gen` moves on every write() that touches
    // the session: a read that began before it must not store what it got.
    // Generations come from one counter (last_gen_), so an entry made anew
    // after the map was cleared never matches a read begun on the old one.
    struct Recent {
        uint64_t gen = 0;
        bool valid = false;
        std::chrono::steady_clock::time_point at{};
        std::vector<std::string> ids;
        std::vector<std::optional<std::string>> values;
    };
    uint64_t recent_begin(std::string_view session_id);
    void recent_store(std::string_view session_id, uint64_t gen, const std::vector<std::string>& ids,
                      const std::vector<std::optional<std::string>>& values);
    void recent_forget(const std::vector<Write>& writes);

    RedisContext connect();
    const std::string host_;
    const int port_;
    const std::string prefix_;
    const unsigned offline_ttl_s_;
    RedisContext writer_;  // worker thread only
    std::chrono::steady_clock::time_point writer_failed_at_{};
    std::mutex mu_;        // readers_, reader_failed_at_
    std::vector<RedisContext> readers_;
    std::chrono::steady_clock::time_point reader_failed_at_{};
    std::mutex recent_mu_;  // recent_
    std::unordered_map<std::string, Recent> recent_;
    uint64_t last_gen_ = 0;  // under recent_mu_
    std::atomic<uint64_t> write_failures_{0};
    std::atomic<uint64_t> read_failures_{0};
    std::atomic<uint64_t> recent_reads_{0};
};

}  // namespace telemed
