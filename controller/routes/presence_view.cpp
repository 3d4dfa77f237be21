// The presence member of GET /sessions/{id} (controller/routes/presence_view.hpp).
#include "controller/routes/presence_view.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/json.hpp"
#include "controller/live/presence_store.hpp"

namespace telemed {

namespace {

json_t* offline_presence() {
    json_t* o = json_object();
    json_object_set_new(o, "online", json_false());
    json_object_set_new(o, "state", json_string("offline"));
    json_object_set_new(o, "since", json_null());
    json_object_set_new(o, "media", json_string("down"));
    json_object_set_new(o, "quality", json_null());
    json_object_set_new(o, "loss_pct", json_null());
    json_object_set_new(o, "jitter_ms", json_null());
    json_object_set_new(o, "rtt_ms", json_null());
    json_object_set_new(o, "updated_at", json_null());
    return o;
}

// The presence member of each participant (ids in order): the stored
// record (when it is an object), else the offline record; all null when
// Redis cannot answer now.
std::vector<Json> presence_members(const std::optional<std::vector<std::optional<std::string>>>& stored,
                                   const std::vector<std::string>& ids) {
    std::vector<Json> out;
    out.reserve(ids.size());
    std::string why;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!stored) {
            out.emplace_back(json_null());
            continue;
        }
        json_t* value = nullptr;
        if ((*stored)[i]) {
            Json v = json_parse(*(*stored)[i], &why);
            if (json_is_object(v.get())) value = v.release();
        }
        out.emplace_back(value ? value : offline_presence());
    }
    return out;
}

// The text of one member as presence_members would give it, serialised:
// the stored record re-serialised, or the offline record.
std::string render_member(const std::optional<std::string>& stored) {
    if (stored) {
        std::string why;
        Json v = json_parse(*stored, &why);
        if (json_is_object(v.get())) return json_dump(v.get());
    }
    Json offline(offline_presence());
    return json_dump(offline.get());
}

// The same text, remembered per thread by stored text: a record changes a
// few times a minute while GETs splice it in thousands of times a second,
// so most answers need no JSON parsing. At most kMemoEntries records of at
// most kMemoMaxBytes each per thread (the memo is emptied when full). The
// reference is valid until the next call on this thread.
constexpr std::size_t kMemoEntries = 256;
constexpr std::size_t kMemoMaxBytes = 2048;

const std::string& member_text(const std::optional<std::string>& stored) {
    static const std::string offline = render_member(std::nullopt);
    if (!stored) return offline;
    thread_local std::unordered_map<std::string, std::string> memo;
    thread_local std::string unremembered;
    auto it = memo.find(*stored);
    if (it != memo.end()) return it->second;
    if (stored->size() > kMemoMaxBytes) {
        unremembered = render_member(stored);
        return unremembered;
    }
    if (memo.size() >= kMemoEntries) memo.clear();
    return memo.emplace(*stored, render_member(stored)).first->second;
}

}  // namespace

std::string add_presence(const std::string& body, PresenceStore* store) {
    if (!store) return body;
    // No participants (our own compact rendering): nothing to add or read.
    if (body.find("\"participants\":[]") != std::string::npos) return body;
    std::string why;
    Json root = json_parse(body, &why);
    if (!json_is_object(root.get())) return body;
    json_t* parts = json_object_get(root.get(), "participants");
    const json_t* sid = json_object_get(root.get(), "id");
    if (!json_is_array(parts) || !json_is_string(sid)) return body;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < json_array_size(parts); ++i) {
        const json_t* id = json_object_get(json_array_get(parts, i), "id");
        ids.emplace_back(json_is_string(id) ? json_string_value(id) : "");
    }
    std::vector<Json> members = presence_members(store->read(json_string_value(sid), ids), ids);
    for (std::size_t i = 0; i < json_array_size(parts); ++i) {
        json_t* p = json_array_get(parts, i);
        if (json_is_object(p)) json_object_set_new(p, "presence", members[i].release());
    }
    return json_dump(root.get());
}

namespace {

std::vector<std::string> slot_ids(const SessionCache::Entry& entry) {
    std::vector<std::string> ids;
    ids.reserve(entry.slots.size());
    for (const SessionCache::Slot& s : entry.slots) ids.push_back(s.participant_id);
    return ids;
}

// `,"presence":<member>` before each slot's '}' (members: what
// presence_members gives, as member_text renders it; `stored` nullopt: null
// for all); nullopt when a slot does not point at a '}' (never for our own
// entries: the caller parses instead).
std::optional<std::string> splice(const SessionCache::Entry& entry,
                                  const std::optional<std::vector<std::optional<std::string>>>& stored) {
    std::string out;
    out.reserve(entry.body.size() + 192 * entry.slots.size());
    std::size_t from = 0;
    for (std::size_t i = 0; i < entry.slots.size(); ++i) {
        const std::size_t at = entry.slots[i].at;
        if (at < from || at >= entry.body.size() || entry.body[at] != '}') return std::nullopt;
        out.append(entry.body, from, at - from);
        out += ",\"presence\":";
        if (stored)
            out += member_text((*stored)[i]);
        else
            out += "null";
        from = at;
    }
    out.append(entry.body, from, std::string::npos);
    return out;
}

}  // namespace

std::string add_presence(const SessionCache::Entry& entry, std::string_view session_id, PresenceStore* store) {
    if (!store || entry.slots.empty()) return entry.body;
    const std::vector<std::string> ids = slot_ids(entry);
    std::optional<std::string> out = splice(entry, store->read(session_id, ids));
    return out ? std::move(*out) : add_presence(entry.body, store);
}

std::optional<std::string> add_recent_presence(const SessionCache::Entry& entry, std::string_view session_id,
                                               PresenceStore* store, std::chrono::milliseconds max_age) {
    if (!store || entry.slots.empty()) return entry.body;
    const std::vector<std::string> ids = slot_ids(entry);
    auto stored = store->recent(session_id, ids, max_age);
    if (!stored) return std::nullopt;
    return splice(entry, stored);
}

}  // namespace telemed
