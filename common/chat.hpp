// Chat: the pure pieces shared by janus.plugin.telemed and the controller
// (docs/DESIGN.md "The chat path", docs/PROTOCOL.md "Chat").
//
//  - the client requests `chat` and `chat_history`, parsed once, at the
//    edge (4003 for every value problem; texts never echo input);
//  - the text rule: valid UTF-8, 1..4000 code points, no control character
//    but "\n" and "\t" (no C0, DEL, C1);
//  - the internal batch the plugin posts to the controller
//    (POST /internal/v1/chat) and its answer, both directions;
//  - the message view (the `message` of a `chat` event, an item of
//    `chat_history` and of GET /sessions/{id}/messages);
//  - the per-participant token bucket.
//
// No Janus, libmicrohttpd, libpq or curl header: unit-tested and fuzzed.
// Nothing here logs; nothing here puts a text into an error message.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/plugin_errors.hpp"

namespace telemed::chat {

// Limits (docs/PROTOCOL.md "Limits").
inline constexpr std::size_t kMaxTextChars = 4000;     // code points
inline constexpr std::size_t kMaxTextBytes = 4 * kMaxTextChars;
inline constexpr std::size_t kMaxRecipients = 50;
inline constexpr std::size_t kMaxClientIdChars = 64;
inline constexpr int kDefaultHistoryLimit = 100;
inline constexpr int kMaxHistoryLimit = 500;
inline constexpr std::size_t kMaxBatch = 64;            // messages per POST /internal/v1/chat
// ...and a batch's body stays under the controller's default max_body_bytes
// (64 KiB): a message counts at most this much serialised.
inline constexpr std::size_t kMaxBatchBytes = 56 * 1024;
inline std::size_t serialised_bound(const std::string& text, std::size_t recipients) {
    return 2 * text.size() + 40 * recipients + 160;  // every byte escaped, 36-char ids + quotes
}
// A chat body may be larger than other requests' 8 KiB: 4000 code points
// of up to 4 bytes, 50 recipients, JSON escapes of newlines and tabs.
inline constexpr std::size_t kMaxChatBodyBytes = 32768;

// What is wrong with a text; nullptr when it is acceptable. The message is
// our own words (never quotes the input).
const char* check_text(std::string_view text);

// client_id: 1..64 of [A-Za-z0-9._:-].
bool valid_client_id(std::string_view id);

// {"request":"chat","text":"...","to":["<pid>",...]?,"client_id":"..."?}
struct ChatRequest {
    std::string text;
    std::vector<std::string> to;  // lower-case UUIDs, distinct; empty = broadcast
    bool direct = false;          // `to` was given
    std::string client_id;        // empty: none given (the plugin picks one)
};
// {"request":"chat_history","since":N?,"limit":N?}
struct ChatHistoryRequest {
    int64_t since = 0;  // messages with seq > since
    int limit = kDefaultHistoryLimit;
};

// `body` is a request object whose "request" is "chat" / "chat_history"
// (the caller dispatched on it; the body size was checked against
// kMaxChatBodyBytes). Unknown fields, wrong types and bad values: 4003.
Parsed<ChatRequest> parse_chat(const json_t* body);
Parsed<ChatHistoryRequest> parse_chat_history(const json_t* body);

// ---- one stored message ----
struct Message {
    std::string id;          // UUID
    int64_t seq = 0;         // per session, from 1
    std::string sender;      // participant id
    std::vector<std::string> to;  // empty: broadcast
    std::string text;
    std::string created_at;  // RFC 3339 UTC with milliseconds
};
// {"id","seq","sender","to":[...],"text","created_at"}
Json message_json(const Message& m);
// The reverse (an item of the controller's history answer). nullopt when a
// field is missing or malformed.
std::optional<Message> parse_message(const json_t* j);

// ---- POST /internal/v1/chat (plugin -> controller) ----
// {"session_id":"<uuid>","messages":[{"client_id","sender","to":[...],"text"}]}
struct Outgoing {
    std::string client_id;
    std::string sender;
    std::vector<std::string> to;  // empty: broadcast
    std::string text;
};
struct Batch {
    std::string session_id;
    std::vector<Outgoing> messages;  // 1..kMaxBatch
};
Json batch_json(const Batch& b);
// The controller's parser: every value checked again (the plugin is trusted
// but not blindly). nullopt (and *error, our words) when anything is off.
std::optional<Batch> parse_batch(const json_t* body, std::string* error);

// One answer per message, in batch order:
//  {"client_id","id","seq","created_at","duplicate"} or
//  {"client_id","error_code","error"}
struct ItemResult {
    std::string client_id;
    int error_code = 0;  // 0: stored (or found stored: duplicate)
    std::string error;
    std::string id;
    int64_t seq = 0;
    std::string created_at;
    bool duplicate = false;
    bool ok() const { return error_code == 0; }
};
Json results_json(const std::vector<ItemResult>& results);
// The plugin's parser: exactly `expected` results whose client_ids match
// the batch's in order, else nullopt (the whole batch then failed).
std::optional<std::vector<ItemResult>> parse_results(const json_t* body, const std::vector<Outgoing>& sent);

// ---- GET /internal/v1/sessions/{id}/messages (controller -> plugin) ----
// {"items":[Message...],"next_since":N|null}
struct HistoryPage {
    std::vector<Message> items;
    std::optional<int64_t> next_since;
};
Json history_json(const HistoryPage& page);
std::optional<HistoryPage> parse_history(const json_t* body);

// ---- rate limit ----
// Token bucket: `rate` tokens per second up to `burst`; starts full.
class TokenBucket {
public:
    // Takes a token at `now_us` (monotonic). false: none left, and
    // *retry_after_ms is when the next one comes (at least 1).
    bool take(int64_t now_us, double rate_per_s, double burst, int64_t* retry_after_ms);

private:
    double tokens_ = -1;  // < 0: not started (full)
    int64_t last_us_ = 0;
};

}  // namespace telemed::chat
