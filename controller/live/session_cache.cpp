// SessionCache (controller/live/session_cache.hpp).
//
// Size bound: count_ is reserved (fetch_add) before an insert of a new key
// and released after an erase, so it never undercounts the entries; an
// insert that would pass max_entries evicts one arbitrary entry of its own
// shard first, or stores nothing if that shard is empty.
#include "controller/live/session_cache.hpp"

#include <functional>

namespace telemed {

SessionCache::SessionCache(std::size_t max_entries) : max_entries_(max_entries) {}

SessionCache::Shard& SessionCache::shard_of(std::string_view id) {
    return shards_[std::hash<std::string_view>{}(id) % kShards];
}

SessionCache::Body SessionCache::peek(const std::string& id) {
    if (!in_service()) return nullptr;
    Shard& s = shard_of(id);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(id);
    return it != s.map.end() ? it->second : nullptr;
}

SessionCache::Body SessionCache::lookup(const std::string& id) {
    if (!in_service()) return nullptr;
    Body found = peek(id);
    (found ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
    return found;
}

SessionCache::Ticket SessionCache::begin_fill(const std::string& id) {
    Ticket t;
    if (!in_service()) return t;
    t.seq = shard_of(id).seq.load();
    t.valid = true;
    return t;
}

bool SessionCache::fill(const std::string& id, const Ticket& t, Entry entry) {
    if (!t.valid || max_entries_ == 0 || entry.body.size() > kMaxBodyBytes) return false;
    Body value = std::make_shared<const Entry>(std::move(entry));
    Shard& s = shard_of(id);
    std::lock_guard<std::mutex> lock(s.mu);
    // Both checks under the shard lock: invalidate() and set_connected()
    // bump the sequence under the same lock.
    if (!connected_.load() || s.seq.load() != t.seq) return false;
    auto it = s.map.find(id);
    if (it != s.map.end()) {
        it->second = std::move(value);
        return true;
    }
    if (count_.fetch_add(1) >= max_entries_) {
        if (s.map.empty()) {
            count_.fetch_sub(1);
            return false;
        }
        s.map.erase(s.map.begin());  // arbitrary victim
        count_.fetch_sub(1);
    }
    s.map.emplace(id, std::move(value));
    return true;
}

void SessionCache::invalidate(std::string_view id) {
    if (max_entries_ == 0) return;
    invalidations_.fetch_add(1, std::memory_order_relaxed);
    Shard& s = shard_of(id);
    std::lock_guard<std::mutex> lock(s.mu);
    s.seq.fetch_add(1);
    auto it = s.map.find(std::string(id));
    if (it != s.map.end()) {
        s.map.erase(it);
        count_.fetch_sub(1);
    }
}

void SessionCache::flush_all() {
    for (Shard& s : shards_) {
        std::lock_guard<std::mutex> lock(s.mu);
        s.seq.fetch_add(1);
        count_.fetch_sub(s.map.size());
        s.map.clear();
    }
}

void SessionCache::set_connected(bool connected) {
    if (connected) {
        // Whatever was cached before may have missed notifications.
        flush_all();
        connected_.store(true);
    } else {
        connected_.store(false);
        flush_all();
    }
}

std::string SessionCache::render_metrics() const {
    std::string out;
    auto counter = [&out](const char* name, const char* help, uint64_t v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
               std::to_string(v) + "\n";
    };
    auto gauge = [&out](const char* name, const char* help, uint64_t v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " +
               std::to_string(v) + "\n";
    };
    counter("telemed_session_cache_hits_total", "GET /sessions/{id} answered from the read cache.", hits());
    counter("telemed_session_cache_misses_total", "GET /sessions/{id} read from Postgres while the cache was in service.",
            misses());
    counter("telemed_session_cache_invalidations_total", "Session ids invalidated (local writes and notifications).",
            invalidations());
    gauge("telemed_session_cache_entries", "Responses held by the read cache.", size());
    gauge("telemed_session_cache_in_service",
          "1 when the read cache is enabled and its change listener is connected.", in_service() ? 1 : 0);
    return out;
}

}  // namespace telemed
