// HttpRecordingBackend (plugin/recording_http.hpp).
#include "plugin/recording_http.hpp"

#include <utility>

#include "common/ids.hpp"

namespace telemed::plugin {

HttpRecordingBackend::HttpRecordingBackend(std::string base_url, std::string secret, int64_t timeout_ms,
                                           std::function<void(std::string_view)> warn)
    : http_(std::move(base_url), std::move(secret), timeout_ms, "recording store", std::move(warn)) {}

bool HttpRecordingBackend::store_consent(const std::string& session_id, const std::string& participant_id,
                                         bool recording, std::string* consent_id) {
    Json body(json_object());
    json_object_set_new(body.get(), "session_id", json_str(session_id));
    json_object_set_new(body.get(), "participant_id", json_str(participant_id));
    json_object_set_new(body.get(), "recording", json_boolean(recording));
    const std::string text = json_dump(body.get());
    std::string response;
    long status = 0;
    if (!http_.call("/internal/v1/consents", &text, &response, &status)) return false;
    if (status < 200 || status > 299) {
        http_.warn("recording store: controller answered " + std::to_string(status) + " to a consent of room " +
                   session_id + " participant " + participant_id);
        return false;
    }
    std::string error;
    Json parsed = json_parse(response, &error);
    const char* id = json_string_value(json_object_get(parsed.get(), "id"));
    if (id == nullptr || !is_uuid(id)) {
        http_.warn("recording store: malformed answer to a consent of room " + session_id);
        return false;
    }
    *consent_id = normalize_uuid(id);
    return true;
}

bool HttpRecordingBackend::post_event(const RecordingEventMsg& event) {
    const std::string text = json_dump(recording_event_body(event).get());
    std::string response;
    long status = 0;
    if (!http_.call("/internal/v1/recordings/events", &text, &response, &status)) return false;
    if (status < 200 || status > 299) {
        http_.warn("recording store: controller answered " + std::to_string(status) + " to recording " +
                   event.recording_id + " " + event.event);
        return false;
    }
    return true;
}

}  // namespace telemed::plugin
