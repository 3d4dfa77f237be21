// The Patient Service / Doctor Service contracts (docs/INTEGRATIONS.md), the
// pure part: which service verifies which role, the URLs of a lookup and of
// a status update, what an answer means, the status mapping, and the
// lookup cache. No libcurl here: controller/clients/directory.hpp makes the
// requests, tests/unit/test_controller_directory.cpp tests this file.
//
// Profiles (directory_profile):
//   json  GET {patient_service_url}/patients/{id} | {doctor_service_url}/practitioners/{id}
//         200 {"id": <the id>, "display_name"?: string, "active"?: bool}; 404/410: unknown.
//         Status: POST {doctor_service_url}/appointments/{external_ref}/status
//         {"status":"in-progress"|"completed"|"cancelled","session_id","event_id","occurred_at"}.
//   fhir  GET {patient_service_url}/Patient/{id} | {doctor_service_url}/Practitioner/{id}
//         (FHIR R4, Accept: application/fhir+json); 200 with the resourceType
//         (and id, when present) asked for: exists, unless "active": false;
//         404/410: unknown. Ids must be FHIR ids ([A-Za-z0-9.-]{1,64}), else
//         unknown without a request.
//         Status: PATCH {doctor_service_url}/Encounter/{external_ref},
//         application/json-patch+json [{"op":"replace","path":"/status","value":...}].
// Any other answer (no answer, timeout, 3xx, other 4xx, 5xx, a 200 that is
// not the resource asked for, a body over kMaxBodyBytes): unavailable.
#pragma once
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/permissions.hpp"

namespace telemed::directory {

enum class Profile : uint8_t { Off = 0, Json, Fhir };
std::optional<Profile> parse_profile(std::string_view s);  // "off" | "json" | "fhir"
const char* to_string(Profile p);

enum class Service : uint8_t { Patient = 0, Doctor };

// Answer bodies above this are refused (unavailable).
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
// A lookup that is not in the cache yet, one user id per service: entries
// kept at most (the oldest goes first).
inline constexpr std::size_t kCacheEntries = 10000;

// The service that verifies a role: patient -> Patient; doctor, paramedic ->
// Doctor; observer (and anything else) -> none, not verified.
std::optional<Service> service_for(Role role);

// RFC 3986 percent-encoding of every byte but the unreserved A-Z a-z 0-9 - . _ ~
std::string percent_encode(std::string_view s);
// FHIR R4 id: [A-Za-z0-9\-\.]{1,64}
bool valid_fhir_id(std::string_view s);

// The lookup URL of `user_id` on `base` (no trailing '/'); nullopt when the
// id cannot exist in the profile (fhir: not a FHIR id; any: empty).
std::optional<std::string> lookup_url(Profile p, Service s, std::string_view base, std::string_view user_id);

enum class Verdict : uint8_t { Known = 0, Unknown, Unavailable };
struct Lookup {
    Verdict verdict = Verdict::Unavailable;
    std::optional<std::string> display_name;  // Known only; valid display_name text (<= 100 characters)
};

// What the service's answer means. status: the HTTP status (0 = none).
Lookup interpret(Profile p, Service s, std::string_view user_id, long status, std::string_view body);

// Session status updates -------------------------------------------------

// The outbox topics that make a status update, in no order.
const std::vector<std::string>& status_topics();
// The status value of `topic` in the profile (json: in-progress, completed,
// cancelled; fhir Encounter.status: in-progress, finished, cancelled);
// nullptr when the topic makes no update.
const char* status_value(Profile p, std::string_view topic);

struct StatusRequest {
    const char* method = "POST";
    std::string url;
    const char* content_type = "application/json";
    std::string body;
};
// The request of one update; nullopt when the topic makes none or
// external_ref cannot be addressed (fhir: not a FHIR id; any: empty).
std::optional<StatusRequest> status_request(Profile p, std::string_view base, std::string_view external_ref,
                                            std::string_view topic, std::string_view session_id,
                                            std::string_view event_id, std::string_view occurred_at);

// The pseudo-endpoint of the status updates in webhook_deliveries.endpoint
// (and GET /outbox): "directory:<profile>:<base>".
std::string status_endpoint(Profile p, std::string_view base);
struct StatusEndpoint {
    Profile profile = Profile::Off;
    std::string base;
};
std::optional<StatusEndpoint> parse_status_endpoint(std::string_view endpoint);

// Lookup cache -----------------------------------------------------------

// Known and unknown answers for ttl_ms, at most max_entries (the oldest
// inserted goes first); Unavailable is never stored. Thread-safe.
class LookupCache {
public:
    LookupCache(std::size_t max_entries, int64_t ttl_ms) : max_(max_entries), ttl_ms_(ttl_ms) {}
    std::optional<Lookup> get(Service s, std::string_view user_id, int64_t now_ms);
    void put(Service s, std::string_view user_id, const Lookup& l, int64_t now_ms);
    std::size_t size() const;

private:
    struct Entry {
        Lookup lookup;
        int64_t expires_ms = 0;
        std::list<std::string>::iterator order;
    };
    static std::string key(Service s, std::string_view user_id);
    const std::size_t max_;
    const int64_t ttl_ms_;
    mutable std::mutex mu_;
    std::list<std::string> order_;  // oldest first
    std::unordered_map<std::string, Entry> map_;
};

}  // namespace telemed::directory
