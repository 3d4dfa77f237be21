// Move-only owners for hiredis handles (docs/STYLE "RAII for every C handle").
#pragma once
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace telemed {

struct RedisContextFree {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using RedisContext = std::unique_ptr<redisContext, RedisContextFree>;

struct RedisReplyFree {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

// hiredis's connect / socket timeouts.
inline timeval redis_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

// Queues one command (binary-safe argv) on c's output buffer.
inline bool redis_append(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const std::string& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) == REDIS_OK;
}

// The next reply (flushing what is queued); null on an I/O or protocol error.
inline RedisReply redis_read_reply(redisContext* c) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK) return {};
    return RedisReply(static_cast<redisReply*>(r));
}

}  // namespace telemed
