// Connection guard of the HTTP server: deadlines on request heads and bodies,
// and connection limits that degrade gracefully (issue 11, item 1).
//
// libmicrohttpd's connection timeout counts inactivity only, so a client
// that sends one byte a second holds its connection for ever, and a thousand
// such clients fill every connection slot: the server stops accepting and
// every API request times out. Its per-address limit locks out everyone
// behind one hospital gateway. The guard adds what is missing:
//
// - Deadlines. A connection is in one of three phases (ConnPhase). Waiting
//   for a request head, the whole head must arrive within header_timeout,
//   counted from accept, or for a kept-alive connection from the end of the
//   previous response (so header_timeout is also the idle limit of a
//   kept-alive connection). Once the head is in (libmicrohttpd's first
//   access() call for the request), the body must arrive within
//   body_timeout, plus one second per body_min_rate bytes already received
//   (a 25 MiB file upload from an ambulance's weak uplink takes minutes; a
//   client trickling bytes gains nothing: at the default 32 KiB/s it must
//   keep sending at that rate to stay). The handler and the response are not timed here. A
//   connection over its deadline is shut down (shutdown(2), SHUT_RDWR, from
//   the reaper thread, which is how libmicrohttpd itself wakes connections
//   when it stops): libmicrohttpd then sees the socket end and closes it.
// - Shedding. When accepting a connection would bring its worker thread
//   near its share of max_connections (libmicrohttpd splits the limit
//   equally between its threads and stops accepting in a thread at its
//   share), or its address to per_ip_connection_limit, connections that
//   are waiting for a head are shut down first: the ones that have had
//   more than a second to send their head and have not (oldest first),
//   then idle kept-alive ones (longest idle first), then the youngest.
//   Connections reading a body or being answered are never shed. A new
//   connection is refused only when its address is at its limit and
//   nothing of that address can be shed. libmicrohttpd's own per-address
//   limit is off; this one replaces it.
// - Lingering close: when a connection ends before the body of its last
//   request was read (a refusal answered early, e.g. 413), the socket is
//   handed to LingeringClose (lingering_close.hpp) so that the client,
//   still writing, gets to read the answer.
//
// ConnTable is the bookkeeping and every decision, without threads, clocks
// or system calls (tests/unit/test_controller_conn_guard.cpp). ConnGuard
// adds the mutex, the reaper thread and the system calls, and is what the
// libmicrohttpd callbacks of server.cpp call. No libmicrohttpd header here.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace telemed {

class LingeringClose;

// What a connection counts against per_ip_connection_limit: an IPv4
// address, or the /64 prefix of an IPv6 address (one host usually owns a
// whole /64); an IPv4-mapped IPv6 address counts as its IPv4 address.
// family 0: unknown (not limited per address).
struct PeerKey {
    uint64_t bits = 0;
    unsigned char family = 0;  // 0, 4 or 6
    bool operator==(const PeerKey& o) const { return bits == o.bits && family == o.family; }
};
struct PeerKeyHash {
    std::size_t operator()(const PeerKey& k) const noexcept { return std::hash<uint64_t>()(k.bits ^ k.family); }
};
PeerKey peer_key(const sockaddr* addr);  // null: unknown

enum class ConnPhase : unsigned char {
    kHead,  // waiting for a request head (since accept, or since the previous response)
    kBody,  // head in; body (if any) arriving; deadline body_timeout
    kBusy,  // request read: handler and response under way; no deadline here
};

// Why the guard shut a connection down.
enum class ShutReason : unsigned char {
    kHeadDeadline,  // head not complete within header_timeout
    kBodyDeadline,  // body not complete within body_timeout
    kShedWorker,    // its worker thread neared its share of max_connections
    kShedAddress,   // its address reached per_ip_connection_limit
};

struct ConnLimits {
    unsigned max_connections = 1024;  // libmicrohttpd's limit, split equally between...
    unsigned workers = 1;             // ...its worker threads (config threads)
    unsigned per_ip = 256;            // 0 = unlimited
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds body_timeout{30000};
    uint64_t body_min_rate = 32768;  // bytes/s that extend body_timeout; 0: body_timeout is absolute
};

struct ShutOrder {
    int fd;
    ShutReason reason;
};

class ConnTable {
public:
    using Clock = std::chrono::steady_clock;
    struct Conn;  // one per connection; stays valid until close()

    explicit ConnTable(const ConnLimits& limits);
    ~ConnTable();
    ConnTable(const ConnTable&) = delete;
    ConnTable& operator=(const ConnTable&) = delete;

    // Whether to accept a new connection from `peer` on worker `worker`
    // (taken modulo the worker count). Connections to shed so that the
    // newcomer fits are marked and appended to *shut; false: refuse it (its
    // address is at per_ip and none of that address can be shed).
    bool admit(const PeerKey& peer, unsigned worker, Clock::time_point now, std::vector<ShutOrder>* shut);

