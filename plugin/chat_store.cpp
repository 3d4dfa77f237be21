// The chat store threads (plugin/chat_store.hpp).
#include "plugin/chat_store.hpp"

#include <utility>

namespace telemed::plugin {

ChatStore::ChatStore(ChatBackend& backend, std::size_t threads, std::size_t queue_per_room,
                     std::function<void(ChatBatchDone)> on_batch, std::function<void(ChatHistoryDone)> on_history)
    : backend_(backend),
      threads_(threads),
      queue_per_room_(queue_per_room),
      on_batch_(std::move(on_batch)),
      on_history_(std::move(on_history)) {}

ChatStore::~ChatStore() { stop(); }

void ChatStore::start() {
    std::lock_guard lk(mu_);
    if (!workers_.empty() || stopping_) return;
    for (std::size_t i = 0; i < threads_; ++i) workers_.emplace_back([this] { thread_loop(); });
}

void ChatStore::stop() {
    std::vector<std::thread> doomed;
    std::map<std::string, RoomFifo> rooms;
    std::deque<PendingHistory> history;
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
        doomed.swap(workers_);
    }
    cv_.notify_all();
    for (std::thread& t : doomed)
        if (t.joinable()) t.join();
    {
        std::lock_guard lk(mu_);
        rooms.swap(rooms_);
        history.swap(history_);
        ready_.clear();
    }
    // Participants held by dropped work are released here, outside mu_.
}

bool ChatStore::submit(PendingChat m) {
    {
        std::lock_guard lk(mu_);
        if (stopping_) return false;
        RoomFifo& fifo = rooms_[m.room_id];
        if (fifo.items.size() >= queue_per_room_) {
            if (fifo.items.empty() && !fifo.in_flight) rooms_.erase(m.room_id);
            return false;
        }
        const bool was_idle = fifo.items.empty() && !fifo.in_flight;
        std::string room = m.room_id;
        fifo.items.push_back(std::move(m));
        if (was_idle) ready_.push_back(std::move(room));
    }
    cv_.notify_one();
    return true;
}

bool ChatStore::submit_history(PendingHistory q) {
    {
        std::lock_guard lk(mu_);
        if (stopping_ || history_.size() >= kMaxPendingHistory) return false;
        history_.push_back(std::move(q));
    }
    cv_.notify_one();
    return true;
}

std::size_t ChatStore::queued(const std::string& room_id) const {
    std::lock_guard lk(mu_);
    auto it = rooms_.find(room_id);
    return it == rooms_.end() ? 0 : it->second.items.size();
}

ChatStore::Backlog ChatStore::backlog() const {
    std::lock_guard lk(mu_);
    Backlog b;
    b.rooms = rooms_.size();
    for (const auto& [room, fifo] : rooms_) b.messages += fifo.items.size();
    b.history = history_.size();
    return b;
}

bool ChatStore::take_locked(std::optional<PendingHistory>* h, std::string* room, std::vector<PendingChat>* batch) {
    // Messages first: a history read never delays an ack for long, but acks
    // are what senders wait on.
    if (!ready_.empty()) {
        *room = std::move(ready_.front());
        ready_.pop_front();
        RoomFifo& fifo = rooms_[*room];
        fifo.in_flight = true;
        std::size_t bytes = 0;
        while (!fifo.items.empty() && batch->size() < chat::kMaxBatch) {
            const PendingChat& next = fifo.items.front();
            bytes += chat::serialised_bound(next.message.text, next.message.to.size());
            if (!batch->empty() && bytes > chat::kMaxBatchBytes) break;
            batch->push_back(std::move(fifo.items.front()));
            fifo.items.pop_front();
        }
        return true;
    }
    if (!history_.empty()) {
        h->emplace(std::move(history_.front()));
        history_.pop_front();
        return true;
    }
    return false;
}

void ChatStore::run_history(PendingHistory q) {
    ChatHistoryDone done;
    done.failed = !backend_.history(q.room_id, q.participant_id, q.request.since, q.request.limit, &done.page);
    done.query = std::move(q);
    on_history_(std::move(done));
}

void ChatStore::run_batch(const std::string& room, std::vector<PendingChat> batch) {
    chat::Batch b;
    b.session_id = room;
    b.messages.reserve(batch.size());
    for (const PendingChat& m : batch) b.messages.push_back(m.message);
    ChatBatchDone done;
    done.room_id = room;
    try {
        done.failed = !backend_.store(b, &done.results) || done.results.size() != batch.size();
    } catch (...) {
        done.failed = true;
    }
    if (done.failed) done.results.clear();
    done.messages = std::move(batch);
    // Handed to the worker before the room may send its next batch: the
    // worker sees the room's outcomes in order. Whatever happens, the room
    // is released below.
    try {
        on_batch_(std::move(done));
    } catch (...) {
    }
    bool more = false;
    {
        std::lock_guard lk(mu_);
        auto it = rooms_.find(room);
        if (it != rooms_.end()) {
            it->second.in_flight = false;
            if (it->second.items.empty()) {
                rooms_.erase(it);
            } else if (!stopping_) {
                ready_.push_back(room);
                more = true;
            }
        }
    }
    if (more) cv_.notify_one();
}

void ChatStore::thread_loop() {
    while (true) {
        std::optional<PendingHistory> h;
        std::string room;
        std::vector<PendingChat> batch;
        {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [&] { return stopping_ || !ready_.empty() || !history_.empty(); });
            if (stopping_) return;
            take_locked(&h, &room, &batch);
        }
        try {
            if (h)
                run_history(std::move(*h));
            else if (!batch.empty())
                run_batch(room, std::move(batch));
        } catch (...) {
            // on_batch / on_history only queue; a failure there (allocation)
            // loses that answer, never the thread.
        }
    }
}

std::size_t ChatStore::pump() {
    std::size_t n = 0;
    while (true) {
        std::optional<PendingHistory> h;
        std::string room;
        std::vector<PendingChat> batch;
        {
            std::lock_guard lk(mu_);
            if (!take_locked(&h, &room, &batch)) return n;
        }
        if (h)
            run_history(std::move(*h));
        else
            run_batch(room, std::move(batch));
        ++n;
    }
}

}  // namespace telemed::plugin
