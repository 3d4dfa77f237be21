// Runs one external program of recording post-processing (janus-pp-rec,
// ffmpeg, ffprobe): posix_spawn (no shell), argv our own, in a working
// folder, stdin /dev/null, stdout+stderr into a pipe of which only the last
// `max_output` bytes are kept (never logged: the job writes them to its
// bounded processing.log on failure), a minimal environment, its own process
// group, default signal mask. The caller's niceness is inherited (the job
// threads nice themselves). Killed (SIGKILL to the group) at `deadline` or
// when `keep_going` answers false (asked every ~200 ms: shutdown, a lost lease).
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace telemed {

struct ExecResult {
    enum class Status { Exited, Signaled, TimedOut, Cancelled, SpawnFailed };
    Status status = Status::SpawnFailed;
    int code = -1;        // exit code (Exited) or signal (Signaled)
    std::string output;   // the last max_output bytes of stdout+stderr
    bool ok() const { return status == Status::Exited && code == 0; }
};

ExecResult run_program(const std::vector<std::string>& argv, const std::string& cwd,
                       std::chrono::steady_clock::time_point deadline, const std::function<bool()>& keep_going,
                       std::size_t max_output = 16384);

// A short text for logs and error columns: "exit 1", "signal 9", "timeout", ...
std::string describe(const ExecResult& r);

}  // namespace telemed
