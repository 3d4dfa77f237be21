// Unit tests for controller/http/conn_guard.cpp, the decisions of the
// connection guard (ConnTable; no threads, clocks or sockets: the time is
// passed in and the descriptors are plain numbers): head and body deadlines
// and the phases that start them, kept-alive connections timed from the end
// of the previous request, shedding order (slow heads, then idle kept-alive,
// then young heads; never a busy one), the per-worker high-water mark, the
// per-address limit (shed within the address, refuse only when nothing can
// go, 0 = unlimited), when a close asks for lingering, and peer keys.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "controller/http/conn_guard.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::ConnLimits;
using telemed::ConnPhase;
using telemed::ConnTable;
using telemed::PeerKey;
using telemed::ShutOrder;
using telemed::ShutReason;
using Conn = ConnTable::Conn;
using namespace std::chrono_literals;

namespace {

const ConnTable::Clock::time_point T0{};

ConnTable::Clock::time_point at(std::chrono::milliseconds ms) { return T0 + ms; }

PeerKey v4(const char* text) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, text, &sa.sin_addr);
    return telemed::peer_key(reinterpret_cast<const sockaddr*>(&sa));
}

PeerKey v6(const char* text) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    inet_pton(AF_INET6, text, &sa.sin6_addr);
    return telemed::peer_key(reinterpret_cast<const sockaddr*>(&sa));
}

ConnLimits limits(unsigned max, unsigned workers, unsigned per_ip) {
    ConnLimits l;
    l.max_connections = max;
    l.workers = workers;
    l.per_ip = per_ip;
    l.header_timeout = 10s;
    l.body_timeout = 30s;
    return l;
}

// The fds of the connections overdue at `when`, in table order (sorted here).
std::vector<int> overdue_fds(ConnTable& t, std::chrono::milliseconds when) {
    std::vector<ShutOrder> shut;
    t.overdue(at(when), &shut);
    std::vector<int> fds;
    for (const ShutOrder& o : shut) fds.push_back(o.fd);
    std::sort(fds.begin(), fds.end());
    return fds;
}

bool same(const std::vector<int>& a, std::initializer_list<int> b) { return a == std::vector<int>(b); }

void test_head_deadline_counts_from_accept_whatever_the_trickle(void**) {
    ConnTable t(limits(1024, 1, 0));
    Conn* c = t.open(10, v4("10.0.0.1"), 0, at(0ms));
    assert_true(t.phase(c) == ConnPhase::kHead);
    // Bytes arriving do not matter: only the head being complete does.
    assert_true(overdue_fds(t, 9999ms).empty());
    std::vector<ShutOrder> shut;
    t.overdue(at(10000ms), &shut);
    assert_int_equal(shut.size(), 1);
    assert_int_equal(shut[0].fd, 10);
    assert_true(shut[0].reason == ShutReason::kHeadDeadline);
    assert_true(ConnTable::shut(c));
    // Once shut down it is not reported again, and no longer counts.
    assert_true(overdue_fds(t, 20000ms).empty());
    assert_int_equal(t.live_on(0), 0);
    assert_int_equal(t.live_from(v4("10.0.0.1")), 0);
    assert_false(t.close(c));  // shut down by the guard: no lingering
    assert_int_equal(t.size(), 0);
}

void test_body_deadline_from_end_of_head_then_busy_is_untimed(void**) {
    ConnTable t(limits(1024, 1, 0));
    Conn* c = t.open(11, v4("10.0.0.1"), 0, at(0ms));
    t.on_call(c, true, at(9000ms));  // first call: head complete
    assert_true(t.phase(c) == ConnPhase::kBody);
    t.on_call(c, false, at(20000ms));  // body data
    assert_true(t.phase(c) == ConnPhase::kBody);
    assert_true(overdue_fds(t, 38999ms).empty());  // 9 s + 30 s
    std::vector<ShutOrder> shut;
    t.overdue(at(39000ms), &shut);
    assert_int_equal(shut.size(), 1);
    assert_true(shut[0].reason == ShutReason::kBodyDeadline);

    Conn* d = t.open(12, v4("10.0.0.1"), 0, at(0ms));
    t.on_call(d, true, at(100ms));
    t.on_call(d, true, at(200ms));  // final call: body complete
    assert_true(t.phase(d) == ConnPhase::kBusy);
    t.on_call(d, true, at(300ms));  // a resumed handler calls again: still busy
    assert_true(t.phase(d) == ConnPhase::kBusy);
    assert_true(overdue_fds(t, 3600000ms).empty());  // the handler is not timed here
    t.close(c);
    t.close(d);
}

