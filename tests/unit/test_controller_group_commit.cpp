// Unit tests for controller/db/group_commit.hpp (group commit of POST
// /sessions, issue 17): a lone caller is written at once in a batch of its
// own; callers arriving while a batch is in flight are written together by
// the next one, in arrival order, at most max_batch at a time; each caller
// gets its own item's result; `alone` and errors reach exactly the items of
// their batch.
//
// No timing: the batch function blocks on a gate the test opens, and the
// test waits for the queue to hold the callers it started (waiting()).
// Each scenario runs in a plain function returning plain values, asserted
// afterwards (a failing CMocka assertion must not jump past a live thread).
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "controller/db/group_commit.hpp"
#include "tests/unit/test_gate.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using Group = telemed::db::GroupCommit<int, int>;

namespace {

// Records every batch (its items, in order); the first batch waits for
// `first_gate`. Each item's value is item * 10.
struct Recorder {
    std::mutex mu;
    std::vector<std::vector<int>> batches;
    Gate first_gate;
    Gate first_entered;
    bool first = true;
    Group::BatchFn fn() {
        return [this](const std::vector<const int*>& items) {
            bool wait = false;
            {
                std::lock_guard<std::mutex> lk(mu);
                std::vector<int> b;
                for (const int* i : items) b.push_back(*i);
                batches.push_back(b);
                wait = first;
                first = false;
            }
            if (wait) {
                first_entered.open();
                first_gate.wait();
            }
            std::vector<Group::Result> out(items.size());
            for (std::size_t k = 0; k < items.size(); ++k) out[k].value = *items[k] * 10;
            return out;
        };
    }
};

void wait_for_waiting(const Group& g, std::size_t n) {
    while (g.waiting() < n) std::this_thread::yield();
}

struct Outcome {
    std::vector<std::vector<int>> batches;
    std::vector<int> values;  // per caller, in caller order (-1: none)
    Group::Stats stats;
};

// Caller 1 starts a batch that blocks; callers 2..n+1 queue behind it (in
// that order: each is started once the previous one is queued); then the
// gate opens.
Outcome blocked_first_then(std::size_t n, std::size_t max_batch) {
    Recorder rec;
    Group g(max_batch, rec.fn());
    std::vector<int> values(n + 1, -1);
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
        Group::Result r = g.run(1);
        values[0] = r.value ? *r.value : -1;
    });
    rec.first_entered.wait();
    for (std::size_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            Group::Result r = g.run(static_cast<int>(i) + 2);
            values[i + 1] = r.value ? *r.value : -1;
        });
        wait_for_waiting(g, i + 1);
    }
    rec.first_gate.open();
    for (std::thread& t : threads) t.join();
    return Outcome{rec.batches, values, g.stats()};
}

}  // namespace

static void test_lone_caller_is_written_at_once_alone(void** state) {
    (void)state;
    Recorder rec;
    rec.first = false;
    Group g(8, rec.fn());
    Group::Result a = g.run(7);
    Group::Result b = g.run(8);
    assert_true(a.value && *a.value == 70);
    assert_true(b.value && *b.value == 80);
    assert_int_equal(rec.batches.size(), 2);
    assert_int_equal(rec.batches[0].size(), 1);
    assert_int_equal(g.stats().batches, 2);
    assert_int_equal(g.stats().items, 2);
    assert_int_equal(g.waiting(), 0);
}

static void test_callers_during_a_batch_share_the_next(void** state) {
    (void)state;
    Outcome o = blocked_first_then(5, 32);
    assert_int_equal(o.batches.size(), 2);
    assert_true(o.batches[0] == std::vector<int>({1}));
    assert_true(o.batches[1] == std::vector<int>({2, 3, 4, 5, 6}));
    for (std::size_t i = 0; i < o.values.size(); ++i) assert_int_equal(o.values[i], (static_cast<int>(i) + 1) * 10);
    assert_int_equal(o.stats.batches, 2);
    assert_int_equal(o.stats.items, 6);
}

static void test_batches_hold_at_most_max_batch_in_arrival_order(void** state) {
    (void)state;
    Outcome o = blocked_first_then(5, 2);
    assert_int_equal(o.batches.size(), 4);
    assert_true(o.batches[0] == std::vector<int>({1}));
    assert_true(o.batches[1] == std::vector<int>({2, 3}));
    assert_true(o.batches[2] == std::vector<int>({4, 5}));
    assert_true(o.batches[3] == std::vector<int>({6}));
    for (std::size_t i = 0; i < o.values.size(); ++i) assert_int_equal(o.values[i], (static_cast<int>(i) + 1) * 10);
}

