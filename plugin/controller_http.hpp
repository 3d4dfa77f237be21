// The plugin's HTTP client to the controller's internal API
// (<controller_url>/internal/v1/*): libcurl, `Authorization: Bearer
// <controller_secret>` (the controller's plugin_secret), one timeout per call,
// one curl handle per calling thread (kept for its connection). Shared by
// the chat store (chat_http.hpp) and the recording store
// (recording_http.hpp). Linked into the Janus module only; the core and its
// tests see the ChatBackend / RecordingBackend interfaces. Never logs a body
// or the secret.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace telemed::plugin {

class ControllerHttp {
public:
    // `warn` gets one short line (status codes, never content); `what` names
    // the caller in it ("chat store", "recording store").
    ControllerHttp(std::string base_url, std::string secret, int64_t timeout_ms, std::string what,
                   std::function<void(std::string_view)> warn);

    // One request to base_url + path (a POST when `body` is set, with
    // Content-Type application/json; else a GET). false: transport failure
    // (warned); else *status is the HTTP status and *response the body.
    bool call(const std::string& path, const std::string* body, std::string* response, long* status);
    void warn(std::string_view line) const { warn_(line); }
    const std::string& what() const { return what_; }

private:
    const std::string base_url_;
    const std::string auth_header_;
    const int64_t timeout_ms_;
    const std::string what_;
    std::function<void(std::string_view)> warn_;
};

}  // namespace telemed::plugin
