// The bodies of the recording endpoints as typed values, validated once here
// (docs/STYLE.md 7): unknown fields, wrong types, bad values and oversized
// input are refused with field errors (422 validation-error). Pure (Jansson
// only): tests/unit/test_controller_recording_input.cpp.
//
//   POST /internal/v1/consents
//     {"session_id":uuid,"participant_id":uuid,"recording":bool}
//   POST /internal/v1/recordings/events
//     {"session_id":uuid,"recording_id":uuid,"event":"started"|"stopped",
//      "by":uuid|null,"at":rfc3339,
//      "tracks":[{"file","participant","source","codec","consent_id",
//                 "started_at","stopped_at"}]}   (stopped only; 0..64)
//   POST /sessions/{id}/recordings: no body, or {} (no fields yet).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/requests.hpp"

namespace telemed::recording_input {

inline constexpr std::size_t kMaxTracks = 64;
inline constexpr std::size_t kMaxFileChars = 128;      // "<participant>-<source>-<n>.mjr" is ~48
inline constexpr std::size_t kMaxCodecChars = 16;
inline constexpr std::size_t kMaxTimestampChars = 40;

struct Consent {
    std::string session_id;
    std::string participant_id;
    bool recording = false;
};
std::optional<Consent> parse_consent(const json_t* body, FieldErrors& errors);

enum class EventKind { Started, Stopped };

struct Track {
    std::string file;            // [A-Za-z0-9][A-Za-z0-9._-]{0,127}: a name, never a path
    std::string participant_id;
    std::string source;          // audio | video | screen
    std::string codec;           // [a-z0-9]{1,16}
    std::string consent_id;
    int64_t started_at = 0;      // Unix microseconds
    std::optional<int64_t> stopped_at;
};

struct Event {
    std::string session_id;
    std::string recording_id;
    EventKind event = EventKind::Started;
    std::optional<std::string> by;  // participant id
    int64_t at = 0;                 // Unix microseconds
    std::vector<Track> tracks;      // stopped only
    std::optional<std::string> fault;  // stopped only: "write_failed" (it stopped by itself)
};
std::optional<Event> parse_event(const json_t* body, FieldErrors& errors);
// One entry of "tracks" (the event's, and manifest.json's: jobs/recording_plan.hpp);
// errors name "tracks[<index>]...".
std::optional<Track> parse_track(const json_t* t, std::size_t index, FieldErrors& errors);

// The start body: nothing or {} (no field is known yet: any is refused).
bool parse_start(const json_t* body, FieldErrors& errors);

}  // namespace telemed::recording_input
