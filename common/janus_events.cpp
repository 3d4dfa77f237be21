// Janus event handler posts as typed values (common/janus_events.hpp).
#include "common/janus_events.hpp"

#include <jansson.h>

#include <algorithm>

#include "common/ids.hpp"
#include "common/json.hpp"

namespace telemed::janus_events {

namespace {

constexpr std::string_view kPluginName = "janus.plugin.telemed";

// Janus ids: a non-negative integer, or null / absent (0).
bool read_id(const json_t* o, const char* key, uint64_t* out) {
    const json_t* v = json_object_get(o, key);
    *out = 0;
    if (!v || json_is_null(v)) return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
    *out = static_cast<uint64_t>(json_integer_value(v));
    return true;
}

// A counter: an integer (absent: 0); negative values (Janus's lost counters
// are signed 32-bit in RTCP) are clamped to 0.
bool read_count(const json_t* o, const char* key, int64_t* out) {
    const json_t* v = json_object_get(o, key);
    *out = 0;
    if (!v) return true;
    if (!json_is_integer(v)) return false;
    *out = std::max<json_int_t>(0, json_integer_value(v));
    return true;
}

bool read_string(const json_t* o, const char* key, std::size_t max, std::string_view* out) {
    const json_t* v = json_object_get(o, key);
    if (!json_is_string(v)) return false;
    const std::size_t n = json_string_length(v);
    if (n > max) return false;
    *out = std::string_view(json_string_value(v), n);
    return true;
}

enum class Outcome { Used, Ignored, Invalid };

Outcome parse_webrtc(const json_t* ev, int64_t subtype, Event* out) {
    if (subtype == 6) {
        std::string_view conn;
        if (!read_string(ev, "connection", 32, &conn)) return Outcome::Invalid;
        if (conn == "webrtcup") {
            out->kind = Kind::WebrtcUp;
            return Outcome::Used;
        }
        if (conn == "hangup") {
            out->kind = Kind::Hangup;
            const json_t* r = json_object_get(ev, "reason");
            if (r) {
                std::string_view reason;
                if (!read_string(ev, "reason", kMaxReasonBytes, &reason)) return Outcome::Invalid;
                // Janus's reasons are short English phrases; keep printable ASCII only.
                for (char c : reason)
                    if (c < 0x20 || c > 0x7e) return Outcome::Invalid;
                out->reason = std::string(reason);
            }
            return Outcome::Used;
        }
        return Outcome::Ignored;
    }
    if (subtype == 1) {
        std::string_view ice;
        if (!read_string(ev, "ice", 32, &ice)) return Outcome::Invalid;
        if (ice == "failed") {
            out->kind = Kind::IceFailed;
            return Outcome::Used;
        }
        return Outcome::Ignored;
    }
    return Outcome::Ignored;
}

Outcome parse_stats(const json_t* ev, Event* out) {
    Stats& s = out->stats;
    std::string_view mid, media;
    const json_t* m = json_object_get(ev, "mid");
    if (m && !json_is_null(m)) {
        if (!read_string(ev, "mid", kMaxMidBytes, &mid)) return Outcome::Invalid;
    }
    if (!read_string(ev, "media", 32, &media)) return Outcome::Invalid;
    // Only audio and video layer 0 carry what we grade; "video-sim1/2"
    // (simulcast layers) and data are ignored.
    if (media != "audio" && media != "video") return Outcome::Ignored;
    s.mid = std::string(mid);
    s.video = media == "video";
    if (!read_count(ev, "lost", &s.lost) || !read_count(ev, "lost-by-remote", &s.lost_by_remote) ||
        !read_count(ev, "packets-received", &s.packets_received) ||
        !read_count(ev, "packets-sent", &s.packets_sent) ||
        !read_count(ev, "jitter-local", &s.jitter_local_ms) ||
        !read_count(ev, "jitter-remote", &s.jitter_remote_ms))
        return Outcome::Invalid;
    const json_t* rtt = json_object_get(ev, "rtt");
    if (rtt) {
        if (!json_is_integer(rtt)) return Outcome::Invalid;
        s.rtt_ms = std::max<json_int_t>(0, json_integer_value(rtt));
    }
    out->kind = Kind::Stats;
    return Outcome::Used;
}

Outcome parse_plugin(const json_t* ev, Event* out) {
    std::string_view plugin;
    if (!read_string(ev, "plugin", 64, &plugin)) return Outcome::Invalid;
    if (plugin != kPluginName) return Outcome::Ignored;
    const json_t* data = json_object_get(ev, "data");
    if (!json_is_object(data)) return Outcome::Invalid;
    std::string_view name, room;
    if (!read_string(data, "event", 32, &name)) return Outcome::Invalid;
    if (!parse_plugin_event(name, &out->plugin)) return Outcome::Ignored;
    if (!read_string(data, "room", 64, &room) || !is_uuid(room)) return Outcome::Invalid;
    out->room = normalize_uuid(room);
    const json_t* pid = json_object_get(data, "participant_id");
    if (pid) {
        std::string_view p;
        if (!read_string(data, "participant_id", 64, &p) || !is_uuid(p)) return Outcome::Invalid;
        out->participant_id = normalize_uuid(p);
    }
    const bool about_participant = out->plugin != PluginEvent::RoomCreated && out->plugin != PluginEvent::RoomDestroyed;
    if (about_participant && out->participant_id.empty()) return Outcome::Invalid;
    out->kind = Kind::Plugin;
    return Outcome::Used;
}

Outcome parse_one(const json_t* e, Event* out) {
    if (!json_is_object(e)) return Outcome::Invalid;
    const json_t* type = json_object_get(e, "type");
    const json_t* ev = json_object_get(e, "event");
    if (!json_is_integer(type) || !json_is_object(ev)) return Outcome::Invalid;
    if (!read_id(e, "session_id", &out->session_id) || !read_id(e, "handle_id", &out->handle_id))
        return Outcome::Invalid;
    const json_t* ts = json_object_get(e, "timestamp");
    if (ts) {
        if (!json_is_integer(ts) || json_integer_value(ts) < 0) return Outcome::Invalid;
        out->timestamp_us = json_integer_value(ts);
    }
    int64_t subtype = 0;
    const json_t* st = json_object_get(e, "subtype");
    if (st) {
        if (!json_is_integer(st)) return Outcome::Invalid;
        subtype = json_integer_value(st);
    }
    switch (json_integer_value(type)) {
        case 2: {
            std::string_view name;
            if (!read_string(ev, "name", 32, &name)) return Outcome::Invalid;
            if (name != "detached") return Outcome::Ignored;
            if (out->handle_id == 0) return Outcome::Invalid;
            out->kind = Kind::Detached;
            return Outcome::Used;
        }
        case 16: {
            Outcome o = parse_webrtc(ev, subtype, out);
            if (o == Outcome::Used && out->handle_id == 0) return Outcome::Invalid;
            return o;
        }
        case 32: {
            if (subtype != 3) return Outcome::Ignored;
            Outcome o = parse_stats(ev, out);
            if (o == Outcome::Used && out->handle_id == 0) return Outcome::Invalid;
            return o;
        }
        case 64:
            return parse_plugin(ev, out);
        default:
            return Outcome::Ignored;
    }
}

void count(ParseResult& r, Outcome o, Event&& ev) {
    switch (o) {
        case Outcome::Used:
            r.events.push_back(std::move(ev));
            break;
        case Outcome::Ignored:
            ++r.ignored;
            break;
        case Outcome::Invalid:
            ++r.invalid;
            break;
    }
}

}  // namespace

std::string_view to_string(Kind k) {
    switch (k) {
        case Kind::Detached: return "detached";
        case Kind::WebrtcUp: return "webrtcup";
        case Kind::Hangup: return "hangup";
        case Kind::IceFailed: return "ice_failed";
        case Kind::Stats: return "stats";
        case Kind::Plugin: return "plugin";
    }
    return "unknown";
}

namespace {
constexpr std::pair<PluginEvent, std::string_view> kPluginEvents[] = {
    {PluginEvent::Joined, "joined"},
    {PluginEvent::Waiting, "waiting"},
    {PluginEvent::Admitted, "admitted"},
    {PluginEvent::Left, "left"},
    {PluginEvent::Kicked, "kicked"},
    {PluginEvent::Denied, "denied"},
    {PluginEvent::Replaced, "replaced"},
    {PluginEvent::PermissionsSet, "permissions_set"},
    {PluginEvent::RoomCreated, "room_created"},
    {PluginEvent::RoomDestroyed, "room_destroyed"},
};
}  // namespace

std::string_view to_string(PluginEvent e) {
    for (const auto& [v, s] : kPluginEvents)
        if (v == e) return s;
    return "unknown";
}

bool parse_plugin_event(std::string_view s, PluginEvent* out) {
    for (const auto& [v, name] : kPluginEvents) {
        if (name == s) {
            *out = v;
            return true;
        }
    }
    return false;
}

std::string_view to_string(BodyError e) {
    switch (e) {
        case BodyError::None: return "none";
        case BodyError::TooLarge: return "too_large";
        case BodyError::TooDeep: return "too_deep";
        case BodyError::TooManyEvents: return "too_many_events";
        case BodyError::NotJson: return "not_json";
        case BodyError::NotEventOrArray: return "not_event_or_array";
    }
    return "unknown";
}

std::size_t nesting_depth(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > max_depth) return max_depth + 1;
            }
        } else if (c == ']' || c == '}') {
            if (depth > 0) --depth;
        }
    }
    return deepest;
}

