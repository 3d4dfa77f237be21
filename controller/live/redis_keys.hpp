// Redis key names and the commands that write the live-state schema of
// docs/DESIGN.md "Redis". Pure (Jansson only, no hiredis): RedisTracker
// sends these argv vectors; tests/unit/test_controller_aux_redis_keys.cpp
// checks them.
//
//   <prefix>session:<sid>               hash  status, kind, updated_at
//   <prefix>sessions:active             set   ids of `active` sessions
//   <prefix>sessions:open               set   ids of `scheduled` or `active` sessions
//   <prefix>session:<sid>:participants  hash  participant id -> {"user_id","role"}
//   <prefix>sessions:rebuilt_at         string  when the last rebuild finished, "rebuilding"
//                                       while one runs (its absence tells the tracker
//                                       Redis lost its data)
//   <prefix>rebuild:open, rebuild:active  sets being built by a rebuild, renamed
//                                       onto sessions:open / sessions:active at its end
// The rebuild owns exactly these patterns (Keys::owned_session_id): other keys
// under the prefix (e.g. presence keys with their own TTL) are left alone.
#pragma once
#include <jansson.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "controller/live/redis_tracker.hpp"

namespace telemed::redis {

using Command = std::vector<std::string>;  // argv of one Redis command

inline bool is_open_status(std::string_view status) { return status == "scheduled" || status == "active"; }

// Escapes the glob metacharacters of SCAN MATCH (* ? [ ] \) so a prefix
// matches literally.
inline std::string glob_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

struct Keys {
    std::string prefix;  // e.g. "telemed:"

    std::string session(std::string_view sid) const { return prefix + "session:" + std::string(sid); }
    std::string participants(std::string_view sid) const { return session(sid) + ":participants"; }
    std::string active() const { return prefix + "sessions:active"; }
    std::string open() const { return prefix + "sessions:open"; }
    // SCAN MATCH pattern covering every key above (and nothing outside the prefix).
    std::string scan_pattern() const { return glob_escape(prefix) + "*"; }
    std::string rebuilt_at() const { return prefix + "sessions:rebuilt_at"; }
    std::string rebuild_open() const { return prefix + "rebuild:open"; }
    std::string rebuild_active() const { return prefix + "rebuild:active"; }
    // SCAN MATCH pattern of the per-session keys (a superset: other keys of
    // that shape may exist, see owned_session_id).
    std::string session_scan_pattern() const { return glob_escape(prefix) + "session:*"; }
    // The session id when `key` is one of the rebuild's per-session keys,
    // <prefix>session:<sid> or <prefix>session:<sid>:participants (sid
    // non-empty, without ':'); "" for any other key.
    std::string owned_session_id(std::string_view key) const {
        const std::string head = prefix + "session:";
        if (key.size() <= head.size() || key.substr(0, head.size()) != head) return {};
        std::string_view rest = key.substr(head.size());
        const std::size_t colon = rest.find(':');
        if (colon == std::string_view::npos) return std::string(rest);
        if (colon == 0 || rest.substr(colon) != ":participants") return {};
        return std::string(rest.substr(0, colon));
    }
};

// {"user_id":"…","role":"…"} (compact, this key order). "" if Jansson fails
// (allocation failure or invalid UTF-8 in an argument).
inline std::string participant_value(std::string_view user_id, std::string_view role) {
    json_t* o = json_object();
    if (!o) return {};
    json_object_set_new(o, "user_id", json_stringn(user_id.data(), user_id.size()));
    json_object_set_new(o, "role", json_stringn(role.data(), role.size()));
    std::string out;
    if (json_object_size(o) == 2) {
        if (char* s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) {
            out = s;
            std::free(s);
        }
    }
    json_decref(o);
    return out;
}

// Ended / cancelled (or unknown status): every key of the session goes.
inline std::vector<Command> session_closed_commands(const Keys& k, std::string_view sid) {
    return {
        {"DEL", k.session(sid), k.participants(sid)},
        {"SREM", k.active(), std::string(sid)},
        {"SREM", k.open(), std::string(sid)},
    };
}

inline std::vector<Command> session_changed_commands(const Keys& k, std::string_view sid, std::string_view status,
                                                     std::string_view kind, std::string_view updated_at) {
    if (!is_open_status(status)) return session_closed_commands(k, sid);
    const std::string id(sid);
    return {
        {"HSET", k.session(sid), "status", std::string(status), "kind", std::string(kind), "updated_at",
         std::string(updated_at)},
        {status == "active" ? "SADD" : "SREM", k.active(), id},
        {"SADD", k.open(), id},
    };
}

inline std::vector<Command> participant_upserted_commands(const Keys& k, std::string_view sid, std::string_view pid,
                                                          std::string_view user_id, std::string_view role) {
    std::string v = participant_value(user_id, role);
    if (v.empty()) return {};
    return {{"HSET", k.participants(sid), std::string(pid), std::move(v)}};
}

inline std::vector<Command> participant_removed_commands(const Keys& k, std::string_view sid, std::string_view pid) {
    return {{"HDEL", k.participants(sid), std::string(pid)}};
}

// What a batched rebuild writes for one session (docs/DESIGN.md "Redis"):
// its two keys replaced (UNLINK, then written) and its id added to the sets
// being built (rebuild_open / rebuild_active). Sent in one MULTI/EXEC with
// other sessions', never split, so a reader sees each session whole. Empty
// for a session that is not open.
inline std::vector<Command> rebuild_session_commands(const Keys& k, const LiveSession& s, std::string_view now) {
    std::vector<Command> out;
    if (!is_open_status(s.status) || s.id.empty()) return out;
    out.push_back({"UNLINK", k.session(s.id), k.participants(s.id)});
    out.push_back({"HSET", k.session(s.id), "status", s.status, "kind", s.kind, "updated_at",
                   s.updated_at.empty() ? std::string(now) : s.updated_at});
    out.push_back({"SADD", k.rebuild_open(), s.id});
    if (s.status == "active") out.push_back({"SADD", k.rebuild_active(), s.id});
    Command h{"HSET", k.participants(s.id)};
    for (const LiveParticipant& p : s.participants) {
        std::string v = participant_value(p.user_id, p.role);
        if (p.id.empty() || v.empty()) continue;
        h.push_back(p.id);
        h.push_back(std::move(v));
    }
    if (h.size() > 2) out.push_back(std::move(h));
    return out;
}

// The end of a batched rebuild's writes, one MULTI/EXEC: the sets built
// replace the live ones at once (UNLINK frees the old ones off the main
// thread; RENAME only of a set that exists), and the rebuilt_at marker,
// "rebuilding" until the tracker sets the finish time (SET ... XX).
inline std::vector<Command> rebuild_swap_commands(const Keys& k, bool any_open, bool any_active) {
    std::vector<Command> out{{"UNLINK", k.open(), k.active()}};
    if (any_open) out.push_back({"RENAME", k.rebuild_open(), k.open()});
    if (any_active) out.push_back({"RENAME", k.rebuild_active(), k.active()});
    out.push_back({"SET", k.rebuilt_at(), "rebuilding"});
    return out;
}

}  // namespace telemed::redis