    // A connection libmicrohttpd has accepted. Never null (throws bad_alloc).
    Conn* open(int fd, const PeerKey& peer, unsigned worker, Clock::time_point now);
    // libmicrohttpd called access() for the current request: the first call
    // of a request ends the head phase; a later call without upload data
    // (the final one) ends the body phase.
    // `bytes`: the upload data of this call (extends the body deadline, see
    // the top of this file).
    void on_call(Conn* c, bool no_upload_data, Clock::time_point now, std::size_t bytes = 0);
    // The request is over (libmicrohttpd's completed callback): the
    // connection waits for the next head from now on.
    void on_request_end(Conn* c, Clock::time_point now);
    // The connection is closed: frees it. True when its last request ended
    // before its body was read and the guard did not shut it down, i.e. the
    // client may still be writing (lingering close).
    bool close(Conn* c);

    // Connections past their deadline, marked and appended to *shut.
    void overdue(Clock::time_point now, std::vector<ShutOrder>* shut);

    // A worker sheds above this many live connections: its share of
    // max_connections less an eighth (at least one), so that connections
    // being shut down (still counted by libmicrohttpd until it has closed
    // them) never bring it to its share, where it would stop accepting.
    unsigned worker_high_water() const { return high_water_; }
    // Connections waiting for a head that long are "slow" and shed first
    // (one second, or half of header_timeout when that is shorter).
    Clock::duration slow_head() const { return slow_head_; }

    // Observers (tests, statistics). "Live" = not shut down by the guard.
    std::size_t size() const { return conns_.size(); }
    unsigned live_from(const PeerKey& peer) const;
    unsigned live_on(unsigned worker) const;
    static ConnPhase phase(const Conn* c);
    static bool shut(const Conn* c);
    // How long the body of `c` may take so far: body_timeout plus one second
    // per body_min_rate bytes received.
    Clock::duration body_allowance(const Conn& c) const;
    static int fd(const Conn* c);

private:
    Conn* pick_victim(const PeerKey* peer, const unsigned* worker, Clock::time_point now) const;
    void mark(Conn* c, ShutReason reason, std::vector<ShutOrder>* shut);

    ConnLimits limits_;
    unsigned high_water_;
    Clock::duration slow_head_;
    uint64_t next_id_ = 1;
    std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
    std::unordered_map<PeerKey, unsigned, PeerKeyHash> live_by_peer_;
    std::vector<unsigned> live_by_worker_;
};

// Counters since start (monotonic; the reaper logs their growth).
struct ConnGuardStats {
    uint64_t head_deadline = 0, body_deadline = 0, shed_worker = 0, shed_address = 0, refused = 0;
    uint64_t lingered = 0;  // handed to LingeringClose
    std::size_t open = 0;
};

// ConnTable behind a mutex, a reaper thread (every 200 ms) that shuts down
// connections past their deadline, and the system calls. Every entry point
// is noexcept: they are called from libmicrohttpd callbacks.
class ConnGuard {
public:
    // `linger` (may be null) receives connections closed with a body unread;
    // it must outlive the guard.
    ConnGuard(const ConnLimits& limits, LingeringClose* linger);
    ~ConnGuard();  // stop()
    ConnGuard(const ConnGuard&) = delete;
    ConnGuard& operator=(const ConnGuard&) = delete;

    bool start(std::string* error);
    // Stops the reaper. Call after libmicrohttpd has stopped (it closes its
    // connections through closed()).
    void stop();

    // MHD_OPTION_ACCEPT_POLICY_CALLBACK: admit (and shed) or refuse.
    bool admit(const sockaddr* addr) noexcept;
    // MHD_OPTION_NOTIFY_CONNECTION, started: returns the socket context
    // (null when out of memory: the connection is then not guarded).
    void* opened(int fd, const sockaddr* addr) noexcept;
    // MHD_OPTION_NOTIFY_CONNECTION, closed (libmicrohttpd closes the socket
    // right after this returns).
    void closed(void* socket_context) noexcept;
    // Every access() call: `no_upload_data` is *upload_data_size == 0.
    void on_call(void* socket_context, bool no_upload_data, std::size_t bytes = 0) noexcept;
    // MHD_OPTION_NOTIFY_COMPLETED.
    void request_done(void* socket_context) noexcept;

    ConnGuardStats stats() const;

private:
    unsigned worker_index() noexcept;
    void shut_down(const std::vector<ShutOrder>& shut);  // with mu_ held
    void reap_loop();
    void log_summary(ConnGuardStats& last);

    LingeringClose* linger_;
    mutable std::mutex mu_;
    ConnTable table_;
    ConnGuardStats stats_;
    std::vector<ShutOrder> scratch_;
    unsigned workers_;
    std::atomic<unsigned> next_worker_{0};
    std::atomic<bool> stopping_{false};
    std::mutex stop_mu_;
    std::condition_variable stop_cv_;
    std::thread reaper_;
};

}  // namespace telemed
