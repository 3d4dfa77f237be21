// Chat messages in Postgres (sql/005_chat.sql; docs/DESIGN.md "The chat
// path", step 3). Every call runs in the caller's transaction or read.
// Message texts are bound parameters, never SQL text, and never logged.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/chat.hpp"

namespace telemed::db {

// Stores one batch of the plugin, in order, in the caller's transaction.
// The caller holds the session row lock (lock_session) and has checked the
// session is scheduled or active; `last_seq` is its chat_seq. Each message:
// INSERT ... ON CONFLICT (session_id, sender_id, client_id) DO NOTHING; a
// new row takes the next seq, a UUID id and now() (to the millisecond) and
// gets a `chat.message_sent` audit row (ids, seq, recipient count: never
// the text); a stored row with the same text and recipients answers
// duplicate: true, one that differs 4092. sessions.chat_seq is advanced
// once at the end. Returns one result per message.
std::vector<chat::ItemResult> store_chat_batch(PGconn* c, const chat::Batch& batch, int64_t last_seq);

// The session's chat_seq (under the caller's lock or read).
int64_t session_chat_seq(PGconn* c, const std::string& session_id);

// Messages with seq > since in seq order, at most `limit`; `viewer` set:
// only broadcasts and direct messages to or from that participant.
// next_since is set (the last item's seq) when more remain.
chat::HistoryPage list_chat(PGconn* c, const std::string& session_id, int64_t since, int limit,
                            const std::optional<std::string>& viewer);

}  // namespace telemed::db
