// Unit tests for controller/http/lingering_close.cpp on socket pairs (the
// "client" is the other end): an adopted socket keeps being read and
// drained after its owner closes it, so the client's blocking writes
// complete and it reads the end of the stream; the byte bound, the idle
// bound and the socket count bound; a socket whose client already closed
// is not adopted; stop() closes what is still lingering. The client's reads
// carry a 10 s receive timeout only so that a defect fails instead of
// hanging; nothing here asserts on time.
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "controller/http/lingering_close.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::LingerLimits;
using telemed::LingeringClose;

namespace {

struct Pair {
    int server = -1;  // the side libmicrohttpd would hold
    int client = -1;
};

Pair make_pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return {};
    timeval tv{10, 0};
    ::setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return {sv[0], sv[1]};
}

// Writes `total` bytes (blocking); the bytes written before an error.
std::size_t client_write(int fd, std::size_t total, int* err) {
    std::vector<char> chunk(64 * 1024, 'x');
    std::size_t done = 0;
    *err = 0;
    while (done < total) {
        const ssize_t n = ::send(fd, chunk.data(), std::min(chunk.size(), total - done), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            *err = errno;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    return done;
}

// What the client reads next: 0 = end of stream, -errno on error.
ssize_t client_read(int fd) {
    char b[256];
    const ssize_t n = ::recv(fd, b, sizeof b, 0);
    return n < 0 ? -errno : n;
}

void test_drains_until_the_client_closes_its_side(void**) {
    LingeringClose lc;
    std::string error;
    assert_true(lc.start(&error));
    Pair p = make_pair();
    assert_true(p.server >= 0);
    assert_int_equal(::send(p.client, "abc", 3, MSG_NOSIGNAL), 3);  // unread data, as in a refused body
    assert_true(lc.adopt(p.server));
    ::close(p.server);  // libmicrohttpd closes its descriptor: no reset, the dup keeps it
    int err = 0;
    assert_int_equal(client_write(p.client, 4u << 20, &err), 4u << 20);  // 4 MiB: more than any socket buffer
    assert_int_equal(err, 0);
    ::shutdown(p.client, SHUT_WR);
    assert_int_equal(client_read(p.client), 0);  // the lingering side closed after the client's end
    ::close(p.client);
    lc.stop();
    assert_int_equal(lc.stats().eof, 1);
    assert_int_equal(lc.stats().bytes, (4u << 20) + 3);
    assert_int_equal(lc.stats().lingering, 0);
}

void test_byte_bound_cuts_an_endless_writer(void**) {
    LingerLimits l;
    l.max_bytes = 256 * 1024;
    LingeringClose lc(l);
    std::string error;
    assert_true(lc.start(&error));
    Pair p = make_pair();
    assert_true(lc.adopt(p.server));
    ::close(p.server);
    int err = 0;
    const std::size_t written = client_write(p.client, 64u << 20, &err);
    assert_true(err == EPIPE || err == ECONNRESET);
    assert_true(written < (8u << 20));  // 256 KiB drained plus the socket buffers, not 64 MiB
    ::close(p.client);
    lc.stop();
    assert_int_equal(lc.stats().bounded, 1);
}

void test_idle_bound_closes_a_silent_client(void**) {
    LingerLimits l;
    l.idle = std::chrono::milliseconds(50);
    LingeringClose lc(l);
    std::string error;
    assert_true(lc.start(&error));
    Pair p = make_pair();
    assert_true(lc.adopt(p.server));
    ::close(p.server);
    assert_int_equal(client_read(p.client), 0);  // closed without the client ever closing
    ::close(p.client);
    lc.stop();
    assert_int_equal(lc.stats().bounded, 1);
}

void test_not_adopted_when_the_client_is_gone_or_slots_are_full(void**) {
    LingerLimits l;
    l.max_sockets = 1;
    LingeringClose lc(l);
    std::string error;
    assert_true(lc.start(&error));
    Pair gone = make_pair();
    ::close(gone.client);
    assert_false(lc.adopt(gone.server));  // end of stream, nothing to wait for
    ::close(gone.server);
    Pair a = make_pair();
    Pair b = make_pair();
    assert_true(lc.adopt(a.server));
    assert_false(lc.adopt(b.server));  // one slot only
    assert_int_equal(lc.stats().full, 1);
    ::close(a.server);
    ::close(b.server);
    assert_int_equal(client_read(b.client), 0);  // closed normally by its owner
    lc.stop();                                    // closes the lingering one
    assert_int_equal(client_read(a.client), 0);
    ::close(a.client);
    ::close(b.client);
    assert_int_equal(lc.stats().lingering, 0);
    assert_false(lc.adopt(3));  // stopped
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drains_until_the_client_closes_its_side),
        cmocka_unit_test(test_byte_bound_cuts_an_endless_writer),
        cmocka_unit_test(test_idle_bound_closes_a_silent_client),
        cmocka_unit_test(test_not_adopted_when_the_client_is_gone_or_slots_are_full),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
