// controller/jobs/recording_exec.hpp: programs run without a shell, their
// output bounded to its tail, exit codes and signals told apart, killed at
// the deadline or when the caller gives up.
#include <chrono>
#include <string>
#include <vector>

#include "controller/jobs/recording_exec.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;
using Clock = std::chrono::steady_clock;

namespace {

ExecResult run(const std::vector<std::string>& argv, int deadline_ms = 10000, std::size_t max = 16384,
               bool give_up = false) {
    return run_program(argv, "/tmp", Clock::now() + std::chrono::milliseconds(deadline_ms),
                       [give_up] { return !give_up; }, max);
}

void test_exit_and_output(void** /*state*/) {
    ExecResult r = run({"/bin/sh", "-c", "echo out; echo err >&2; pwd; exit 0"});
    assert_true(r.ok());
    assert_string_equal(r.output.c_str(), "out\nerr\n/tmp\n");
    r = run({"/bin/sh", "-c", "exit 3"});
    assert_false(r.ok());
    assert_int_equal(static_cast<int>(r.status), static_cast<int>(ExecResult::Status::Exited));
    assert_int_equal(r.code, 3);
    assert_string_equal(describe(r).c_str(), "exit 3");
    // No shell: an argument is one argument.
    r = run({"/bin/echo", "a b; rm -rf /nonexistent"});
    assert_string_equal(r.output.c_str(), "a b; rm -rf /nonexistent\n");
    // A minimal environment.
    r = run({"/usr/bin/env"});
    assert_string_equal(r.output.c_str(), "PATH=/usr/bin:/bin\nLC_ALL=C\n");
}

void test_bounded_output(void** /*state*/) {
    ExecResult r = run({"/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done"}, 10000, 64);
    assert_true(r.ok());
    assert_int_equal(r.output.size(), 64);
    assert_true(r.output.find("line1999\n") != std::string::npos);
}

void test_spawn_failure_and_signal(void** /*state*/) {
    ExecResult r = run({"/nonexistent/program"});
    assert_int_equal(static_cast<int>(r.status), static_cast<int>(ExecResult::Status::SpawnFailed));
    assert_string_equal(describe(r).c_str(), "cannot start");
    r = run({"/bin/sh", "-c", "kill -9 $$"});
    assert_int_equal(static_cast<int>(r.status), static_cast<int>(ExecResult::Status::Signaled));
    assert_int_equal(r.code, 9);
}

void test_time_limit_and_cancel(void** /*state*/) {
    const auto t0 = Clock::now();
    // The child and its own child (same process group) are killed.
    ExecResult r = run({"/bin/sh", "-c", "sleep 30 & sleep 30"}, 300);
    assert_int_equal(static_cast<int>(r.status), static_cast<int>(ExecResult::Status::TimedOut));
    assert_true(Clock::now() - t0 < std::chrono::seconds(5));
    r = run({"/bin/sleep", "30"}, 10000, 16384, true);
    assert_int_equal(static_cast<int>(r.status), static_cast<int>(ExecResult::Status::Cancelled));
    assert_true(Clock::now() - t0 < std::chrono::seconds(5));
}

// The child gets stdin, stdout and stderr only: a descriptor of ours that is
// not close-on-exec (a socket of a library, an open file) stays with us.
void test_no_inherited_descriptors(void** /*state*/) {
    const int fd = ::dup2(STDERR_FILENO, 777);  // no FD_CLOEXEC on a dup2 copy
    assert_int_equal(fd, 777);
    ExecResult r = run({"/bin/sh", "-c", "ls /proc/self/fd"});
    ::close(fd);
    assert_true(r.ok());
    // 0, 1, 2 and ls's own handle of /proc/self/fd (3): nothing of ours.
    assert_string_equal(r.output.c_str(), "0\n1\n2\n3\n");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_and_output),
        cmocka_unit_test(test_bounded_output),
        cmocka_unit_test(test_spawn_failure_and_signal),
        cmocka_unit_test(test_time_limit_and_cancel),
        cmocka_unit_test(test_no_inherited_descriptors),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
