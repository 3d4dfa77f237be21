// Chat on the worker (docs/DESIGN.md "The chat path", steps 1 and 4;
// docs/PROTOCOL.md "Chat").
//
//   {"request":"chat","text","to"?,"client_id"?}
//       checked live under mu_: joined (4031), admitted (4032), the session
//       is live (4040), `chat` held — or, for a direct message to waiting
//       members, `moderate` (4043), every `to` a current member (4041; not
//       oneself: 4046), a token in the sender's bucket (4290 +
//       retry_after_ms). Then queued to the ChatStore (full: 5030 +
//       retryable). Answered later, from the stored outcome:
//       {"telemed":"chat_sent","client_id","id","seq","created_at","duplicate"}
//       on the request's transaction, and {"telemed":"chat","message":{...}}
//       to the recipients in the room then (a duplicate only if this room
//       never delivered it: its first answer was lost). A failed
//       batch: 5030 (retryable) and no delivery; a refused item (4092
//       client_id reused, 4040 session closed): that error.
//   {"request":"chat_history","since"?,"limit"?}
//       any joined participant (waiting ones too; one token of its chat
//       bucket, 4290 beyond): read from the controller
//       with its visibility rule (broadcasts, and direct messages to or from
//       the participant): {"telemed":"chat_history","items","next_since"}.
//
// Nothing of a message's text is ever logged here: ids, counts and codes only.
#include <optional>
#include <utility>

#include "common/ids.hpp"
#include "plugin/plugin_core.hpp"

namespace telemed::plugin {
namespace {

Json chat_unavailable_event() {
    Json ev = error_event(Failure::of(ErrorCode::ChatUnavailable));
    json_object_set_new(ev.get(), "retryable", json_true());
    return ev;
}

Json chat_sent_event(const chat::ItemResult& r) {
    Json ev = telemed_object("chat_sent");
    json_object_set_new(ev.get(), "client_id", json_str(r.client_id));
    json_object_set_new(ev.get(), "id", json_str(r.id));
    json_object_set_new(ev.get(), "seq", json_integer(r.seq));
    json_object_set_new(ev.get(), "created_at", json_str(r.created_at));
    json_object_set_new(ev.get(), "duplicate", json_boolean(r.duplicate));
    return ev;
}

// Takes a token of `bucket`; when none is left, the 4290 event to answer.
std::optional<Json> rate_refusal(chat::TokenBucket& bucket, int64_t now_us, const PluginConfig& config) {
    int64_t retry_after_ms = 0;
    if (bucket.take(now_us, static_cast<double>(config.chat_rate_per_s), static_cast<double>(config.chat_burst),
                    &retry_after_ms))
        return std::nullopt;
    Json ev = error_event(Failure::of(ErrorCode::RateLimited));
    json_object_set_new(ev.get(), "retry_after_ms", json_integer(retry_after_ms));
    return ev;
}

}  // namespace

void PluginCore::attach_chat_backend(ChatBackend& backend, std::size_t threads) {
    chat_store_ = std::make_unique<ChatStore>(
        backend, threads, config_.chat_queue_per_room,
        [this](ChatBatchDone done) { queue_.push(ChatStored{std::move(done)}); },
        [this](ChatHistoryDone done) { queue_.push(ChatHistoryAnswered{std::move(done)}); });
    chat_store_->start();
}

std::size_t PluginCore::pump_chat() { return chat_store_ ? chat_store_->pump() : 0; }

void PluginCore::chat_send(const std::shared_ptr<Participant>& p, ChatRequest& req,
                           const std::optional<std::string>& txn) {
    if (!p->identity()) return reply_error(p, txn, Failure::of(ErrorCode::NotJoined));
    if (!p->admitted()) return reply_error(p, txn, Failure::of(ErrorCode::NotAdmitted));
    const std::string sid = p->identity()->room_id;
    const std::string pid = p->identity()->participant_id;
    Room* room = find_room(sid);
    if (!room) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchRoom));

    // Live permissions: set_permissions (a PATCH) changes granted() at once.
    const PermissionSet granted = p->granted();
    const bool may_chat = has(granted, Permission::Chat);
    const bool moderates = has(granted, Permission::Moderate);
    if (!may_chat && !(req.direct && moderates)) return reply_error(p, txn, Failure::of(ErrorCode::PermissionDenied));
    bool to_waiting = false, to_admitted = !req.direct;
    for (const std::string& to : req.to) {
        if (to == pid) return reply_error(p, txn, Failure::of(ErrorCode::CannotTargetSelf));
        std::shared_ptr<Participant> member = room->member(to);
        if (!member) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchParticipant));
        (member->admitted() ? to_admitted : to_waiting) = true;
    }
    // Waiting members are reached only by a moderator's direct message.
    if ((to_waiting && !moderates) || (to_admitted && !may_chat))
        return reply_error(p, txn, Failure::of(ErrorCode::PermissionDenied));

    if (std::optional<Json> refused = rate_refusal(room->chat_bucket(pid), host_.now_monotonic_us(), config_))
        return push_locked(p, txn, std::move(*refused));

    // No client_id given: one of ours ("srv-<uuid>", returned in the ack),
    // unique, so the message is stored once but cannot be retried safely.
    if (req.client_id.empty()) req.client_id = "srv-" + new_uuid_v4();

    PendingChat pending;
    pending.room_id = sid;
    pending.message.client_id = std::move(req.client_id);
    pending.message.sender = pid;
    pending.message.to = std::move(req.to);
    pending.message.text = std::move(req.text);
    pending.from = p;
    pending.transaction = txn;
    pending.to_waiting = to_waiting;
    if (!chat_store_ || !chat_store_->submit(std::move(pending))) {
        log(LogLevel::Verbose, "chat: room " + sid + " store unavailable or queue full (5030)");
        return push_locked(p, txn, chat_unavailable_event());
    }
}

