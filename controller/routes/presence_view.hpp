// The `presence` member of each participant in GET /sessions/{id}
// (docs/API.md "Presence"; docs/DESIGN.md "Janus events"). Read from Redis
// (live/presence_store.hpp) on every request, never from the read cache:
// the cached body is the Postgres part, presence is added after.
#pragma once
#include <string>

namespace telemed {

class PresenceStore;

// `body`: a Session JSON text (routes/views.hpp session_view). Returns it
// with "presence" set on every item of "participants": the stored record,
// or {"online":false,"state":"offline",...nulls} when none is stored, or
// null for all when Redis cannot answer now. `body` unchanged when it does
// not parse (never happens for our own bodies) or `store` is null.
std::string add_presence(const std::string& body, PresenceStore* store);

}  // namespace telemed
