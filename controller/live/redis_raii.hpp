// Move-only owners for hiredis handles (docs/STYLE "RAII for every C handle").
#pragma once
#include <hiredis/hiredis.h>
#include <memory>

namespace telemed {

struct RedisContextFree {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using RedisContext = std::unique_ptr<redisContext, RedisContextFree>;

struct RedisReplyFree {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

}  // namespace telemed
