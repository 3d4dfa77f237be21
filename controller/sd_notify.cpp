// SdNotifier: see sd_notify.hpp.
#include "controller/sd_notify.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "controller/log.hpp"

namespace telemed {

SdNotifier::SdNotifier(const std::string& address) {
    if (address.empty()) return;
    addr_.sun_family = AF_UNIX;
    const std::size_t room = sizeof(addr_.sun_path) - 1;
    if (address[0] == '/') {
        if (address.size() > room) {
            log_error("NOTIFY_SOCKET: the path is longer than %zu bytes; systemd notifications off", room);
            return;
        }
        std::memcpy(addr_.sun_path, address.data(), address.size());
        addr_.sun_path[address.size()] = '\0';
        addr_len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + 1);
    } else if (address[0] == '@' && address.size() > 1) {
        // Abstract namespace: a leading NUL, then the name (not terminated).
        const std::size_t n = address.size() - 1;
        if (n > room) {
            log_error("NOTIFY_SOCKET: the abstract name is longer than %zu bytes; systemd notifications off", room);
            return;
        }
        addr_.sun_path[0] = '\0';
        std::memcpy(addr_.sun_path + 1, address.data() + 1, n);
        addr_len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
    } else {
        log_error("NOTIFY_SOCKET: neither an absolute path nor an abstract name ('@...'); "
                  "systemd notifications off");
        return;
    }
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
        const int err = errno;
        addr_len_ = 0;
        log_error("NOTIFY_SOCKET: socket(): %s; systemd notifications off", std::strerror(err));
    }
}

SdNotifier::~SdNotifier() {
    if (fd_ >= 0) ::close(fd_);
}

SdNotifier::SdNotifier(const std::string& address, std::chrono::milliseconds watchdog_interval)
    : SdNotifier(address) {
    watchdog_interval_ = watchdog_interval;
}

SdNotifier SdNotifier::from_environment() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    const std::string address = socket ? socket : "";
    const auto interval = parse_watchdog(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), ::getpid());
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    return SdNotifier(address, interval);  // guaranteed elision: never copied or moved
}

std::chrono::milliseconds SdNotifier::parse_watchdog(const char* usec, const char* pid, pid_t self) {
    auto parse = [](const char* s, unsigned long long* out) {
        if (!s || !*s || *s < '0' || *s > '9') return false;
        errno = 0;
        char* end = nullptr;
        const unsigned long long v = std::strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0') return false;
        *out = v;
        return true;
    };
    unsigned long long period = 0;
    if (!parse(usec, &period) || period == 0) return std::chrono::milliseconds(0);
    if (pid) {
        unsigned long long p = 0;
        if (!parse(pid, &p) || p != static_cast<unsigned long long>(self)) return std::chrono::milliseconds(0);
    }
    const unsigned long long half_ms = period / 2000;
    return std::chrono::milliseconds(half_ms == 0 ? 1 : static_cast<long long>(half_ms));
}

bool SdNotifier::notify(const std::string& state) {
    if (!enabled()) return false;
    std::lock_guard<std::mutex> lk(mu_);
    const ssize_t n = ::sendto(fd_, state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    if (n == static_cast<ssize_t>(state.size())) return true;
    fail_once("sendto", n < 0 ? errno : EMSGSIZE);
    return false;
}

unsigned SdNotifier::failures() const {
    std::lock_guard<std::mutex> lk(mu_);
    return failures_;
}

void SdNotifier::fail_once(const char* what, int err) {
    if (failures_++ == 0)
        log_warn("NOTIFY_SOCKET: %s: %s (systemd notifications go on; further failures are not logged)", what,
                 std::strerror(err));
}

}  // namespace telemed
