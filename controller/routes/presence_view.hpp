// The `presence` member of each participant in GET /sessions/{id}
// (docs/API.md "Presence"; docs/DESIGN.md "Janus events"). Read from Redis
// (live/presence_store.hpp), never from the read cache: the cached body is
// the Postgres part, presence is added after. add_recent_presence uses the
// store's memory of its last read instead (no Redis, bounded age).
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "controller/live/session_cache.hpp"

namespace telemed {

class PresenceStore;

// `body`: a Session JSON text (routes/views.hpp session_view). Returns it
// with "presence" set on every item of "participants": the stored record,
// or {"online":false,"state":"offline",...nulls} when none is stored, or
// null for all when Redis cannot answer now. `body` unchanged when it does
// not parse (never happens for our own bodies) or `store` is null.
std::string add_presence(const std::string& body, PresenceStore* store);

// The same for a read-cache entry (routes/views.hpp session_view_entry),
// without parsing the body: `,"presence":<member>` is inserted before each
// slot's closing '}', the member being what add_presence would set (the
// stored record re-serialised, the offline record, or null for all when
// Redis cannot answer now). No slots: the body as it is, Redis not asked.
// Same text as add_presence(entry.body, store).
std::string add_presence(const SessionCache::Entry& entry, std::string_view session_id, PresenceStore* store);

// The same text from PresenceStore::recent() (what a read within `max_age`
// got, no write of this controller since), without Redis and without
// waiting; nullopt when the store has nothing that recent. No slots or no
// store: the body as it is.
std::optional<std::string> add_recent_presence(const SessionCache::Entry& entry, std::string_view session_id,
                                               PresenceStore* store, std::chrono::milliseconds max_age);

}  // namespace telemed
