// The RecordingBackend that talks to the controller over HTTP
// (plugin/controller_http.hpp):
//   POST <controller_url>/internal/v1/consents          -> 201 {"id","created_at"}
//   POST <controller_url>/internal/v1/recordings/events -> 200 {}
// Timeout chat_store_timeout_ms (the same internal API budget). Linked into
// the Janus module only. Logs status codes and ids, never a body or the secret.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "plugin/controller_http.hpp"
#include "plugin/recording_store.hpp"

namespace telemed::plugin {

class HttpRecordingBackend final : public RecordingBackend {
public:
    HttpRecordingBackend(std::string base_url, std::string secret, int64_t timeout_ms,
                         std::function<void(std::string_view)> warn);
    bool store_consent(const std::string& session_id, const std::string& participant_id, bool recording,
                       std::string* consent_id) override;
    bool post_event(const RecordingEventMsg& event) override;

private:
    ControllerHttp http_;
};

}  // namespace telemed::plugin
