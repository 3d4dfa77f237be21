// Group commit (issue 17, "The controller's cost per operation"): callers
// that each have one item to write, arriving while a write is in flight, are
// written together by ONE call of the batch function: one statement, one
// transaction, one WAL flush for all of them instead of one each.
//
//   GroupCommit<Row, Session> g(16, [&](const std::vector<const Row*>& rows) {
//       ... one statement for all rows; one Result per row, in order ...
//   });
//   GroupCommit<Row, Session>::Result r = g.run(row);   // blocks
//
// How: run() queues its item. When no batch is in flight, the caller
// becomes the leader: it takes up to `max_batch` queued items (its own
// among them unless more than that were queued before it), runs the batch
// function on its own thread without the lock, hands every item its result
// and wakes the others; the oldest caller still queued leads the next batch
// (no other caller may take the lead while it is named). So
// a lone caller is written at once, as without batching, and under
// concurrency the items that arrive during one write share the next.
// One batch at a time: a caller waits for at most the batch in flight and
// its own.
//
// Deadlines (controller/deadline.hpp): the batch function runs under the
// earliest thread deadline of its callers (and the leader's own), so no
// caller waits on the database past its own budget because another
// thread's request leads its batch.
//
// The batch function decides what each item gets (Result): a value, an
// error to rethrow, or `alone` (the batch as a whole failed for a reason
// that may be one item's: the caller writes its item by itself). If it
// throws, every item of the batch gets that exception.
//
// Pure C++ (no libpq): unit-tested in tests/unit/test_controller_group_commit.cpp.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "controller/deadline.hpp"

namespace telemed::db {

template <class In, class Out>
class GroupCommit {
public:
    struct Result {
        std::optional<Out> value;
        std::exception_ptr error;  // rethrown by the caller
        bool alone = false;        // write this item by itself
    };
    using BatchFn = std::function<std::vector<Result>(const std::vector<const In*>&)>;

    GroupCommit(std::size_t max_batch, BatchFn batch) : max_batch_(max_batch < 1 ? 1 : max_batch), batch_(std::move(batch)) {}
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    Result run(const In& item) {
        Waiter w{&item, thread_deadline(), Result(), false};
        std::unique_lock<std::mutex> lk(mu_);
        queue_.push_back(&w);
        while (!w.done) {
            if (leading_ || (next_ != nullptr && next_ != &w)) {
                cv_.wait(lk);
                continue;
            }
            leading_ = true;
            next_ = nullptr;
            const std::size_t n = queue_.size() < max_batch_ ? queue_.size() : max_batch_;
            std::vector<Waiter*> mine(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
            queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
            ++batches_;
            items_ += n;
            lk.unlock();
            std::vector<const In*> items;
            items.reserve(n);
            std::optional<SteadyTime> earliest;
            for (Waiter* m : mine) {
                items.push_back(m->item);
                if (m->deadline && (!earliest || *m->deadline < *earliest)) earliest = m->deadline;
            }
            std::vector<Result> results;
            std::exception_ptr failed;
            try {
                std::optional<ScopedDeadline> bound;
                if (earliest) bound.emplace(*earliest);
                results = batch_(items);
                if (results.size() != n) throw std::logic_error("group commit: one result per item expected");
            } catch (...) {
                failed = std::current_exception();
            }
            lk.lock();
            for (std::size_t i = 0; i < n; ++i) {
                if (failed)
                    mine[i]->result.error = failed;
                else
                    mine[i]->result = std::move(results[i]);
                if (mine[i]->result.alone) ++alone_;
                mine[i]->done = true;
            }
            leading_ = false;
            next_ = queue_.empty() ? nullptr : queue_.front();
            cv_.notify_all();
        }
        return std::move(w.result);
    }

    struct Stats {
        uint64_t batches = 0;  // calls of the batch function
        uint64_t items = 0;    // items they wrote (or failed)
        uint64_t alone = 0;    // items sent back to be written alone
    };
    Stats stats() const {
        std::lock_guard<std::mutex> lk(mu_);
        return Stats{batches_, items_, alone_};
    }
    // Items queued and not taken by a batch yet.
    std::size_t waiting() const {
        std::lock_guard<std::mutex> lk(mu_);
        return queue_.size();
    }

private:
    struct Waiter {
        const In* item;
        std::optional<SteadyTime> deadline;  // the caller's thread deadline
        Result result;
        bool done;
    };
    const std::size_t max_batch_;
    const BatchFn batch_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Waiter*> queue_;
    bool leading_ = false;
    Waiter* next_ = nullptr;  // the caller named to lead the next batch (the oldest queued)
    uint64_t batches_ = 0;
    uint64_t items_ = 0;
    uint64_t alone_ = 0;
};

}  // namespace telemed::db
