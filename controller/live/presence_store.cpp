// Presence in Redis (controller/live/presence_store.hpp).
#include "controller/live/presence_store.hpp"

#include <sys/time.h>

#include "controller/log.hpp"

namespace telemed {

namespace {

}  // namespace

PresenceStore::PresenceStore(std::string host, int port, std::string prefix, unsigned offline_ttl_s)
    : host_(std::move(host)), port_(port), prefix_(std::move(prefix)), offline_ttl_s_(offline_ttl_s) {}

std::string PresenceStore::key(std::string_view session_id, std::string_view participant_id) const {
    std::string k;
    k.reserve(prefix_.size() + 10 + session_id.size() + 1 + participant_id.size());
    k.append(prefix_).append("presence:").append(session_id).append(":").append(participant_id);
    return k;
}

RedisContext PresenceStore::connect() {
    RedisContext c(redisConnectWithTimeout(host_.c_str(), port_, redis_timeval(kTimeout)));
    if (!c || c->err != 0 || redisSetTimeout(c.get(), redis_timeval(kTimeout)) != REDIS_OK) return {};
    return c;
}

bool PresenceStore::write(const std::vector<Write>& writes) {
    if (writes.empty()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (!writer_) {
        if (writer_failed_at_ != std::chrono::steady_clock::time_point{} && now - writer_failed_at_ < kRetryAfter) {
            write_failures_ += 1;
            return false;
        }
        writer_ = connect();
        if (!writer_) {
            writer_failed_at_ = now;
            write_failures_ += 1;
            return false;
        }
    }
    bool ok = true;
    for (const Write& w : writes) {
        const unsigned ttl = w.online ? kOnlineTtlS : offline_ttl_s_;
        ok = ok && redis_append(writer_.get(), {"SET", key(w.session_id, w.participant_id), w.value, "EX", std::to_string(ttl)});
    }
    for (std::size_t i = 0; ok && i < writes.size(); ++i) {
        RedisReply r = redis_read_reply(writer_.get());
        if (!r || r->type == REDIS_REPLY_ERROR) ok = false;
    }
    // After the writes reached Redis (or failed part-way): a read that began
    // before this point may hold the old values and must not keep them.
    recent_forget(writes);
    if (!ok) {
        writer_.reset();
        writer_failed_at_ = now;
        write_failures_ += 1;
        log_warn("presence: Redis write of %zu record(s) failed", writes.size());
    }
    return ok;
}

uint64_t PresenceStore::recent_begin(std::string_view session_id) {
    std::lock_guard lk(recent_mu_);
    auto it = recent_.find(std::string(session_id));
    if (it != recent_.end()) return it->second.gen;
    if (recent_.size() >= kMaxRecent) recent_.clear();
    // A fresh generation, never one a read begun on a forgotten entry holds.
    Recent fresh;
    fresh.gen = ++last_gen_;
    recent_.emplace(std::string(session_id), std::move(fresh));
    return last_gen_;
}

void PresenceStore::recent_store(std::string_view session_id, uint64_t gen, const std::vector<std::string>& ids,
                                 const std::vector<std::optional<std::string>>& values) {
    std::lock_guard lk(recent_mu_);
    auto it = recent_.find(std::string(session_id));
    if (it == recent_.end() || it->second.gen != gen) return;  // forgotten, or written since
    if (ids.size() > kMaxRecentParticipants) return;
    Recent& r = it->second;
    r.valid = true;
    r.at = std::chrono::steady_clock::now();
    r.ids = ids;
    r.values = values;
}

void PresenceStore::recent_forget(const std::vector<Write>& writes) {
    std::lock_guard lk(recent_mu_);
    for (const Write& w : writes) {
        auto it = recent_.find(w.session_id);
        if (it == recent_.end()) continue;
        it->second.gen = ++last_gen_;
        it->second.valid = false;
    }
}

std::optional<std::vector<std::optional<std::string>>> PresenceStore::recent(
    std::string_view session_id, const std::vector<std::string>& participant_ids, std::chrono::milliseconds max_age) {
    if (participant_ids.empty()) return std::vector<std::optional<std::string>>{};
    std::lock_guard lk(recent_mu_);
    auto it = recent_.find(std::string(session_id));
    if (it == recent_.end()) return std::nullopt;
    const Recent& r = it->second;
    if (!r.valid || r.ids != participant_ids || std::chrono::steady_clock::now() - r.at > max_age) return std::nullopt;
    recent_reads_ += 1;
    return r.values;
}

std::optional<std::vector<std::optional<std::string>>> PresenceStore::read(
    std::string_view session_id, const std::vector<std::string>& participant_ids) {
    std::vector<std::optional<std::string>> out(participant_ids.size());
    if (participant_ids.empty()) return out;
    if (participant_ids.size() > kMaxKeysPerRead) return std::nullopt;
    const uint64_t gen = recent_begin(session_id);
    RedisContext c;
    {
        std::lock_guard lk(mu_);
        if (!readers_.empty()) {
            c = std::move(readers_.back());
            readers_.pop_back();
        } else if (reader_failed_at_ != std::chrono::steady_clock::time_point{} &&
                   std::chrono::steady_clock::now() - reader_failed_at_ < kRetryAfter) {
            read_failures_ += 1;
            return std::nullopt;
        }
    }
    if (!c) c = connect();
    bool ok = static_cast<bool>(c);
    RedisReply r;
    if (ok) {
        std::vector<std::string> args;
        args.reserve(participant_ids.size() + 1);
        args.emplace_back("MGET");
        for (const std::string& pid : participant_ids) args.push_back(key(session_id, pid));
        ok = redis_append(c.get(), args);
        if (ok) r = redis_read_reply(c.get());
        ok = ok && r && r->type == REDIS_REPLY_ARRAY && r->elements == participant_ids.size();
    }
    if (!ok) {
        read_failures_ += 1;
        std::lock_guard lk(mu_);
        reader_failed_at_ = std::chrono::steady_clock::now();
        return std::nullopt;
    }
    for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        if (e && e->type == REDIS_REPLY_STRING) out[i] = std::string(e->str, e->len);
    }
    {
        std::lock_guard lk(mu_);
        if (readers_.size() < kMaxIdleReaders) readers_.push_back(std::move(c));
    }
    recent_store(session_id, gen, participant_ids, out);
    return out;
}

}  // namespace telemed
