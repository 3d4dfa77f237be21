// Janus Admin API client (HTTP, libcurl): message_plugin towards
// janus.plugin.telemed, plus the plugin ping for /readyz. Only the transport: request
// bodies come from the builders of common/admin_api.hpp, and replies are read
// by its parse_message_plugin_reply.
// The data-layer owner may add members; these signatures are fixed.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/admin_api.hpp"
#include "common/json.hpp"

namespace telemed {

class JanusAdmin {
public:
    JanusAdmin(std::string admin_url, std::string admin_secret, unsigned timeout_ms);
    ~JanusAdmin();
    // /readyz: the plugin's ping ({"request":"ping"} through message_plugin)
    // answered with {"telemed":"pong"}: Janus up with the plugin loaded. The
    // pong's plugin instance id is remembered (last_instance()).
    bool ping();
    // The plugin instance id of the last pong or snapshot ("" before any):
    // it changes when Janus restarts (controller/live/room_reconciler.hpp).
    std::string last_instance() const;
    void note_instance(const std::string& instance);

    // ok / plugin_error / unreachable (transport failure, timeout, HTTP or
    // Janus-level error, malformed reply), the error text for logs (no
    // personal data) and the plugin's "response" object: admin_api::Reply.
    using Result = admin_api::Reply;
    // admin_api::build_message_plugin around `request` (an admin_api::build_request
    // body; borrowed), posted, and its reply read. Thread-safe.
    // A {"telemed":"error"} answer also leaves that object in `response`.
    Result message_plugin(const json_t* request);
    // The same within `timeout_ms` (connect, send, answer) instead of the
    // configured timeout: a request's deadline (routes/janus_step.hpp).
    Result message_plugin(const json_t* request, unsigned timeout_ms);

    // Calls that got no HTTP answer from Janus (connect, timeout, transport)
    // so far: the room reconciler reads it to know that Janus may have been
    // away since its last pass (controller/live/room_reconciler.hpp).
    uint64_t transport_failures() const;

    struct Impl;
    Impl& impl() { return *impl_; }
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace telemed
