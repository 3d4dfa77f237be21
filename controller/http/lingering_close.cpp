// Lingering close (controller/http/lingering_close.hpp).
#include "controller/http/lingering_close.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace telemed {
namespace {
constexpr int kTick = 100;                 // ms between bound checks (and stop checks)
constexpr std::size_t kReadChunk = 64 * 1024;
}  // namespace

LingeringClose::LingeringClose(const LingerLimits& limits) : limits_(limits) {}

LingeringClose::~LingeringClose() { stop(); }

bool LingeringClose::start(std::string* error) {
    if (thread_.joinable()) return true;
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
        *error = std::string("lingering close: epoll_create1: ") + std::strerror(errno);
        return false;
    }
    stopping_.store(false);
    try {
        buf_.resize(kReadChunk);
        thread_ = std::thread([this] { loop(); });
    } catch (const std::exception& e) {
        ::close(epfd_);
        epfd_ = -1;
        *error = std::string("lingering close: ") + e.what();
        return false;
    }
    return true;
}

void LingeringClose::stop() {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
    // The thread has closed its sockets; anything adopted since is closed here.
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& [fd, e] : incoming_) {
        ::close(fd);
        count_.fetch_sub(1);
    }
    incoming_.clear();
    if (epfd_ >= 0) ::close(epfd_);
    epfd_ = -1;
}

bool LingeringClose::adopt(int fd) noexcept {
    if (stopping_.load() || epfd_ < 0 || fd < 0) return false;
    // Nothing to wait for when the client has closed its side already (no
    // data left: close() sends no reset) or the socket is in error.
    char probe;
    const ssize_t n = ::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return false;
    unsigned c = count_.load();
    do {
        if (c >= limits_.max_sockets) {
            std::lock_guard<std::mutex> lk(mu_);
            ++stats_.full;
            return false;
        }
    } while (!count_.compare_exchange_weak(c, c + 1));
    const int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) {
        count_.fetch_sub(1);
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = dup_fd;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, dup_fd, &ev) != 0) {
        ::close(dup_fd);
        count_.fetch_sub(1);
        return false;
    }
    try {
        std::lock_guard<std::mutex> lk(mu_);
        const Clock::time_point now = Clock::now();
        incoming_.push_back({dup_fd, Entry{now, now, 0}});
        ++stats_.adopted;
    } catch (...) {
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, dup_fd, nullptr);
        ::close(dup_fd);
        count_.fetch_sub(1);
        return false;
    }
    return true;
}

LingerStats LingeringClose::stats() const {
    std::lock_guard<std::mutex> lk(mu_);
    LingerStats s = stats_;
    s.lingering = count_.load();
    return s;
}

LingeringClose::Drained LingeringClose::drain(int fd, Entry& e, Clock::time_point now) {
    for (;;) {
        const ssize_t n = ::recv(fd, buf_.data(), buf_.size(), MSG_DONTWAIT);
        if (n > 0) {
            e.bytes += static_cast<std::size_t>(n);
            e.last_data = now;
            {
                std::lock_guard<std::mutex> lk(mu_);
                stats_.bytes += static_cast<uint64_t>(n);
            }
            if (e.bytes > limits_.max_bytes) return Drained::kBound;
            continue;
        }
        if (n == 0) return Drained::kEnd;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? Drained::kMore : Drained::kBound;
    }
}

void LingeringClose::finish(int fd, bool eof) {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    socks_.erase(fd);
    count_.fetch_sub(1);
    std::lock_guard<std::mutex> lk(mu_);
    ++(eof ? stats_.eof : stats_.bounded);
}

void LingeringClose::loop() {
    epoll_event events[64];
    std::vector<int> done;
    while (!stopping_.load()) {
        const int n = ::epoll_wait(epfd_, events, 64, kTick);
        {
            std::lock_guard<std::mutex> lk(mu_);
            for (auto& [fd, e] : incoming_) socks_[fd] = e;
            incoming_.clear();
        }
        const Clock::time_point now = Clock::now();
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            auto it = socks_.find(fd);
            if (it == socks_.end()) continue;  // finished earlier in this batch
            const Drained d = drain(fd, it->second, now);
            if (d != Drained::kMore) finish(fd, d == Drained::kEnd);
        }
        done.clear();
        for (const auto& [fd, e] : socks_)
            if (now - e.started >= limits_.max_time || now - e.last_data >= limits_.idle) done.push_back(fd);
        for (int fd : done) finish(fd, false);
    }
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& [fd, e] : incoming_) socks_[fd] = e;
    incoming_.clear();
    for (auto& [fd, e] : socks_) {
        ::close(fd);
        count_.fetch_sub(1);
    }
    socks_.clear();
}

}  // namespace telemed