ParseResult parse_body(std::string_view body) {
    ParseResult r;
    if (body.size() > kMaxBodyBytes) {
        r.error = BodyError::TooLarge;
        return r;
    }
    if (nesting_depth(body, kMaxDepth) > kMaxDepth) {
        r.error = BodyError::TooDeep;
        return r;
    }
    std::string why;
    Json root = json_parse(body, &why);
    if (!root) {
        r.error = BodyError::NotJson;
        return r;
    }
    if (json_is_object(root.get())) {
        r.received = 1;
        Event ev;
        Outcome o = parse_one(root.get(), &ev);
        count(r, o, std::move(ev));
        return r;
    }
    if (!json_is_array(root.get())) {
        r.error = BodyError::NotEventOrArray;
        return r;
    }
    const std::size_t n = json_array_size(root.get());
    if (n > kMaxEvents) {
        r.error = BodyError::TooManyEvents;
        return r;
    }
    r.received = n;
    r.events.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        Event ev;
        Outcome o = parse_one(json_array_get(root.get(), i), &ev);
        count(r, o, std::move(ev));
    }
    return r;
}

std::string_view to_string(Quality q) {
    switch (q) {
        case Quality::Good: return "good";
        case Quality::Fair: return "fair";
        case Quality::Poor: return "poor";
    }
    return "poor";
}

