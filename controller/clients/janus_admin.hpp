// Janus Admin API client (HTTP, libcurl): message_plugin towards
// janus.plugin.telemed, plus ping for /readyz.
// The data-layer owner may add members; these signatures are fixed.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "common/json.hpp"

namespace telemed {

class JanusAdmin {
public:
    JanusAdmin(std::string admin_url, std::string admin_secret, unsigned timeout_ms);
    ~JanusAdmin();
    bool ping();  // admin {"janus":"ping"} answered with "pong"
    // message_plugin {"request":"ping"} answered with {"telemed":"pong"}:
    // the plugin is loaded and its admin handler answers.
    bool plugin_ping();

    struct Result {
        bool ok = false;           // Janus success and no plugin error
        bool unreachable = false;  // transport failure, timeout, HTTP/Janus-level error
        int plugin_error = 0;      // "error_code" of a {"telemed":"error"} answer
        std::string error;         // short text for logs (no personal data)
        Json response;             // the plugin's "response" object when ok
    };
    // {"janus":"message_plugin","plugin":"janus.plugin.telemed","request":<request>,
    //  "admin_secret":...,"transaction":...}. `request` is borrowed. Thread-safe.
    // A {"telemed":"error"} answer also leaves that object in `response`.
    Result message_plugin(const json_t* request);

    // Pure parts, exposed for unit tests. `transaction` is what was sent; a
    // reply naming another transaction is refused.
    static Result parse_message_plugin_reply(std::string_view body, std::string_view transaction);
    static bool parse_ping_reply(std::string_view body, std::string_view transaction);
    // The request body sent by message_plugin (holds the secret: never log it).
    static Json build_message_plugin(const json_t* request, std::string_view admin_secret,
                                     std::string_view transaction);

    struct Impl;
    Impl& impl() { return *impl_; }
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace telemed