void PluginCore::chat_history(const std::shared_ptr<Participant>& p, const ChatHistoryRequest& req,
                              const std::optional<std::string>& txn) {
    if (!p->identity()) return reply_error(p, txn, Failure::of(ErrorCode::NotJoined));
    Room* room = find_room(p->identity()->room_id);
    if (!room) return reply_error(p, txn, Failure::of(ErrorCode::NoSuchRoom));
    // A history read costs a token of the same bucket: a loop of reads
    // cannot occupy the store threads.
    if (std::optional<Json> refused =
            rate_refusal(room->chat_bucket(p->identity()->participant_id), host_.now_monotonic_us(), config_))
        return push_locked(p, txn, std::move(*refused));
    PendingHistory q;
    q.room_id = p->identity()->room_id;
    q.participant_id = p->identity()->participant_id;
    q.request = req;
    q.from = p;
    q.transaction = txn;
    if (!chat_store_ || !chat_store_->submit_history(std::move(q))) push_locked(p, txn, chat_unavailable_event());
}

void PluginCore::chat_stored(ChatBatchDone& done) {
    std::size_t delivered = 0, failed = 0;
    {
        std::lock_guard lk(mu_);
        Room* room = find_room(done.room_id);
        for (std::size_t i = 0; i < done.messages.size(); ++i) {
            PendingChat& m = done.messages[i];
            if (done.failed) {
                ++failed;
                push_locked(m.from, m.transaction, chat_unavailable_event());
                continue;
            }
            const chat::ItemResult& r = done.results[i];
            if (!r.ok()) {
                ++failed;
                const int code = r.error_code;
                const auto known = static_cast<ErrorCode>(code);
                push_locked(m.from, m.transaction,
                            error_event(Failure::of(known, default_error_text(known))));
                continue;
            }
            // A duplicate is delivered only if this room never delivered it
            // (its first answer was lost after the commit).
            if (room && room->remember_delivered(r.id)) {
                chat::Message msg;
                msg.id = r.id;
                msg.seq = r.seq;
                msg.sender = m.message.sender;
                msg.to = m.message.to;
                msg.text = std::move(m.message.text);
                msg.created_at = r.created_at;
                Json ev = telemed_object("chat");
                json_object_set_new(ev.get(), "message", chat::message_json(msg).release());
                if (m.message.to.empty()) {
                    for (const auto& [mid, member] : room->members())
                        if (mid != msg.sender && member->admitted()) push_locked(member, std::nullopt, json_borrow(ev.get()));
                } else {
                    for (const std::string& to : m.message.to) {
                        std::shared_ptr<Participant> member = room->member(to);
                        if (member && (member->admitted() || m.to_waiting))
                            push_locked(member, std::nullopt, json_borrow(ev.get()));
                    }
                }
                ++delivered;
            }
            push_locked(m.from, m.transaction, chat_sent_event(r));
        }
        // Participants referenced by `done` are released by the caller's
        // task, after mu_.
    }
    if (failed > 0)
        log(LogLevel::Verbose, "chat: room " + done.room_id + " batch of " + std::to_string(done.messages.size()) +
                                   ", " + std::to_string(failed) + " not stored" +
                                   (done.failed ? " (store unreachable)" : ""));
    (void)delivered;
}

void PluginCore::chat_history_answered(ChatHistoryDone& done) {
    std::lock_guard lk(mu_);
    const PendingHistory& q = done.query;
    // Answered only to the same participant of the same room.
    const auto& id = q.from->identity();
    if (!id || id->room_id != q.room_id || id->participant_id != q.participant_id) return;
    if (done.failed) return push_locked(q.from, q.transaction, chat_unavailable_event());
    Json ev = telemed_object("chat_history");
    Json page = chat::history_json(done.page);
    json_object_set(ev.get(), "items", json_object_get(page.get(), "items"));
    json_object_set(ev.get(), "next_since", json_object_get(page.get(), "next_since"));
    push_locked(q.from, q.transaction, std::move(ev));
}

}  // namespace telemed::plugin
