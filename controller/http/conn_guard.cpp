// Connection guard (controller/http/conn_guard.hpp).
#include "controller/http/conn_guard.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "controller/http/lingering_close.hpp"
#include "controller/log.hpp"

namespace telemed {

PeerKey peer_key(const sockaddr* addr) {
    PeerKey k;
    if (!addr) return k;
    if (addr->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
        k.family = 4;
        k.bits = ntohl(v4->sin_addr.s_addr);
    } else if (addr->sa_family == AF_INET6) {
        const unsigned char* b = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr.s6_addr;
        static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(b, kMapped, sizeof kMapped) == 0) {
            k.family = 4;
            k.bits = (uint64_t{b[12]} << 24) | (uint64_t{b[13]} << 16) | (uint64_t{b[14]} << 8) | b[15];
        } else {
            k.family = 6;
            for (int i = 0; i < 8; ++i) k.bits = (k.bits << 8) | b[i];  // the /64 prefix
        }
    }
    return k;
}

// ---------------------------------------------------------------- ConnTable

struct ConnTable::Conn {
    uint64_t id = 0;
    int fd = -1;
    PeerKey peer;
    unsigned worker = 0;
    ConnPhase phase = ConnPhase::kHead;
    Clock::time_point since;  // start of the current phase
    bool served = false;      // at least one request ended on it (kept alive)
    bool shut = false;        // shut down by the guard (no longer live)
    bool body_unread = false; // its last request ended in kBody
    uint64_t body_bytes = 0;  // upload data received in the current kBody phase
};

ConnTable::ConnTable(const ConnLimits& limits) : limits_(limits) {
    if (limits_.workers == 0) limits_.workers = 1;
    const unsigned share = std::max(1u, limits_.max_connections / limits_.workers);
    high_water_ = share - std::max(1u, share / 8);
    slow_head_ = std::min<Clock::duration>(std::chrono::seconds(1), limits_.header_timeout / 2);
    live_by_worker_.assign(limits_.workers, 0);
}

ConnTable::~ConnTable() = default;

unsigned ConnTable::live_from(const PeerKey& peer) const {
    auto it = live_by_peer_.find(peer);
    return it == live_by_peer_.end() ? 0 : it->second;
}

unsigned ConnTable::live_on(unsigned worker) const { return live_by_worker_[worker % limits_.workers]; }

ConnPhase ConnTable::phase(const Conn* c) { return c->phase; }
bool ConnTable::shut(const Conn* c) { return c->shut; }
int ConnTable::fd(const Conn* c) { return c->fd; }

// The connection to shed first among those waiting for a head (restricted
// to `peer` and/or `worker` when given): slow heads (waiting longer than
// slow_head_) oldest first, then idle kept-alive connections longest idle
// first, then the rest oldest first. Null when there is none.
ConnTable::Conn* ConnTable::pick_victim(const PeerKey* peer, const unsigned* worker, Clock::time_point now) const {
    Conn* best = nullptr;
    int best_tier = 3;
    for (const auto& [id, up] : conns_) {
        Conn* c = up.get();
        if (c->shut || c->phase != ConnPhase::kHead) continue;
        if (peer && !(c->peer == *peer)) continue;
        if (worker && c->worker != *worker) continue;
        const int tier = !c->served && now - c->since >= slow_head_ ? 0 : c->served ? 1 : 2;
        if (tier < best_tier || (tier == best_tier && (c->since < best->since ||
                                                      (c->since == best->since && c->id < best->id)))) {
            best = c;
            best_tier = tier;
        }
    }
    return best;
}

void ConnTable::mark(Conn* c, ShutReason reason, std::vector<ShutOrder>* shut) {
    c->shut = true;
    if (c->peer.family != 0) {
        auto it = live_by_peer_.find(c->peer);
        if (it != live_by_peer_.end() && --it->second == 0) live_by_peer_.erase(it);
    }
    --live_by_worker_[c->worker];
    shut->push_back({c->fd, reason});
}

bool ConnTable::admit(const PeerKey& peer, unsigned worker, Clock::time_point now, std::vector<ShutOrder>* shut) {
    worker %= limits_.workers;
    if (limits_.per_ip != 0 && peer.family != 0) {
        while (live_from(peer) >= limits_.per_ip) {
            Conn* v = pick_victim(&peer, nullptr, now);
            if (!v) return false;
            mark(v, ShutReason::kShedAddress, shut);
        }
    }
    while (live_by_worker_[worker] + 1 > high_water_) {
        Conn* v = pick_victim(nullptr, &worker, now);
        if (!v) break;  // nothing to shed: libmicrohttpd's own limit decides
        mark(v, ShutReason::kShedWorker, shut);
    }
    return true;
}