// The batch function's verdicts reach exactly the items of its batch: here
// the second batch (items 2..4) sends its items back (alone) and the third
// (item 5, after max_batch 3) throws.
static void test_alone_and_errors_reach_their_batch_only(void** state) {
    (void)state;
    Gate gate;
    Gate entered;
    int calls = 0;
    Group g(3, [&](const std::vector<const int*>& items) {
        const int call = ++calls;  // batches never overlap
        if (call == 1) {
            entered.open();
            gate.wait();
        }
        if (call == 3) throw std::runtime_error("down");
        std::vector<Group::Result> out(items.size());
        for (std::size_t k = 0; k < items.size(); ++k) {
            if (call == 2)
                out[k].alone = true;
            else
                out[k].value = *items[k];
        }
        return out;
    });
    std::vector<Group::Result> results(5);
    std::vector<std::thread> threads;
    threads.emplace_back([&] { results[0] = g.run(1); });
    entered.wait();
    for (int i = 1; i < 5; ++i) {
        threads.emplace_back([&, i] { results[i] = g.run(i + 1); });
        wait_for_waiting(g, static_cast<std::size_t>(i));
    }
    gate.open();
    for (std::thread& t : threads) t.join();
    assert_true(results[0].value && *results[0].value == 1 && !results[0].alone && !results[0].error);
    for (int i = 1; i < 4; ++i) assert_true(results[i].alone && !results[i].value && !results[i].error);
    assert_true(results[4].error && !results[4].value && !results[4].alone);
    bool rethrown = false;
    try {
        std::rethrow_exception(results[4].error);
    } catch (const std::runtime_error& e) {
        rethrown = std::string(e.what()) == "down";
    }
    assert_true(rethrown);
    assert_int_equal(g.stats().batches, 3);
    assert_int_equal(g.stats().items, 5);
    assert_int_equal(g.stats().alone, 3);
}

// The batch runs under the earliest deadline of its callers: caller 1 (no
// deadline) leads a blocked batch; callers with deadlines in 2 h and 1 h
// queue (in that order); the second batch is led by the oldest queued
// caller (the 2 h one) and must still see the 1 h deadline, the first none.
static void test_a_batch_runs_under_its_callers_earliest_deadline(void** state) {
    (void)state;
    using telemed::ScopedDeadline;
    using telemed::SteadyTime;
    Gate gate;
    Gate entered;
    std::vector<std::optional<SteadyTime>> seen;  // per batch; batches never overlap
    Group g(8, [&](const std::vector<const int*>& items) {
        seen.push_back(telemed::thread_deadline());
        if (seen.size() == 1) {
            entered.open();
            gate.wait();
        }
        std::vector<Group::Result> out(items.size());
        for (std::size_t k = 0; k < items.size(); ++k) out[k].value = *items[k];
        return out;
    });
    const SteadyTime now = std::chrono::steady_clock::now();
    const SteadyTime in1h = now + std::chrono::hours(1);
    const SteadyTime in2h = now + std::chrono::hours(2);
    std::vector<std::thread> threads;
    threads.emplace_back([&] { g.run(1); });
    entered.wait();
    threads.emplace_back([&] {
        ScopedDeadline d(in2h);
        g.run(2);
    });
    wait_for_waiting(g, 1);
    threads.emplace_back([&] {
        ScopedDeadline d(in1h);
        g.run(3);
    });
    wait_for_waiting(g, 2);
    gate.open();
    for (std::thread& t : threads) t.join();
    assert_int_equal(seen.size(), 2);
    assert_false(seen[0].has_value());
    assert_true(seen[1].has_value() && *seen[1] == in1h);
}

// A batch function that answers the wrong number of results is a bug: every
// item of that batch gets an error rather than a wrong or missing value.
static void test_wrong_result_count_is_an_error_for_the_batch(void** state) {
    (void)state;
    Group g(4, [](const std::vector<const int*>&) { return std::vector<Group::Result>(); });
    Group::Result r = g.run(1);
    assert_true(r.error && !r.value);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_caller_is_written_at_once_alone),
        cmocka_unit_test(test_callers_during_a_batch_share_the_next),
        cmocka_unit_test(test_batches_hold_at_most_max_batch_in_arrival_order),
        cmocka_unit_test(test_alone_and_errors_reach_their_batch_only),
        cmocka_unit_test(test_a_batch_runs_under_its_callers_earliest_deadline),
        cmocka_unit_test(test_wrong_result_count_is_an_error_for_the_batch),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
