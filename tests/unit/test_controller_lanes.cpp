// Unit tests for controller/http/lanes.cpp (the bulkheads of issue 11): a
// lane accepts as many jobs as it has workers plus queue slots and refuses
// the next one at once (the server answers 503); jobs run in FIFO order; a
// job waiting beyond max_wait is finished unrun (Expired); stop() finishes
// the waiting jobs (Stopped) and refuses new ones; routes carry their lane.
//
// No timing: the pools run on a test clock (no reaper thread; the test calls
// expire_due()), and jobs block on gates the test opens. Each scenario runs
// in a plain function returning plain values, asserted afterwards (a
// failing CMocka assertion must not jump past a live thread).
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "controller/http/lanes.hpp"
#include "controller/http/router.hpp"
#include "tests/unit/test_gate.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::Lane;
using telemed::LanePool;

namespace {

// A test clock that only moves when told.
struct FakeClock {
    LanePool::Clock::time_point t{std::chrono::hours(1)};
    std::function<LanePool::Clock::time_point()> fn() {
        return [this] { return t; };
    }
};

// Records outcomes ("A:run", "B:expired", ...) and lets the test wait for n.
class Log {
public:
    void add(const std::string& s) {
        std::lock_guard<std::mutex> lk(mu_);
        items_.push_back(s);
        cv_.notify_all();
    }
    std::vector<std::string> wait_for(std::size_t n) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return items_.size() >= n; });
        return items_;
    }
private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> items_;
};

const char* name_of(LanePool::Outcome o) {
    switch (o) {
        case LanePool::Outcome::Run: return "run";
        case LanePool::Outcome::Expired: return "expired";
        case LanePool::Outcome::Stopped: return "stopped";
    }
    return "?";
}

