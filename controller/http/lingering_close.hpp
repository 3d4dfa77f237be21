// Lingering close (issue 11, item 9): the answer to a request whose body was
// not read (413 for a body beyond what the server drops before answering,
// 400 for an ambiguous length) must reach a client that writes its whole
// body before it reads (Python's http.client, most simple clients).
//
// libmicrohttpd sends the answer, half-closes (shutdown(SHUT_WR): the client
// sees the end of the answer) and close()s the socket. A close() with unread
// data in the receive buffer makes the kernel send a reset, and the client,
// still writing, gets EPIPE / ECONNRESET instead of ever reading the answer.
// So, like nginx's and Apache's lingering close, such a socket is kept open
// a little longer: ConnGuard hands its descriptor over from libmicrohttpd's
// connection-closed notification, adopt() takes a dup() of it (libmicrohttpd's
// own close() then only drops its reference, without a reset), and one
// thread reads and discards what the client still sends until it closes its
// side, then closes. Bounded in every way:
//   - at most max_sockets at once (beyond that, sockets are not adopted:
//     they are closed as before);
//   - each for at most max_time, and at most idle without any data;
//   - each for at most max_bytes read and dropped.
// A bound reached closes the socket (a client still writing then sees the
// reset it would have seen anyway). No libmicrohttpd header here.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace telemed {

struct LingerLimits {
    unsigned max_sockets = 64;
    std::chrono::milliseconds max_time{5000};
    std::chrono::milliseconds idle{2000};
    std::size_t max_bytes = 32u << 20;
};

struct LingerStats {
    uint64_t adopted = 0;   // sockets taken over
    uint64_t full = 0;      // not taken: max_sockets lingering already
    uint64_t eof = 0;       // closed after the client closed its side (the good end)
    uint64_t bounded = 0;   // closed at a bound (time, idle or bytes)
    uint64_t bytes = 0;     // read and dropped
    unsigned lingering = 0; // now
};

class LingeringClose {
public:
    explicit LingeringClose(const LingerLimits& limits = {});
    ~LingeringClose();  // stop()
    LingeringClose(const LingeringClose&) = delete;
    LingeringClose& operator=(const LingeringClose&) = delete;

    bool start(std::string* error);
    // Closes every socket still lingering and ends the thread.
    void stop();

    // Takes over the socket behind `fd` (which stays the caller's to close)
    // when the client may still send: not at its end, no error, a slot free.
    // Thread-safe, never blocks.
    bool adopt(int fd) noexcept;

    LingerStats stats() const;

private:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        Clock::time_point started, last_data;
        std::size_t bytes = 0;
    };
    void loop();
    // Reads and drops what is there: more may come, the client closed its
    // side, or a bound (bytes) or an error ends it.
    enum class Drained { kMore, kEnd, kBound };
    Drained drain(int fd, Entry& e, Clock::time_point now);
    void finish(int fd, bool eof);

    const LingerLimits limits_;
    int epfd_ = -1;
    std::atomic<bool> stopping_{false};
    std::atomic<unsigned> count_{0};
    mutable std::mutex mu_;                 // incoming_, stats_
    std::vector<std::pair<int, Entry>> incoming_;
    LingerStats stats_;
    std::unordered_map<int, Entry> socks_;  // the linger thread's own
    std::vector<char> buf_;
    std::thread thread_;
};

}  // namespace telemed
