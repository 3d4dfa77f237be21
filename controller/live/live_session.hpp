// What the live layer (Redis) knows of one open session: the shape the
// data layer reads from Postgres for a rebuild (db::load_live_sessions) and
// RedisTracker writes. Plain structs, so the data layer does not include the
// Redis client.
#pragma once
#include <string>
#include <vector>

namespace telemed {

struct LiveParticipant {
    std::string id;       // participant id (UUID)
    std::string user_id;  // caller-supplied user id (an id, never a name)
    std::string role;     // doctor | patient | paramedic | observer
};

struct LiveSession {
    std::string id;          // session id (UUID)
    std::string status;      // scheduled | active (anything else is skipped)
    std::string kind;        // consultation | emergency | follow_up
    std::string updated_at;  // RFC 3339 UTC; "" = time of the rebuild
    std::vector<LiveParticipant> participants;  // active participants only
};

}  // namespace telemed
