// Redis key names and the commands that write the live-state schema of
// docs/DESIGN.md "Redis". Pure (Jansson only, no hiredis): RedisTracker
// sends these argv vectors; tests/unit/test_controller_aux_redis_keys.cpp
// checks them.
//
//   <prefix>session:<sid>               hash  status, kind, updated_at
//   <prefix>sessions:active             set   ids of `active` sessions
//   <prefix>sessions:open               set   ids of `scheduled` or `active` sessions
//   <prefix>session:<sid>:participants  hash  participant id -> {"user_id","role"}
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

// Everything a rebuild writes after wiping the prefix: the open sessions of
// `sessions` (others are skipped), their sets and participant hashes.
// `now` stands in for an empty updated_at.
inline std::vector<Command> snapshot_commands(const Keys& k, const std::vector<LiveSession>& sessions,
                                              std::string_view now) {
    std::vector<Command> out;
    for (const LiveSession& s : sessions) {
        if (!is_open_status(s.status) || s.id.empty()) continue;
        out.push_back({"HSET", k.session(s.id), "status", s.status, "kind", s.kind, "updated_at",
                       s.updated_at.empty() ? std::string(now) : s.updated_at});
        out.push_back({"SADD", k.open(), s.id});
        if (s.status == "active") out.push_back({"SADD", k.active(), s.id});
        if (s.participants.empty()) continue;
        Command h{"HSET", k.participants(s.id)};
        for (const LiveParticipant& p : s.participants) {
            std::string v = participant_value(p.user_id, p.role);
            if (p.id.empty() || v.empty()) continue;
            h.push_back(p.id);
            h.push_back(std::move(v));
        }
        if (h.size() > 2) out.push_back(std::move(h));
    }
    return out;
}

}  // namespace telemed::redis
