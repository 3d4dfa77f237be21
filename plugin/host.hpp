// The only way the plugin core talks to Janus. plugin/entrypoint.cpp
// implements it with the janus_callbacks; unit tests implement it with a
// recorder. Calls are made from the worker thread only, never while the core's
// state mutex is held (Janus takes its own session locks in push_event).
#pragma once
#include <cstdint>
#include <string_view>

#include "common/json.hpp"
#include "plugin/participant.hpp"

namespace telemed::plugin {

enum class LogLevel { Error, Warn, Info, Verbose };

class Host {
public:
    virtual ~Host() = default;
    // Event to one handle; transaction may be null (unsolicited event).
    // `event` is borrowed.
    virtual void push_event(HostHandle h, const char* transaction, const json_t* event) = 0;
    // Asks the host to close the handle's PeerConnection (if any).
    virtual void close_pc(HostHandle h) = 0;
    // Event for the host's event handlers; h may be null. Takes ownership.
    virtual void notify_event(HostHandle h, Json event) = 0;
    // Drops the reference the plugin holds on the host handle. Called once per
    // attached handle, when the last owner of its Participant lets go.
    virtual void release_handle(HostHandle h) noexcept = 0;
    // Wall clock, unix seconds (token nbf/exp checks).
    virtual int64_t now_unix() = 0;
    // One log line. Callers pass ids only: never tokens, secrets or names.
    virtual void log(LogLevel level, std::string_view line) = 0;
};

}  // namespace telemed::plugin