// A big body over a slow link: each byte received extends the deadline by
// 1 s / body_min_rate; a trickle earns next to nothing; 0 turns it off.
void test_body_bytes_extend_the_deadline_at_the_minimum_rate(void**) {
    ConnLimits l = limits(1024, 1, 0);
    l.body_min_rate = 32768;
    ConnTable t(l);
    Conn* big = t.open(21, v4("10.0.0.1"), 0, at(0ms));
    t.on_call(big, true, at(0ms));                      // head in
    t.on_call(big, false, at(20000ms), 32768u * 100);  // 3.2 MiB: +100 s
    Conn* trickle = t.open(22, v4("10.0.0.2"), 0, at(0ms));
    t.on_call(trickle, true, at(0ms));
    for (int i = 1; i <= 29; ++i) t.on_call(trickle, false, at(std::chrono::milliseconds(i * 1000)), 1);
    assert_true(overdue_fds(t, 29999ms).empty());
    std::vector<int> due = overdue_fds(t, 30000ms);  // 29 bytes earn < 1 ms
    assert_int_equal(due.size(), 1);
    assert_int_equal(due[0], 22);
    assert_true(overdue_fds(t, 129999ms).empty());  // 22 is shut already; 21 has 30 + 100 s
    assert_true(overdue_fds(t, 130000ms) == std::vector<int>{21});

    ConnLimits off = limits(1024, 1, 0);
    off.body_min_rate = 0;
    ConnTable u(off);
    Conn* c = u.open(23, v4("10.0.0.3"), 0, at(0ms));
    u.on_call(c, true, at(0ms));
    u.on_call(c, false, at(1000ms), 1u << 30);
    assert_true(overdue_fds(u, 30000ms) == std::vector<int>{23});
    t.close(big);
    t.close(trickle);
    u.close(c);
}

void test_kept_alive_connection_times_from_end_of_previous_request(void**) {
    ConnTable t(limits(1024, 1, 0));
    Conn* c = t.open(13, v4("10.0.0.1"), 0, at(0ms));
    t.on_call(c, true, at(1000ms));
    t.on_call(c, true, at(1000ms));
    t.on_request_end(c, at(8000ms));
    assert_true(t.phase(c) == ConnPhase::kHead);
    assert_true(overdue_fds(t, 17999ms).empty());  // 10 s from the end, not from accept
    assert_true(same(overdue_fds(t, 18000ms), {13}));
    t.close(c);
}

void test_sheds_slow_heads_first_then_idle_kept_alive_then_young(void**) {
    // One worker, share 16, high water 14.
    ConnTable t(limits(16, 1, 0));
    assert_int_equal(t.worker_high_water(), 14);
    std::vector<Conn*> busy;
    for (int i = 0; i < 10; ++i) {  // busy ones are never shed
        Conn* c = t.open(100 + i, v4("10.0.0.1"), 0, at(0ms));
        t.on_call(c, true, at(0ms));
        t.on_call(c, true, at(0ms));
        busy.push_back(c);
    }
    Conn* idle = t.open(200, v4("10.0.0.2"), 0, at(0ms));  // kept alive, idle since 3 s
    t.on_call(idle, true, at(100ms));
    t.on_call(idle, true, at(100ms));
    t.on_request_end(idle, at(3000ms));
    Conn* slow_old = t.open(201, v4("10.0.0.3"), 0, at(1000ms));
    Conn* slow_new = t.open(202, v4("10.0.0.3"), 0, at(2000ms));
    Conn* young = t.open(203, v4("10.0.0.4"), 0, at(4500ms));  // 0.5 s: not slow yet
    assert_int_equal(t.live_on(0), 14);

    const auto admit = [&](std::chrono::milliseconds when) {
        std::vector<ShutOrder> shut;
        assert_true(t.admit(v4("10.0.0.9"), 0, at(when), &shut));
        assert_true(shut.size() <= 1);
        for (const ShutOrder& o : shut) assert_true(o.reason == ShutReason::kShedWorker);
        return shut.empty() ? -1 : shut[0].fd;
    };
    assert_int_equal(admit(5000ms), 201);  // slowest head first
    t.open(300, v4("10.0.0.9"), 0, at(5000ms));
    assert_int_equal(admit(5000ms), 202);
    t.open(301, v4("10.0.0.9"), 0, at(5000ms));
    assert_int_equal(admit(5000ms), 200);  // then the idle kept-alive one
    t.open(302, v4("10.0.0.9"), 0, at(5000ms));
    assert_int_equal(admit(5000ms), 203);  // then young heads, oldest first
    t.open(303, v4("10.0.0.9"), 0, at(5000ms));
    assert_int_equal(admit(5000ms), 300);
    assert_true(ConnTable::shut(slow_old) && ConnTable::shut(slow_new) && ConnTable::shut(idle) &&
                ConnTable::shut(young));
    for (Conn* c : busy) assert_false(ConnTable::shut(c));
    (void)t.open(304, v4("10.0.0.9"), 0, at(5000ms));
    // Only busy connections and new heads are left: 10 busy + 301..304.
    assert_int_equal(t.live_on(0), 14);
}

