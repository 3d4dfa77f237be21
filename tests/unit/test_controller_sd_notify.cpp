// Unit tests for controller/sd_notify.cpp (systemd readiness without
// libsystemd): a real AF_UNIX datagram socket, bound to a path and to an
// abstract name, receives exactly the datagrams sent; an unset, relative or
// too long NOTIFY_SOCKET leaves the notifier off; a missing or full receiver
// makes notify() fail at once (never block), counted; WATCHDOG_USEC and
// WATCHDOG_PID are parsed as systemd sets them; from_environment() takes the
// variables out of the environment.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "controller/sd_notify.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::SdNotifier;
using std::chrono::milliseconds;

namespace {

// A bound datagram socket; `address` in NOTIFY_SOCKET syntax.
struct Receiver {
    int fd = -1;
    std::string address;
    std::string dir;  // the path's folder, removed at the end

    static Receiver at_path() {
        Receiver r;
        char tmpl[] = "/tmp/telemed-sdn.XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        r.dir = tmpl;
        r.address = r.dir + "/notify";
        r.bind_to(r.address);
        return r;
    }
    static Receiver abstract() {
        Receiver r;
        char name[64];
        std::snprintf(name, sizeof name, "@telemed-sdn-test/%d/%ld", static_cast<int>(getpid()),
                      static_cast<long>(std::chrono::steady_clock::now().time_since_epoch().count()));
        r.address = name;
        r.bind_to(r.address);
        return r;
    }
    void bind_to(const std::string& a) {
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        socklen_t len;
        if (a[0] == '@') {
            sa.sun_path[0] = '\0';
            std::memcpy(sa.sun_path + 1, a.data() + 1, a.size() - 1);
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + a.size());
        } else {
            std::memcpy(sa.sun_path, a.c_str(), a.size() + 1);
            len = static_cast<socklen_t>(sizeof sa);
        }
        assert_int_equal(bind(fd, reinterpret_cast<sockaddr*>(&sa), len), 0);
    }
    // The next datagram within 2 s ("<none>" if none came).
    std::string next() const {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 2000) != 1) return "<none>";
        char buf[4096];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        return n < 0 ? "<error>" : std::string(buf, static_cast<std::size_t>(n));
    }
    bool empty() const {
        pollfd p{fd, POLLIN, 0};
        return poll(&p, 1, 50) == 0;
    }
    void close_all() {
        if (fd >= 0) close(fd);
        fd = -1;
        if (!dir.empty()) {
            unlink(address.c_str());
            rmdir(dir.c_str());
        }
    }
};

void test_unset_is_off(void**) {
    SdNotifier off;
    assert_false(off.enabled());
    assert_false(off.notify("READY=1"));
    SdNotifier empty("");
    assert_false(empty.enabled());
    assert_false(empty.notify("READY=1"));
    assert_int_equal(empty.failures(), 0);
    assert_int_equal(empty.watchdog_interval().count(), 0);
}

void test_path_socket_receives_the_messages(void**) {
    Receiver r = Receiver::at_path();
    SdNotifier n(r.address);
    assert_true(n.enabled());
    assert_true(n.notify("READY=1\nSTATUS=listening on 127.0.0.1:8080"));
    assert_true(n.notify("STOPPING=1"));
    const std::string first = r.next();
    const std::string second = r.next();
    const bool nothing_more = r.empty();
    r.close_all();
    assert_string_equal(first.c_str(), "READY=1\nSTATUS=listening on 127.0.0.1:8080");
    assert_string_equal(second.c_str(), "STOPPING=1");
    assert_true(nothing_more);
    assert_int_equal(n.failures(), 0);
}

void test_abstract_socket_receives_the_messages(void**) {
    Receiver r = Receiver::abstract();
    SdNotifier n(r.address);
    assert_true(n.enabled());
    assert_true(n.notify("READY=1"));
    assert_true(n.notify("WATCHDOG=1"));
    const std::string first = r.next();
    const std::string second = r.next();
    r.close_all();
    assert_string_equal(first.c_str(), "READY=1");
    assert_string_equal(second.c_str(), "WATCHDOG=1");
    // Another abstract name does not receive them (the name is exact, not a prefix).
    Receiver other = Receiver::abstract();
    SdNotifier to_other(other.address + "x");
    assert_false(to_other.notify("READY=1"));
    const bool other_empty = other.empty();
    other.close_all();
    assert_true(other_empty);
}

