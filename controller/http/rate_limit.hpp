// A token-bucket rate limiter keyed by string (client address, credential),
// in memory, per controller process. POST /join uses two (docs/DESIGN.md
// "Participant credentials").
//
// Each key has a bucket of `burst` tokens refilled at `per_minute` / 60
// tokens a second; a request takes one token or is refused with the seconds
// until one is back (the Retry-After value). At most `max_keys` buckets are
// kept: the least recently used one is dropped to make room (it then starts
// full again: a bound on memory, not on an attacker with more than max_keys
// addresses). Thread-safe (one mutex; take() is O(1) and never blocks on
// I/O). Pure: no clock of its own, the caller passes the time.
#pragma once
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace telemed {

struct RateDecision {
    bool allowed = true;
    int64_t retry_after_s = 0;  // >= 1 when refused
};

class RateLimiter {
public:
    // per_minute 0 = unlimited (take() always allows). burst 0 = per_minute.
    RateLimiter(uint32_t per_minute, uint32_t burst, std::size_t max_keys);

    // Takes one token from `key`'s bucket at time `now_ms` (any monotonic
    // milliseconds; time going backwards counts as no time passing).
    RateDecision take(std::string_view key, int64_t now_ms);

    std::size_t size() const;  // buckets held
    bool unlimited() const { return per_minute_ == 0; }

private:
    struct Bucket {
        double tokens = 0;
        int64_t at_ms = 0;
        std::list<std::string>::iterator lru;
    };
    const uint32_t per_minute_;
    const double capacity_;
    const std::size_t max_keys_;
    mutable std::mutex mu_;
    std::list<std::string> lru_;  // most recently used first
    std::unordered_map<std::string, Bucket> buckets_;
};

// The two limiters of POST /join, sized by the join_rate_* settings.
struct JoinRateLimits {
    static constexpr std::size_t kMaxKeys = 20000;
    JoinRateLimits(uint32_t per_credential_per_minute, uint32_t per_address_per_minute)
        : per_credential(per_credential_per_minute, 0, kMaxKeys), per_address(per_address_per_minute, 0, kMaxKeys) {}
    RateLimiter per_credential;  // key: participant id
    RateLimiter per_address;     // key: address_rate_key(client address)
};

// The rate-limit key of a client address: IPv4 as is, IPv6 by its /64
// prefix (one host usually owns a whole /64), e.g. "2001:db8:1:2::/64";
// IPv4-mapped IPv6 as the IPv4 address. Anything unparsable as is.
std::string address_rate_key(std::string_view address);

}  // namespace telemed