LanePool::Job recording(Log& log, std::string id, Gate* gate = nullptr, Gate* started = nullptr) {
    return [&log, id, gate, started](LanePool::Outcome o) {
        if (o == LanePool::Outcome::Run) {
            if (started) started->open();
            if (gate) gate->wait();
        }
        log.add(id + ":" + name_of(o));
    };
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

struct Result {
    std::string submits;   // one letter per submit: a(ccepted) f(ull) s(topped)
    std::string outcomes;  // the Log, in order
    uint64_t rejected = 0;
    uint64_t expired = 0;
    std::size_t expired_now = 0;
    bool started = false;
};

bool start_ok(LanePool& pool) {
    std::string error;
    return pool.start(&error) && error.empty();
}

char letter(LanePool::Submit s) {
    return s == LanePool::Submit::Accepted ? 'a' : s == LanePool::Submit::Full ? 'f' : 's';
}

// 1 worker, 2 queue slots: A runs (blocked), B and C wait, D is refused.
Result full_queue_refuses() {
    FakeClock clock;
    Gate gate;
    Log log;
    Result r;
    {
        LanePool pool("db", 1, 2, std::chrono::seconds(10), clock.fn());
        r.started = start_ok(pool);
        for (const char* id : {"A", "B", "C", "D"}) r.submits += letter(pool.submit(recording(log, id, &gate)));
        r.rejected = pool.stats().rejected;
        gate.open();
        r.outcomes = joined(log.wait_for(3));
    }
    return r;
}

void test_full_queue_refuses_at_once(void**) {
    Result r = full_queue_refuses();
    assert_true(r.started);
    assert_string_equal(r.submits.c_str(), "aaaf");
    assert_int_equal(r.rejected, 1);
    assert_string_equal(r.outcomes.c_str(), "A:run,B:run,C:run");  // FIFO, all run
}

// Queue 0: only as many jobs as workers.
Result no_queue() {
    FakeClock clock;
    Gate gate;
    Log log;
    Result r;
    {
        LanePool pool("janus", 2, 0, std::chrono::seconds(10), clock.fn());
        r.started = start_ok(pool);
        for (const char* id : {"A", "B", "C"}) r.submits += letter(pool.submit(recording(log, id, &gate)));
        gate.open();
        r.outcomes = joined(log.wait_for(2));
    }
    return r;
}

void test_queue_zero_takes_only_free_workers(void**) {
    Result r = no_queue();
    assert_true(r.started);
    assert_string_equal(r.submits.c_str(), "aaf");
    assert_true(r.outcomes == "A:run,B:run" || r.outcomes == "B:run,A:run");
}

// A job waiting max_wait is finished unrun; a younger one stays queued.
Result waiting_too_long_expires() {
    FakeClock clock;
    Gate gate, started;
    Log log;
    Result r;
    {
        LanePool pool("db", 1, 4, std::chrono::milliseconds(100), clock.fn());
        r.started = start_ok(pool);
        r.submits += letter(pool.submit(recording(log, "A", &gate, &started)));
        started.wait();  // A holds the only worker
        r.submits += letter(pool.submit(recording(log, "B")));
        clock.t += std::chrono::milliseconds(50);
        r.submits += letter(pool.submit(recording(log, "C")));
        clock.t += std::chrono::milliseconds(49);
        r.expired_now = pool.expire_due();             // B has 1 ms left
        clock.t += std::chrono::milliseconds(1);
        r.expired_now = r.expired_now * 10 + pool.expire_due();  // B now
        log.wait_for(1);
        clock.t += std::chrono::milliseconds(50);
        r.expired_now = r.expired_now * 10 + pool.expire_due();  // C now
        log.wait_for(2);
        r.expired = pool.stats().expired;
        gate.open();
        r.outcomes = joined(log.wait_for(3));
    }
    return r;
}

void test_waiting_beyond_max_wait_expires(void**) {
    Result r = waiting_too_long_expires();
    assert_true(r.started);
    assert_string_equal(r.submits.c_str(), "aaa");
    assert_int_equal(r.expired_now, 11);  // 0, then 1 (B), then 1 (C)
    assert_int_equal(r.expired, 2);
    assert_string_equal(r.outcomes.c_str(), "B:expired,C:expired,A:run");
}

// stop(): waiting jobs are finished Stopped, the running one completes,
// later submits are refused.
Result stop_drains() {
    FakeClock clock;
    Gate gate, started;
    Log log;
    Result r;
    {
        LanePool pool("janus", 1, 4, std::chrono::seconds(10), clock.fn());
        r.started = start_ok(pool);
        r.submits += letter(pool.submit(recording(log, "A", &gate, &started)));
        started.wait();
        r.submits += letter(pool.submit(recording(log, "B")));
        std::thread stopper([&pool] { pool.stop(); });
        log.wait_for(1);  // B stopped while A still runs
        r.submits += letter(pool.submit(recording(log, "C")));
        gate.open();
        stopper.join();
        r.outcomes = joined(log.wait_for(2));
    }
    return r;
}

void test_stop_finishes_waiting_jobs_and_refuses_new(void**) {
    Result r = stop_drains();
    assert_true(r.started);
    assert_string_equal(r.submits.c_str(), "aas");
    assert_string_equal(r.outcomes.c_str(), "B:stopped,A:run");
}

// Before start(): refused (nothing would run it), and nothing runs later.
Result submit_before_start() {
    FakeClock clock;
    Log log;
    Result r;
    {
        LanePool pool("db", 1, 4, std::chrono::seconds(10), clock.fn());
        r.submits += letter(pool.submit(recording(log, "A")));
        r.started = start_ok(pool);
        r.submits += letter(pool.submit(recording(log, "B")));
        r.outcomes = joined(log.wait_for(1));
    }
    return r;
}

void test_submit_before_start_is_refused(void**) {
    Result r = submit_before_start();
    assert_true(r.started);
    assert_string_equal(r.submits.c_str(), "sa");
    assert_string_equal(r.outcomes.c_str(), "B:run");
}

// The second thread cannot be created (as std::thread does on EAGAIN):
// start() fails with an error naming the lane, joins the thread it made,
// and the pool refuses every job (none is left queued forever).
struct StartFailure {
    bool started = true;
    std::string error;
    int threads_made = 0;
    std::string submits;
    bool restarted = true;
};

StartFailure start_failure() {
    StartFailure r;
    Log log;
    int made = 0;
    auto spawn = [&made](std::function<void()> fn) -> std::thread {
        if (made == 1) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
        ++made;
        return std::thread(std::move(fn));
    };
    {
        LanePool pool("janus", 3, 4, std::chrono::seconds(10), {}, spawn);
        r.started = pool.start(&r.error);
        r.submits += letter(pool.submit(recording(log, "A")));
        std::string again;
        r.restarted = pool.start(&again);
        r.submits += letter(pool.submit(recording(log, "B")));
    }  // the destructor must not hang
    r.threads_made = made;
    return r;
}

void test_start_failure_is_reported_and_refuses_jobs(void**) {
    StartFailure r = start_failure();
    assert_false(r.started);
    assert_int_equal(r.threads_made, 1);
    assert_non_null(strstr(r.error.c_str(), "lane janus"));
    assert_string_equal(r.submits.c_str(), "ss");
    assert_false(r.restarted);
}

// A pool on a test clock has no reaper thread (a reaper would expire jobs
// behind the test's back, racing its expire_due() calls and reading the
// clock unsynchronised); a pool on the real clock has one.
int threads_started(bool test_clock) {
    FakeClock clock;
    int made = 0;
    auto spawn = [&made](std::function<void()> fn) -> std::thread {
        ++made;
        return std::thread(std::move(fn));
    };
    {
        LanePool pool("db", 2, 4, std::chrono::seconds(10),
                      test_clock ? clock.fn() : std::function<LanePool::Clock::time_point()>{}, spawn);
        if (!start_ok(pool)) return -1;
    }
    return made;
}

void test_reaper_only_on_the_real_clock(void**) {
    assert_int_equal(threads_started(true), 2);   // the two workers
    assert_int_equal(threads_started(false), 3);  // and the reaper
}

std::string lanes_of_routes() {
    telemed::Router router;
    auto h = [](const telemed::Request&, telemed::AppContext&) { return telemed::Response::no_content(); };
    router.add("GET", "/healthz", false, Lane::Inline, h);
    router.add("POST", "/sessions/{id}/start", true, Lane::Janus, h);
    router.add("GET", "/sessions", true, h);  // no lane given: Db, never the event thread
    std::string out;
    for (const telemed::Route& r : router.routes()) out += std::string(telemed::to_string(r.lane)) + ",";
    return out;
}

void test_routes_carry_their_lane(void**) {
    assert_string_equal(lanes_of_routes().c_str(), "inline,janus,db,");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_queue_refuses_at_once),
        cmocka_unit_test(test_queue_zero_takes_only_free_workers),
        cmocka_unit_test(test_waiting_beyond_max_wait_expires),
        cmocka_unit_test(test_stop_finishes_waiting_jobs_and_refuses_new),
        cmocka_unit_test(test_submit_before_start_is_refused),
        cmocka_unit_test(test_start_failure_is_reported_and_refuses_jobs),
        cmocka_unit_test(test_reaper_only_on_the_real_clock),
        cmocka_unit_test(test_routes_carry_their_lane),
    };
    return cmocka_run_group_tests_name("controller_lanes", tests, nullptr, nullptr);
}
