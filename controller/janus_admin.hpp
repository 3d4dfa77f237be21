// Janus Admin API client (HTTP, libcurl): message_plugin towards
// janus.plugin.telemed, plus ping for /readyz.
// The data-layer owner may add members; these signatures are fixed.
#pragma once
#include <memory>
#include <string>

#include "common/json.hpp"

namespace telemed {

class JanusAdmin {
public:
    JanusAdmin(std::string admin_url, std::string admin_secret, unsigned timeout_ms);
    ~JanusAdmin();
    bool ping();  // admin {"janus":"ping"} answered with "pong"

    struct Result {
        bool ok = false;           // Janus success and no plugin error
        bool unreachable = false;  // transport failure, timeout, HTTP/Janus-level error
        int plugin_error = 0;      // "error_code" of a {"telemed":"error"} answer
        std::string error;         // short text for logs (no personal data)
        Json response;             // the plugin's "response" object when ok
    };
    // {"janus":"message_plugin","plugin":"janus.plugin.telemed","request":<request>,
    //  "admin_secret":...,"transaction":...}. `request` is borrowed. Thread-safe.
    Result message_plugin(const json_t* request);

    struct Impl;
    Impl& impl() { return *impl_; }
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace telemed
