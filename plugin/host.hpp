// The only way the plugin core talks to Janus. plugin/entrypoint.cpp
// implements it with the janus_callbacks; unit tests implement it with a
// recorder. Calls are made from the worker thread only, never while the core's
// state mutex is held (Janus takes its own session locks in push_event).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "plugin/participant.hpp"
#include "plugin/sdp.hpp"

namespace telemed::plugin {

enum class LogLevel { Error, Warn, Info, Verbose };

class Host {
public:
    virtual ~Host() = default;
    // Event to one handle; transaction may be null (unsolicited event).
    // `event` and `jsep` (may be null) are borrowed.
    virtual void push_event(HostHandle h, const char* transaction, const json_t* event, const json_t* jsep) = 0;
    // Generates the SDP answer to `offer` following `plan` (one entry per
    // offered m-line, in order): Reject -> port 0, Inactive -> inactive,
    // Publish -> recvonly, Slot -> sendonly, Both -> sendrecv, with the planned codec only.
    // nullopt (and *error, our own words) if the host cannot.
    virtual std::optional<std::string> answer_offer(const std::string& offer,
                                                    const std::vector<sdp::MLinePlan>& plan, std::string* error) = 0;

    // ---- media path: called from Janus's media threads, never under a lock ----
    // Sends an RTP packet on m-line `mindex` of h's PeerConnection. `buf` is
    // only borrowed (the host copies it); `ext` is the host's opaque RTP
    // extension info of the packet being forwarded (may be null).
    virtual void relay_rtp(HostHandle h, int mindex, bool video, uint8_t* buf, std::size_t len,
                           const void* ext) noexcept = 0;
    // Size of that extension info: a kept packet keeps a byte copy of it (a
    // keyframe's video orientation must survive being kept).
    virtual std::size_t rtp_extensions_size() const noexcept = 0;
    // Asks h's peer for a keyframe on m-line `mindex` (PLI).
    virtual void send_pli(HostHandle h, int mindex) noexcept = 0;
    // Monotonic clock, microseconds.
    virtual int64_t now_monotonic_us() noexcept = 0;
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
