// systemd readiness without libsystemd (sd_notify(3), the datagram protocol):
// a Type=notify unit's service manager passes $NOTIFY_SOCKET, an AF_UNIX
// datagram socket given as an absolute path or, with a leading '@', a name
// in the abstract namespace. We send newline-separated KEY=VALUE lines:
//   READY=1 (+ STATUS=...)  once migrations are applied and we serve
//   STOPPING=1              when SIGTERM/SIGINT arrives
//   WATCHDOG=1              every half of $WATCHDOG_USEC, when set
//
// Never blocking (a non-blocking socket, MSG_DONTWAIT), never fatal: without
// NOTIFY_SOCKET every call is a no-op; a bad address or a failed send is
// logged once (later failures are counted, not logged) and the daemon goes on.
#pragma once
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>

namespace telemed {

class SdNotifier {
public:
    // Off: every notify() returns false without doing anything.
    SdNotifier() = default;
    // `address`: the value of $NOTIFY_SOCKET ("" = off). An address that is
    // neither absolute nor abstract, or too long, is logged and leaves it off.
    explicit SdNotifier(const std::string& address);
    SdNotifier(const std::string& address, std::chrono::milliseconds watchdog_interval);
    ~SdNotifier();
    SdNotifier(const SdNotifier&) = delete;
    SdNotifier& operator=(const SdNotifier&) = delete;

    // Reads $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID, then removes the
    // three from the environment (the programs we run must not see them; call
    // before any thread starts).
    static SdNotifier from_environment();

    bool enabled() const { return addr_len_ != 0; }
    // Sends `state` (e.g. "READY=1\nSTATUS=serving"). true when the datagram
    // went out; false when off or on error.
    bool notify(const std::string& state);
    // Sends failed so far (only the first one is logged).
    unsigned failures() const;

    // The keep-alive period: half of WATCHDOG_USEC, zero when the watchdog is
    // off (unset, unparsable, zero, or WATCHDOG_PID names another process).
    std::chrono::milliseconds watchdog_interval() const { return watchdog_interval_; }

    // Parses WATCHDOG_USEC / WATCHDOG_PID values as systemd sets them (each
    // may be null); `self` is our pid. Returns half the period, or zero.
    static std::chrono::milliseconds parse_watchdog(const char* usec, const char* pid, pid_t self);

private:
    void fail_once(const char* what, int err);

    int fd_ = -1;
    sockaddr_un addr_{};
    socklen_t addr_len_ = 0;
    std::chrono::milliseconds watchdog_interval_{0};
    mutable std::mutex mu_;
    unsigned failures_ = 0;
};

}  // namespace telemed
