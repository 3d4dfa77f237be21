// Read cache of GET /sessions/{id} (docs/DESIGN.md "Read cache"): the
// serialized 200 body per session id, in memory, bounded.
//
//   SessionCache cache(10000);
//   if (auto hit = cache.lookup(id)) return hit->body;       // hit: no database
//   SessionCache::Ticket t = cache.begin_fill(id);           // BEFORE reading Postgres
//   std::string fresh = ...read Postgres, render...;
//   cache.fill(id, t, fresh);                                // kept only if nothing changed since
//                                                            // (an Entry: the body and its presence slots)
//
// Correctness rests on three rules:
// - Race-free fill: begin_fill() records the invalidation sequence of the
//   id's shard; fill() inserts only if that sequence is unchanged (checked
//   under the shard lock). A concurrent invalidate() therefore always wins
//   over a reader that may have read the data before the change committed.
// - Every change invalidates: routes call invalidate(id) after their
//   transaction ends (read-your-writes on this controller); changes made by
//   other writers arrive through Postgres NOTIFY (session_cache_listener).
// - No notifications, no cache: until set_connected(true) (the listener has
//   LISTENed) and whenever it is set false (connection lost), lookup() misses
//   and fill() stores nothing. Both transitions flush everything.
//
// Thread-safe. Free of libpq (unit-tested alone). Ids are used as given:
// callers pass the canonical lower-case UUID text.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace telemed {

class SessionCache {
public:
    // Bodies larger than this are not cached (they are served uncached).
    static constexpr std::size_t kMaxBodyBytes = 64 * 1024;
    static constexpr std::size_t kShards = 16;

    // max_entries 0 disables the cache entirely (lookup always misses,
    // fill never stores). Starts disconnected (bypassed).
    explicit SessionCache(std::size_t max_entries);
    SessionCache(const SessionCache&) = delete;
    SessionCache& operator=(const SessionCache&) = delete;

    // A cached response: the Session JSON as a database read renders it
    // (without presence), and where GET /sessions/{id} inserts each active
    // participant's `presence` member (routes/presence_view.hpp), so a hit
    // is answered by splicing instead of parsing and re-serialising `body`.
    struct Slot {
        std::string participant_id;
        std::size_t at = 0;  // offset in `body` of the participant object's closing '}'
    };
    struct Entry {
        std::string body;
        std::vector<Slot> slots;  // in body order
    };
    using Body = std::shared_ptr<const Entry>;

    // The cached body, or nullptr (miss, disabled, or not connected).
    // Counts a hit or a miss when the cache is in service.
    Body lookup(const std::string& id);
    // The same without counting (a first try that may hand the request on to
    // a lookup() elsewhere); count_hit() when the peeked body was the answer.
    Body peek(const std::string& id);
    void count_hit() { hits_.fetch_add(1, std::memory_order_relaxed); }

    struct Ticket {
        bool valid = false;  // false: do not fill (disabled / not connected)
        uint64_t seq = 0;
    };
    // Call BEFORE reading the database for `id`.
    Ticket begin_fill(const std::string& id);
    // Stores `body` for `id` if the ticket is valid, the cache is still
    // connected and no invalidation hit the id's shard since begin_fill.
    // Returns whether it stored. When full, an arbitrary entry goes.
    bool fill(const std::string& id, const Ticket& t, Entry entry);
    // An entry without slots.
    bool fill(const std::string& id, const Ticket& t, std::string body) {
        return fill(id, t, Entry{std::move(body), {}});
    }

    // Drops `id` and makes every fill begun before this call fail.
    void invalidate(std::string_view id);
    // Drops everything; every fill begun before this call fails.
    void flush_all();

    // The listener's state: true once LISTEN is active, false when its
    // connection is lost. Each call flushes everything (before enabling).
    void set_connected(bool connected);
    bool in_service() const { return max_entries_ != 0 && connected_.load(); }

    std::size_t size() const { return count_.load(); }
    std::size_t max_entries() const { return max_entries_; }
    uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
    uint64_t invalidations() const { return invalidations_.load(std::memory_order_relaxed); }

    // Prometheus text: telemed_session_cache_{hits,misses,invalidations}_total,
    // telemed_session_cache_entries, telemed_session_cache_in_service.
    std::string render_metrics() const;
private:
    struct Shard {
        std::mutex mu;
        std::atomic<uint64_t> seq{0};  // bumped by every invalidation of a key in the shard
        std::unordered_map<std::string, Body> map;
    };
    Shard& shard_of(std::string_view id);

    const std::size_t max_entries_;
    std::array<Shard, kShards> shards_;
    std::atomic<bool> connected_{false};
    std::atomic<std::size_t> count_{0};
    std::atomic<uint64_t> hits_{0};
    std::atomic<uint64_t> misses_{0};
    std::atomic<uint64_t> invalidations_{0};
};

// Invalidates one session id when it goes out of scope: declared before a
// mutation's transaction, it runs after COMMIT, after ROLLBACK and after a
// failed COMMIT (outcome unknown) alike.
class SessionCacheInvalidation {
public:
    SessionCacheInvalidation(SessionCache& cache, std::string id) : cache_(cache), id_(std::move(id)) {}
    ~SessionCacheInvalidation() { cache_.invalidate(id_); }
    SessionCacheInvalidation(const SessionCacheInvalidation&) = delete;
    SessionCacheInvalidation& operator=(const SessionCacheInvalidation&) = delete;
private:
    SessionCache& cache_;
    std::string id_;
};

}  // namespace telemed