Quality grade(double loss_pct, int64_t jitter_ms, int64_t rtt_ms) {
    const bool rtt_known = rtt_ms >= 0;
    if (loss_pct < 2.0 && jitter_ms < 30 && (!rtt_known || rtt_ms < 200)) return Quality::Good;
    if (loss_pct < 8.0 && jitter_ms < 80 && (!rtt_known || rtt_ms < 400)) return Quality::Fair;
    return Quality::Poor;
}

namespace {
double ratio_pct(int64_t lost, int64_t total) {
    if (lost <= 0 || total <= 0) return 0.0;
    return std::min(100.0, 100.0 * static_cast<double>(lost) / static_cast<double>(total));
}
}  // namespace

double loss_pct(const Stats& first) {
    const double in = ratio_pct(first.lost, first.lost + first.packets_received);
    const double out = ratio_pct(first.lost_by_remote, first.packets_sent);
    return std::max(in, out);
}

double loss_pct(const Stats& before, const Stats& now) {
    if (now.lost < before.lost || now.packets_received < before.packets_received ||
        now.lost_by_remote < before.lost_by_remote || now.packets_sent < before.packets_sent)
        return loss_pct(now);
    const int64_t dl = now.lost - before.lost, dr = now.packets_received - before.packets_received;
    const int64_t dlr = now.lost_by_remote - before.lost_by_remote, ds = now.packets_sent - before.packets_sent;
    return std::max(ratio_pct(dl, dl + dr), ratio_pct(dlr, ds));
}

}  // namespace telemed::janus_events