void test_bad_addresses_leave_it_off(void**) {
    SdNotifier relative("run/systemd/notify");
    assert_false(relative.enabled());
    assert_false(relative.notify("READY=1"));
    SdNotifier bare_at("@");
    assert_false(bare_at.enabled());
    const std::string long_path = "/" + std::string(sizeof(sockaddr_un::sun_path), 'a');
    SdNotifier too_long(long_path);
    assert_false(too_long.enabled());
    SdNotifier too_long_abstract("@" + std::string(sizeof(sockaddr_un::sun_path), 'a'));
    assert_false(too_long_abstract.enabled());
    // The longest that fits still works.
    SdNotifier longest_abstract("@" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'b'));
    assert_true(longest_abstract.enabled());
}

void test_missing_receiver_fails_counted_never_fatal(void**) {
    SdNotifier n("/nonexistent-telemed-dir/notify");
    assert_true(n.enabled());
    assert_false(n.notify("READY=1"));
    assert_false(n.notify("STOPPING=1"));
    assert_int_equal(n.failures(), 2);
}

void test_full_receiver_never_blocks(void**) {
    Receiver r = Receiver::at_path();
    int small = 1;
    setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    SdNotifier n(r.address);
    // Nobody reads: the queue fills and a send must fail at once instead of
    // waiting (a blocking send would hang here).
    const std::string msg = "STATUS=" + std::string(1000, 'x');
    int sent = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (sent < 100000 && n.notify(msg)) ++sent;
    const auto took = std::chrono::steady_clock::now() - t0;
    const unsigned failures = n.failures();
    // Draining one makes room again.
    const std::string first = r.next();
    r.close_all();
    assert_true(sent < 100000);
    assert_int_equal(failures, 1);
    assert_true(took < std::chrono::seconds(5));
    assert_string_equal(first.c_str(), msg.c_str());
}

void test_watchdog_parsing(void**) {
    assert_int_equal(SdNotifier::parse_watchdog("1000000", nullptr, 42).count(), 500);
    assert_int_equal(SdNotifier::parse_watchdog("30000000", "42", 42).count(), 15000);
    assert_int_equal(SdNotifier::parse_watchdog("1000000", "43", 42).count(), 0);  // another process's
    assert_int_equal(SdNotifier::parse_watchdog(nullptr, "42", 42).count(), 0);
    assert_int_equal(SdNotifier::parse_watchdog("0", nullptr, 42).count(), 0);
    assert_int_equal(SdNotifier::parse_watchdog("", nullptr, 42).count(), 0);
    assert_int_equal(SdNotifier::parse_watchdog("-5", nullptr, 42).count(), 0);
    assert_int_equal(SdNotifier::parse_watchdog("10s", nullptr, 42).count(), 0);
    assert_int_equal(SdNotifier::parse_watchdog("1000000", "x", 42).count(), 0);
    assert_int_equal(SdNotifier::parse_watchdog("1000", nullptr, 42).count(), 1);  // never zero when on
}

void test_from_environment_takes_the_variables(void**) {
    Receiver r = Receiver::abstract();
    setenv("NOTIFY_SOCKET", r.address.c_str(), 1);
    setenv("WATCHDOG_USEC", "4000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    SdNotifier n = SdNotifier::from_environment();
    const bool gone = !getenv("NOTIFY_SOCKET") && !getenv("WATCHDOG_USEC") && !getenv("WATCHDOG_PID");
    const bool sent = n.notify("READY=1");
    const std::string got = r.next();
    r.close_all();
    assert_true(gone);
    assert_true(n.enabled());
    assert_int_equal(n.watchdog_interval().count(), 2000);
    assert_true(sent);
    assert_string_equal(got.c_str(), "READY=1");
    // Unset: off.
    SdNotifier off = SdNotifier::from_environment();
    assert_false(off.enabled());
    assert_int_equal(off.watchdog_interval().count(), 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_is_off),
        cmocka_unit_test(test_path_socket_receives_the_messages),
        cmocka_unit_test(test_abstract_socket_receives_the_messages),
        cmocka_unit_test(test_bad_addresses_leave_it_off),
        cmocka_unit_test(test_missing_receiver_fails_counted_never_fatal),
        cmocka_unit_test(test_full_receiver_never_blocks),
        cmocka_unit_test(test_watchdog_parsing),
        cmocka_unit_test(test_from_environment_takes_the_variables),
    };
    return cmocka_run_group_tests_name("controller_sd_notify", tests, nullptr, nullptr);
}
