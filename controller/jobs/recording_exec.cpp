// controller/jobs/recording_exec.hpp.
#include "controller/jobs/recording_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace telemed {
namespace {

void keep_tail(std::string& out, const char* p, std::size_t n, std::size_t max) {
    out.append(p, n);
    if (out.size() > max) out.erase(0, out.size() - max);
}

}  // namespace

ExecResult run_program(const std::vector<std::string>& argv, const std::string& cwd,
                       std::chrono::steady_clock::time_point deadline, const std::function<bool()>& keep_going,
                       std::size_t max_output) {
    ExecResult res;
    if (argv.empty()) return res;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return res;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    // Nothing else of ours reaches the child: libmicrohttpd's and libpq's
    // sockets, Redis connections and open files are not all close-on-exec.
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    sigset_t none, all_default;
    sigemptyset(&none);
    sigemptyset(&all_default);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&all_default, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all_default);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    std::vector<char*> cargv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    char env_path[] = "PATH=/usr/bin:/bin";
    char env_lc[] = "LC_ALL=C";
    char* envp[] = {env_path, env_lc, nullptr};
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, cargv.data(), envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        res.status = ExecResult::Status::SpawnFailed;
        res.code = rc;
        return res;
    }
    bool open = true, exited = false, killed = false;
    int wstatus = 0;
    char buf[4096];
    auto last_check = std::chrono::steady_clock::now();
    while (!exited || open) {
        if (open) {
            pollfd p{fds[0], POLLIN, 0};
            const int n = ::poll(&p, 1, exited ? 50 : 200);
            if (n > 0) {
                const ssize_t r = ::read(fds[0], buf, sizeof buf);
                if (r > 0)
                    keep_tail(res.output, buf, static_cast<std::size_t>(r), max_output);
                else if (r == 0 || (errno != EINTR && errno != EAGAIN))
                    open = false;
            } else if (n == 0 && exited) {
                open = false;  // a grandchild keeps the pipe: stop reading
            }
        } else {
            ::usleep(20000);
        }
        if (!exited) {
            const pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
            if (w == pid) exited = true;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!exited && !killed) {
            bool stop = false;
            if (now >= deadline) {
                res.status = ExecResult::Status::TimedOut;
                stop = true;
            } else if (now - last_check >= std::chrono::milliseconds(200)) {
                last_check = now;
                if (keep_going && !keep_going()) {
                    res.status = ExecResult::Status::Cancelled;
                    stop = true;
                }
            }
            if (stop) {
                ::kill(-pid, SIGKILL);
                ::kill(pid, SIGKILL);
                killed = true;
            }
        }
    }
    ::close(fds[0]);
    if (killed) {
        ::kill(-pid, SIGKILL);  // anything left of its group
        return res;
    }
    if (WIFEXITED(wstatus)) {
        res.status = ExecResult::Status::Exited;
        res.code = WEXITSTATUS(wstatus);
    } else {
        res.status = ExecResult::Status::Signaled;
        res.code = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : -1;
    }
    return res;
}

std::string describe(const ExecResult& r) {
    switch (r.status) {
        case ExecResult::Status::Exited: return "exit " + std::to_string(r.code);
        case ExecResult::Status::Signaled: return "signal " + std::to_string(r.code);
        case ExecResult::Status::TimedOut: return "time limit";
        case ExecResult::Status::Cancelled: return "cancelled";
        case ExecResult::Status::SpawnFailed: return "cannot start";
    }
    return "?";
}

}  // namespace telemed