ConnTable::Conn* ConnTable::open(int fd, const PeerKey& peer, unsigned worker, Clock::time_point now) {
    auto c = std::make_unique<Conn>();
    c->id = next_id_++;
    c->fd = fd;
    c->peer = peer;
    c->worker = worker % limits_.workers;
    c->since = now;
    Conn* raw = c.get();
    conns_.emplace(raw->id, std::move(c));
    if (peer.family != 0) ++live_by_peer_[peer];
    ++live_by_worker_[raw->worker];
    return raw;
}

void ConnTable::on_call(Conn* c, bool no_upload_data, Clock::time_point now, std::size_t bytes) {
    if (c->phase == ConnPhase::kHead) {
        c->phase = ConnPhase::kBody;
        c->since = now;
        c->body_bytes = 0;
    } else if (c->phase == ConnPhase::kBody && !no_upload_data) {
        c->body_bytes += bytes;
    } else if (c->phase == ConnPhase::kBody && no_upload_data) {
        c->phase = ConnPhase::kBusy;
        c->since = now;
    }
}

void ConnTable::on_request_end(Conn* c, Clock::time_point now) {
    c->body_unread = c->phase == ConnPhase::kBody;
    c->phase = ConnPhase::kHead;
    c->since = now;
    c->served = true;
}

bool ConnTable::close(Conn* c) {
    const bool linger = c->body_unread && !c->shut;
    if (!c->shut) {
        if (c->peer.family != 0) {
            auto it = live_by_peer_.find(c->peer);
            if (it != live_by_peer_.end() && --it->second == 0) live_by_peer_.erase(it);
        }
        --live_by_worker_[c->worker];
    }
    conns_.erase(c->id);
    return linger;
}

ConnTable::Clock::duration ConnTable::body_allowance(const Conn& c) const {
    if (limits_.body_min_rate == 0) return limits_.body_timeout;
    const uint64_t earned_ms = c.body_bytes / limits_.body_min_rate * 1000 +
                               c.body_bytes % limits_.body_min_rate * 1000 / limits_.body_min_rate;
    return limits_.body_timeout + std::chrono::milliseconds(earned_ms);
}

void ConnTable::overdue(Clock::time_point now, std::vector<ShutOrder>* shut) {
    for (const auto& [id, up] : conns_) {
        Conn* c = up.get();
        if (c->shut) continue;
        if (c->phase == ConnPhase::kHead && now - c->since >= limits_.header_timeout)
            mark(c, ShutReason::kHeadDeadline, shut);
        else if (c->phase == ConnPhase::kBody && now - c->since >= body_allowance(*c))
            mark(c, ShutReason::kBodyDeadline, shut);
    }
}

// ---------------------------------------------------------------- ConnGuard

namespace {
constexpr std::chrono::milliseconds kReapInterval{200};
constexpr std::chrono::seconds kSummaryInterval{10};
}  // namespace

ConnGuard::ConnGuard(const ConnLimits& limits, LingeringClose* linger)
    : linger_(linger), table_(limits), workers_(std::max(1u, limits.workers)) {}

ConnGuard::~ConnGuard() { stop(); }

bool ConnGuard::start(std::string* error) {
    if (reaper_.joinable()) return true;
    stopping_.store(false);
    try {
        scratch_.reserve(64);
        reaper_ = std::thread([this] { reap_loop(); });
    } catch (const std::exception& e) {
        *error = std::string("cannot start the connection reaper: ") + e.what();
        return false;
    }
    return true;
}

void ConnGuard::stop() {
    {
        std::lock_guard<std::mutex> lk(stop_mu_);
        stopping_.store(true);
    }
    stop_cv_.notify_all();
    if (reaper_.joinable()) reaper_.join();
}

// libmicrohttpd runs the accept policy and the connection notifications of
// a connection on the worker thread that accepted it: a per-thread index
// tells the guard which worker's share a connection counts against.
unsigned ConnGuard::worker_index() noexcept {
    struct Slot {
        const ConnGuard* owner = nullptr;
        unsigned index = 0;
    };
    thread_local Slot slot;
    if (slot.owner != this) {
        slot.owner = this;
        slot.index = next_worker_.fetch_add(1) % workers_;
    }
    return slot.index;
}

