// The only way the plugin core talks to Janus. plugin/entrypoint.cpp
// implements it with the janus_callbacks; unit tests implement it with a
// recorder. Calls are made from the worker thread only, never while the core's
// state mutex is held (Janus takes its own session locks in push_event);
// the media path's and the recording methods say where they are called.
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
    // Wall clock, unix microseconds (recording times).
    virtual int64_t now_unix_micros() { return now_unix() * 1000000; }

    // ---- recording (plugin/recording.hpp): Janus's recorder, record.h ----
    // Creates `path` and its parents (mode 0750); true if it exists as a
    // folder afterwards. Called under the state mutex (one syscall per
    // recording start: its answer depends on it).
    virtual bool make_dirs(const std::string& path) = 0;
    // Opens <dir>/<name>.mjr for `codec` ("opus" | "vp8"); nullptr on
    // failure. Worker thread, no lock held.
    virtual void* open_recorder(const std::string& dir, const std::string& codec, const std::string& name) = 0;
    // Writes one RTP packet (the recorder rewrites and restores its header).
    // The media path, for recorded participants only; < 0 on failure.
    virtual int write_recorder(void* recorder, uint8_t* buf, std::size_t len) noexcept = 0;
    // Closes and frees a recorder. Worker thread, only once no media thread
    // can still write to it.
    virtual void close_recorder(void* recorder) = 0;
    // Writes `path` atomically (a temporary file in the same folder, then a
    // rename). Worker thread, no lock held.
    virtual bool write_file_atomic(const std::string& path, const std::string& content) = 0;
};

}  // namespace telemed::plugin