void test_nothing_to_shed_still_admits_below_mhd_limit(void**) {
    ConnTable t(limits(8, 1, 0));  // share 8, high water 7
    for (int i = 0; i < 7; ++i) {
        Conn* c = t.open(i, v4("10.0.0.1"), 0, at(0ms));
        t.on_call(c, true, at(0ms));
    }
    std::vector<ShutOrder> shut;
    assert_true(t.admit(v4("10.0.0.2"), 0, at(1000ms), &shut));  // libmicrohttpd's limit decides
    assert_true(shut.empty());
}

void test_workers_are_counted_apart(void**) {
    ConnTable t(limits(64, 4, 0));  // share 16 each, high water 14
    assert_int_equal(t.worker_high_water(), 14);
    for (int i = 0; i < 14; ++i) t.open(i, v4("10.0.0.1"), 1, at(0ms));
    t.open(50, v4("10.0.0.1"), 2, at(0ms));
    std::vector<ShutOrder> shut;
    assert_true(t.admit(v4("10.0.0.2"), 2, at(5000ms), &shut));  // worker 2 has room
    assert_true(shut.empty());
    assert_true(t.admit(v4("10.0.0.2"), 1, at(5000ms), &shut));  // worker 1 sheds one of its own
    assert_int_equal(shut.size(), 1);
    assert_true(shut[0].fd < 14);
    assert_int_equal(t.live_on(1), 13);
    assert_int_equal(t.live_on(2), 1);
    assert_int_equal(t.live_on(5), 13);  // taken modulo the worker count
}

void test_per_address_limit_sheds_within_the_address_then_refuses(void**) {
    ConnTable t(limits(1024, 1, 3));
    Conn* gw1 = t.open(1, v4("192.0.2.1"), 0, at(0ms));
    Conn* gw2 = t.open(2, v4("192.0.2.1"), 0, at(100ms));
    Conn* gw3 = t.open(3, v4("192.0.2.1"), 0, at(200ms));
    Conn* other = t.open(4, v4("192.0.2.2"), 0, at(0ms));
    std::vector<ShutOrder> shut;
    // A fourth from the gateway: its oldest waiting head goes.
    assert_true(t.admit(v4("192.0.2.1"), 0, at(5000ms), &shut));
    assert_int_equal(shut.size(), 1);
    assert_int_equal(shut[0].fd, 1);
    assert_true(shut[0].reason == ShutReason::kShedAddress);
    assert_false(ConnTable::shut(other));
    Conn* gw4 = t.open(5, v4("192.0.2.1"), 0, at(5000ms));
    // All three live gateway connections busy: nothing to shed, refused.
    for (Conn* c : {gw2, gw3, gw4}) {
        t.on_call(c, true, at(5000ms));
        t.on_call(c, true, at(5000ms));
    }
    shut.clear();
    assert_false(t.admit(v4("192.0.2.1"), 0, at(6000ms), &shut));
    assert_true(shut.empty());
    // Another address is not affected.
    assert_true(t.admit(v4("192.0.2.2"), 0, at(6000ms), &shut));
    assert_true(shut.empty());
    // One request over: a kept-alive idle connection can now be shed.
    t.on_request_end(gw3, at(6500ms));
    assert_true(t.admit(v4("192.0.2.1"), 0, at(7000ms), &shut));
    assert_int_equal(shut.size(), 1);
    assert_int_equal(shut[0].fd, 3);
    (void)gw1;
}