void ConnGuard::shut_down(const std::vector<ShutOrder>& shut) {
    for (const ShutOrder& o : shut) {
        // The fd is open: it leaves the table (closed()) before libmicrohttpd
        // closes it, and both happen under mu_.
        if (o.fd >= 0) ::shutdown(o.fd, SHUT_RDWR);
        switch (o.reason) {
            case ShutReason::kHeadDeadline: ++stats_.head_deadline; break;
            case ShutReason::kBodyDeadline: ++stats_.body_deadline; break;
            case ShutReason::kShedWorker: ++stats_.shed_worker; break;
            case ShutReason::kShedAddress: ++stats_.shed_address; break;
        }
    }
}

bool ConnGuard::admit(const sockaddr* addr) noexcept {
    const PeerKey peer = peer_key(addr);
    const unsigned worker = worker_index();
    try {
        std::lock_guard<std::mutex> lk(mu_);
        scratch_.clear();
        const bool ok = table_.admit(peer, worker, ConnTable::Clock::now(), &scratch_);
        shut_down(scratch_);
        if (!ok) ++stats_.refused;
        return ok;
    } catch (...) {
        return true;  // out of memory: libmicrohttpd's limits still hold
    }
}

void* ConnGuard::opened(int fd, const sockaddr* addr) noexcept {
    const PeerKey peer = peer_key(addr);
    const unsigned worker = worker_index();
    try {
        std::lock_guard<std::mutex> lk(mu_);
        return table_.open(fd, peer, worker, ConnTable::Clock::now());
    } catch (...) {
        return nullptr;
    }
}

void ConnGuard::closed(void* socket_context) noexcept {
    if (!socket_context) return;
    auto* c = static_cast<ConnTable::Conn*>(socket_context);
    int fd = -1;
    bool linger = false;
    {
        std::lock_guard<std::mutex> lk(mu_);
        fd = ConnTable::fd(c);
        linger = table_.close(c);
    }
    // libmicrohttpd has not closed fd yet (it does right after we return).
    if (linger && linger_ && fd >= 0 && !stopping_.load() && linger_->adopt(fd)) {
        std::lock_guard<std::mutex> lk(mu_);
        ++stats_.lingered;
    }
}

void ConnGuard::on_call(void* socket_context, bool no_upload_data, std::size_t bytes) noexcept {
    if (!socket_context) return;
    std::lock_guard<std::mutex> lk(mu_);
    table_.on_call(static_cast<ConnTable::Conn*>(socket_context), no_upload_data, ConnTable::Clock::now(), bytes);
}

void ConnGuard::request_done(void* socket_context) noexcept {
    if (!socket_context) return;
    std::lock_guard<std::mutex> lk(mu_);
    table_.on_request_end(static_cast<ConnTable::Conn*>(socket_context), ConnTable::Clock::now());
}

ConnGuardStats ConnGuard::stats() const {
    std::lock_guard<std::mutex> lk(mu_);
    ConnGuardStats s = stats_;
    s.open = table_.size();
    return s;
}

// One line every kSummaryInterval while the guard is acting (no addresses:
// they identify people).
void ConnGuard::log_summary(ConnGuardStats& last) {
    const ConnGuardStats now = stats();
    const uint64_t head = now.head_deadline - last.head_deadline, body = now.body_deadline - last.body_deadline,
                   shed_w = now.shed_worker - last.shed_worker, shed_a = now.shed_address - last.shed_address,
                   refused = now.refused - last.refused;
    if (head || body || shed_w || shed_a || refused) {
        log_warn("connections: %zu open; in the last %llds closed %llu past the head deadline, %llu past the body "
                 "deadline, shed %llu (worker near its share of max_connections) and %llu (address at "
                 "per_ip_connection_limit), refused %llu (address at its limit, nothing to shed)",
                 now.open, static_cast<long long>(kSummaryInterval.count()), static_cast<unsigned long long>(head),
                 static_cast<unsigned long long>(body), static_cast<unsigned long long>(shed_w),
                 static_cast<unsigned long long>(shed_a), static_cast<unsigned long long>(refused));
    }
    last = now;
}

void ConnGuard::reap_loop() {
    ConnGuardStats last;
    auto next_summary = ConnTable::Clock::now() + kSummaryInterval;
    std::vector<ShutOrder> shut;
    for (;;) {
        {
            std::unique_lock<std::mutex> lk(stop_mu_);
            if (stop_cv_.wait_for(lk, kReapInterval, [this] { return stopping_.load(); })) return;
        }
        try {
            std::lock_guard<std::mutex> lk(mu_);
            shut.clear();
            table_.overdue(ConnTable::Clock::now(), &shut);
            shut_down(shut);
        } catch (...) {
            // out of memory growing `shut`: try again on the next tick
        }
        if (ConnTable::Clock::now() >= next_summary) {
            log_summary(last);
            next_summary = ConnTable::Clock::now() + kSummaryInterval;
        }
    }
}

}  // namespace telemed
