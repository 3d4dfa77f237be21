// A small multi-producer queue drained by the plugin's single worker thread.
// try_push is bounded (client messages: a flood is refused, not buffered);
// push is unbounded (effects of state changes, bounded by the state itself).
// Its mutex is a leaf: nothing else is locked while it is held.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace telemed::plugin {

template <class T>
class WorkQueue {
public:
    explicit WorkQueue(std::size_t bounded_limit) : limit_(bounded_limit) {}
    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;

    // false when closed or when `limit` items are already queued.
    bool try_push(T item) {
        {
            std::lock_guard lk(mu_);
            if (closed_ || items_.size() >= limit_) return false;
            items_.push_back(std::move(item));
        }
        cv_.notify_one();
        return true;
    }
    // false only when closed.
    bool push(T item) {
        {
            std::lock_guard lk(mu_);
            if (closed_) return false;
            items_.push_back(std::move(item));
        }
        cv_.notify_one();
        return true;
    }
    // Blocks for the next item; nullopt once closed (remaining items are dropped
    // with the queue).
    std::optional<T> pop_wait() {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return closed_ || !items_.empty(); });
        if (closed_) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }
    // Like pop_wait, but also returns (nullopt) after `timeout`, if given, or
    // once nudge() was called since the last return; *closed tells whether
    // the queue was closed.
    std::optional<T> pop_wait_for(std::optional<std::chrono::milliseconds> timeout, bool* closed) {
        std::unique_lock lk(mu_);
        auto ready = [&] { return closed_ || nudged_ || !items_.empty(); };
        if (timeout)
            cv_.wait_for(lk, *timeout, ready);
        else
            cv_.wait(lk, ready);
        nudged_ = false;
        *closed = closed_;
        if (closed_ || items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }
    // Wakes pop_wait_for without an item (it is not lost if nobody waits yet).
    void nudge() {
        {
            std::lock_guard lk(mu_);
            nudged_ = true;
        }
        cv_.notify_one();
    }
    std::optional<T> try_pop() {
        std::lock_guard lk(mu_);
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }
    void close() {
        {
            std::lock_guard lk(mu_);
            closed_ = true;
        }
        cv_.notify_all();
    }
    // Drops every queued item (outside the queue's lock).
    void clear() {
        std::deque<T> doomed;
        {
            std::lock_guard lk(mu_);
            doomed.swap(items_);
        }
    }
    bool closed() const {
        std::lock_guard lk(mu_);
        return closed_;
    }
    std::size_t size() const {
        std::lock_guard lk(mu_);
        return items_.size();
    }

private:
    const std::size_t limit_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<T> items_;
    bool closed_ = false;
    bool nudged_ = false;
};

}  // namespace telemed::plugin