void test_per_address_zero_is_unlimited(void**) {
    ConnTable t(limits(100000, 1, 0));
    for (int i = 0; i < 5000; ++i) t.open(i, v4("192.0.2.1"), 0, at(0ms));
    std::vector<ShutOrder> shut;
    assert_true(t.admit(v4("192.0.2.1"), 0, at(0ms), &shut));
    assert_true(shut.empty());
}

void test_linger_only_when_the_body_was_left_unread(void**) {
    ConnTable t(limits(1024, 1, 0));
    // Answered on the first call (e.g. 413 for an announced 10 MB body):
    // the request ends in the body phase.
    Conn* early = t.open(1, v4("10.0.0.1"), 0, at(0ms));
    t.on_call(early, true, at(0ms));
    t.on_request_end(early, at(10ms));
    assert_true(t.close(early));
    // A request read to its end.
    Conn* whole = t.open(2, v4("10.0.0.1"), 0, at(0ms));
    t.on_call(whole, true, at(0ms));
    t.on_call(whole, false, at(1ms));
    t.on_call(whole, true, at(2ms));
    t.on_request_end(whole, at(3ms));
    assert_false(t.close(whole));
    // Closed while waiting for a head.
    Conn* idle = t.open(3, v4("10.0.0.1"), 0, at(0ms));
    assert_false(t.close(idle));
    // Shut down by the guard in its body phase: not worth lingering.
    Conn* slow = t.open(4, v4("10.0.0.1"), 0, at(0ms));
    t.on_call(slow, true, at(0ms));
    assert_int_equal(overdue_fds(t, 31000ms).size(), 1);
    t.on_request_end(slow, at(31000ms));
    assert_false(t.close(slow));
}

void test_peer_keys(void**) {
    assert_true(v4("192.0.2.1") == v4("192.0.2.1"));
    assert_false(v4("192.0.2.1") == v4("192.0.2.2"));
    assert_int_equal(v4("192.0.2.1").family, 4);
    // IPv4-mapped IPv6 counts as the IPv4 address.
    assert_true(v6("::ffff:192.0.2.1") == v4("192.0.2.1"));
    // IPv6 by /64.
    assert_true(v6("2001:db8:1:2::1") == v6("2001:db8:1:2:ffff::9"));
    assert_false(v6("2001:db8:1:2::1") == v6("2001:db8:1:3::1"));
    assert_int_equal(v6("2001:db8::1").family, 6);
    assert_int_equal(telemed::peer_key(nullptr).family, 0);
    // Unknown peers are not limited per address.
    ConnTable t(limits(1024, 1, 1));
    t.open(1, PeerKey{}, 0, at(0ms));
    std::vector<ShutOrder> shut;
    assert_true(t.admit(PeerKey{}, 0, at(0ms), &shut));
    assert_true(shut.empty());
}

void test_slow_head_threshold_follows_a_short_header_timeout(void**) {
    ConnLimits l = limits(1024, 1, 0);
    l.header_timeout = 1s;
    ConnTable t(l);
    assert_true(t.slow_head() == std::chrono::milliseconds(500));
    ConnTable u(limits(1024, 1, 0));
    assert_true(u.slow_head() == std::chrono::seconds(1));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_deadline_counts_from_accept_whatever_the_trickle),
        cmocka_unit_test(test_body_deadline_from_end_of_head_then_busy_is_untimed),
        cmocka_unit_test(test_body_bytes_extend_the_deadline_at_the_minimum_rate),
        cmocka_unit_test(test_kept_alive_connection_times_from_end_of_previous_request),
        cmocka_unit_test(test_sheds_slow_heads_first_then_idle_kept_alive_then_young),
        cmocka_unit_test(test_nothing_to_shed_still_admits_below_mhd_limit),
        cmocka_unit_test(test_workers_are_counted_apart),
        cmocka_unit_test(test_per_address_limit_sheds_within_the_address_then_refuses),
        cmocka_unit_test(test_per_address_zero_is_unlimited),
        cmocka_unit_test(test_linger_only_when_the_body_was_left_unread),
        cmocka_unit_test(test_peer_keys),
        cmocka_unit_test(test_slow_head_threshold_follows_a_short_header_timeout),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
