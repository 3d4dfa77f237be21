// Janus event handler posts (janus.eventhandler.sampleevh) as typed values:
// the edge of docs/DESIGN.md "Janus events". Pure (Jansson only), bounded,
// never throws: a body becomes a list of the events the controller uses, and
// counts of the ones it skipped.
//
// A body is one event object, or an array of them (sampleevh `grouping`).
// Each element is checked on its own: a bad element is skipped and counted,
// the others are kept. What is used (everything else is "ignored", valid but
// of no interest, e.g. transport, jsep, candidates):
//
//   type 2  handle  {"name":"detached"}                         -> Detached
//   type 16 webrtc  subtype 6 {"connection":"webrtcup"}         -> WebrtcUp
//                   subtype 6 {"connection":"hangup","reason"}  -> Hangup
//                   subtype 1 {"ice":"failed"}                  -> IceFailed
//   type 32 media   subtype 3 stats {"mid","media","lost","lost-by-remote",
//                   "jitter-local","jitter-remote","rtt","packets-received",
//                   "packets-sent"}                             -> Stats
//   type 64 plugin  {"plugin":"janus.plugin.telemed","data":{"event":E,
//                   "room":"<session uuid>","participant_id":"<uuid>"?}}
//                   with E one of PluginEvent                   -> Plugin
//
// Every event needs "type" (integer) and "event" (object); "session_id" and
// "handle_id" are Janus's unsigned ids (0 when absent or null: Janus sends
// null for a plugin event about no handle), "timestamp" microseconds since
// the Unix epoch (0 when absent).
//
// Bounds (checked before or while parsing; an exceeded bound refuses the
// whole body, because it cannot be a real sampleevh post): kMaxBodyBytes,
// nesting depth kMaxDepth, kMaxEvents elements. Strings that are kept are
// bounded too (reason kMaxReasonBytes, mid kMaxMidBytes); longer ones make
// their element invalid.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace telemed::janus_events {

inline constexpr std::size_t kMaxBodyBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxDepth = 8;
inline constexpr std::size_t kMaxEvents = 10000;
inline constexpr std::size_t kMaxReasonBytes = 64;
inline constexpr std::size_t kMaxMidBytes = 16;

enum class Kind { Detached, WebrtcUp, Hangup, IceFailed, Stats, Plugin };
std::string_view to_string(Kind k);

// The plugin's notifications (plugin/events.cpp plugin_notification).
enum class PluginEvent {
    Joined,
    Waiting,
    Admitted,
    Left,
    Kicked,
    Denied,
    Replaced,
    PermissionsSet,
    RoomCreated,
    RoomDestroyed,
};
std::string_view to_string(PluginEvent e);
bool parse_plugin_event(std::string_view s, PluginEvent* out);

// One media stats sample of one stream (m-line) of one handle. Counters are
// Janus's cumulative values since the stream started.
struct Stats {
    std::string mid;
    bool video = false;           // "media" starts with "video"
    int64_t lost = 0;             // inbound packets lost (what we receive)
    int64_t lost_by_remote = 0;   // outbound packets the peer reports lost
    int64_t packets_received = 0;
    int64_t packets_sent = 0;
    int64_t jitter_local_ms = 0;  // inbound
    int64_t jitter_remote_ms = 0; // as the peer reports it
    int64_t rtt_ms = -1;          // -1: not known (no RTCP yet)
};

struct Event {
    Kind kind = Kind::Detached;
    uint64_t session_id = 0;  // Janus session
    uint64_t handle_id = 0;   // Janus handle (0: none)
    int64_t timestamp_us = 0;
    std::string reason;       // Hangup
    Stats stats;              // Stats
    PluginEvent plugin = PluginEvent::Joined;  // Plugin
    std::string room;             // Plugin: the session id (canonical lower-case UUID)
    std::string participant_id;   // Plugin: canonical UUID, or "" when absent
};

enum class BodyError { None, TooLarge, TooDeep, TooManyEvents, NotJson, NotEventOrArray };
std::string_view to_string(BodyError e);

struct ParseResult {
    BodyError error = BodyError::None;  // None: `events` and the counts are valid
    std::vector<Event> events;
    std::size_t received = 0;  // elements in the body
    std::size_t ignored = 0;   // valid, not used
    std::size_t invalid = 0;   // skipped: wrong shape, types or bounds
};

ParseResult parse_body(std::string_view body);

// Nesting depth of a JSON text (arrays and objects; strings skipped), or
// max_depth + 1 as soon as it exceeds max_depth. Used before parsing so that
// no parser recursion is ever deeper than that.
std::size_t nesting_depth(std::string_view text, std::size_t max_depth);

// ---------------------------------------------------------------- quality

// Connection quality grade of a participant from its worst stream
// (docs/DESIGN.md "Janus events"):
//   good: loss < 2 %   and jitter < 30 ms  and RTT < 200 ms
//   fair: loss < 8 %   and jitter < 80 ms  and RTT < 400 ms
//   poor: anything worse.
// An unknown RTT (< 0) does not count.
enum class Quality { Good, Fair, Poor };
std::string_view to_string(Quality q);
Quality grade(double loss_pct, int64_t jitter_ms, int64_t rtt_ms);

// Loss in percent over the interval between two samples of one stream: the
// larger of inbound (lost / (lost + received)) and outbound (lost by remote
// / sent) deltas; 0 when nothing moved. Counters that went backwards (the
// stream restarted) count as a fresh start from `now`.
double loss_pct(const Stats& before, const Stats& now);
// The same from a first sample alone (cumulative since the start).
double loss_pct(const Stats& first);

}  // namespace telemed::janus_events
