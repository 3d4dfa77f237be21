// ChatStore: the plugin's side of "a chat message is acknowledged only after
// the controller committed it" (docs/DESIGN.md "The chat path", step 2).
//
// The worker (under PluginCore's state mutex) hands accepted messages to
// submit(); they wait in their room's FIFO (at most `queue_per_room`). One
// of the store threads takes up to chat::kMaxBatch of one room and sends
// them as one batch through the ChatBackend (the controller's
// POST /internal/v1/chat; blocking, no lock of the core held). A room has at
// most one batch in flight, so its messages are stored and answered in
// order. The outcome goes to `on_batch`, which queues it for the worker:
// events are then pushed by the worker, in order, never under a lock.
// History requests (chat_history) go the same way, on their own bounded
// FIFO, to `on_history`.
//
// ChatStore's mutex is a leaf: on_batch / on_history are called without it.
// With threads == 0 nothing runs by itself: pump() does the work on the
// calling thread (unit tests).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/chat.hpp"
#include "plugin/participant.hpp"

namespace telemed::plugin {

// The controller's internal chat API, seen from the plugin. Both calls block
// (a store thread waits) and must not throw; false means "failed, nothing
// known" (unreachable, timeout, non-2xx, malformed answer).
class ChatBackend {
public:
    virtual ~ChatBackend() = default;
    // POST /internal/v1/chat: one result per message, in order.
    virtual bool store(const chat::Batch& batch, std::vector<chat::ItemResult>* results) = 0;
    // GET /internal/v1/sessions/{id}/messages?participant=&since=&limit=
    virtual bool history(const std::string& session_id, const std::string& participant_id, int64_t since, int limit,
                         chat::HistoryPage* page) = 0;
};

// One accepted message waiting to be stored, and whom to tell.
struct PendingChat {
    std::string room_id;
    chat::Outgoing message;
    std::shared_ptr<Participant> from;       // gets the ack / error
    std::optional<std::string> transaction;  // of the chat request
    bool to_waiting = false;                 // a moderator's direct message may reach waiting members
};

struct ChatBatchDone {
    std::string room_id;
    std::vector<PendingChat> messages;
    bool failed = false;                   // every message gets 5030
    std::vector<chat::ItemResult> results;  // one per message when !failed
};

struct PendingHistory {
    std::string room_id;
    std::string participant_id;
    chat::ChatHistoryRequest request;
    std::shared_ptr<Participant> from;
    std::optional<std::string> transaction;
};

struct ChatHistoryDone {
    PendingHistory query;
    bool failed = false;
    chat::HistoryPage page;
};

class ChatStore {
public:
    inline static constexpr std::size_t kMaxPendingHistory = 256;

    ChatStore(ChatBackend& backend, std::size_t threads, std::size_t queue_per_room,
              std::function<void(ChatBatchDone)> on_batch, std::function<void(ChatHistoryDone)> on_history);
    ~ChatStore();  // stop()
    ChatStore(const ChatStore&) = delete;
    ChatStore& operator=(const ChatStore&) = delete;

    void start();
    // Stops and joins the threads (a batch in flight finishes or times out
    // first); queued work is dropped. Idempotent.
    void stop();

    // false: the room's FIFO is full, or stopped (the caller answers 5030).
    bool submit(PendingChat m);
    bool submit_history(PendingHistory q);

    // threads == 0 only: runs everything queued on the calling thread.
    // Returns the number of batches and history requests run.
    std::size_t pump();

    std::size_t queued(const std::string& room_id) const;
    // What the store holds (admin `stats`): rooms with queued or in-flight
    // messages, queued messages, queued history reads.
    struct Backlog {
        std::size_t rooms = 0, messages = 0, history = 0;
    };
    Backlog backlog() const;

private:
    struct RoomFifo {
        std::deque<PendingChat> items;
        bool in_flight = false;
    };
    // Takes the next piece of work (mu_ held): a history request or a room's
    // batch. false when there is none.
    bool take_locked(std::optional<PendingHistory>* h, std::string* room, std::vector<PendingChat>* batch);
    void run_history(PendingHistory q);
    void run_batch(const std::string& room, std::vector<PendingChat> batch);
    void thread_loop();

    ChatBackend& backend_;
    const std::size_t threads_;
    const std::size_t queue_per_room_;
    std::function<void(ChatBatchDone)> on_batch_;
    std::function<void(ChatHistoryDone)> on_history_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::string, RoomFifo> rooms_;
    std::deque<std::string> ready_;  // rooms with queued messages and no batch in flight
    std::deque<PendingHistory> history_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace telemed::plugin
