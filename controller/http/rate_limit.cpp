#include "controller/http/rate_limit.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace telemed {

RateLimiter::RateLimiter(uint32_t per_minute, uint32_t burst, std::size_t max_keys)
    : per_minute_(per_minute),
      capacity_(static_cast<double>(burst ? burst : per_minute)),
      max_keys_(std::max<std::size_t>(1, max_keys)) {}

RateDecision RateLimiter::take(std::string_view key, int64_t now_ms) {
    RateDecision d;
    if (per_minute_ == 0) return d;
    const double rate_per_ms = static_cast<double>(per_minute_) / 60000.0;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = buckets_.find(std::string(key));
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_keys_) {
            buckets_.erase(lru_.back());
            lru_.pop_back();
        }
        lru_.emplace_front(key);
        Bucket b;
        b.tokens = capacity_;
        b.at_ms = now_ms;
        b.lru = lru_.begin();
        it = buckets_.emplace(lru_.front(), b).first;
    } else {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
    }
    Bucket& b = it->second;
    if (now_ms > b.at_ms) {
        b.tokens = std::min(capacity_, b.tokens + static_cast<double>(now_ms - b.at_ms) * rate_per_ms);
        b.at_ms = now_ms;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return d;
    }
    d.allowed = false;
    const double wait_ms = (1.0 - b.tokens) / rate_per_ms;
    d.retry_after_s = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_ms / 1000.0)));
    return d;
}

std::size_t RateLimiter::size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return buckets_.size();
}

std::string address_rate_key(std::string_view address) {
    if (address.size() >= INET6_ADDRSTRLEN) return std::string(address);
    const std::string a(address);
    in6_addr v6{};
    if (inet_pton(AF_INET6, a.c_str(), &v6) != 1) return a;
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) {
        char buf[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, v6.s6_addr + 12, buf, sizeof buf)) return buf;
        return a;
    }
    std::memset(v6.s6_addr + 8, 0, 8);
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, &v6, buf, sizeof buf)) return a;
    return std::string(buf) + "/64";
}

}  // namespace telemed
