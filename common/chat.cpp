// Chat requests, the text rule, the internal batch codec and the token
// bucket (common/chat.hpp).
#include "common/chat.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/ids.hpp"
#include "common/plugin_params.hpp"
#include "common/utf8.hpp"

namespace telemed::chat {
namespace {

bool is_uuid_list(const json_t* arr, std::size_t max, bool allow_empty, std::vector<std::string>* out) {
    if (!json_is_array(arr)) return false;
    const std::size_t n = json_array_size(arr);
    if (n > max || (n == 0 && !allow_empty)) return false;
    out->clear();
    out->reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const json_t* v = json_array_get(arr, i);
        if (!json_is_string(v)) return false;
        std::string_view s(json_string_value(v), json_string_length(v));
        if (!is_uuid(s)) return false;
        std::string id = normalize_uuid(s);
        if (std::find(out->begin(), out->end(), id) != out->end()) return false;
        out->push_back(std::move(id));
    }
    return true;
}

Json string_array(const std::vector<std::string>& v) {
    Json a(json_array());
    for (const std::string& s : v) json_array_append_new(a.get(), json_str(s));
    return a;
}

std::optional<std::string> get_string(const json_t* obj, const char* key, std::size_t max_bytes) {
    const json_t* v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) > max_bytes) return std::nullopt;
    return std::string(json_string_value(v), json_string_length(v));
}

// RFC 3339 UTC with milliseconds, as the controller writes it:
// YYYY-MM-DDTHH:MM:SS.mmmZ.
bool is_created_at(std::string_view s) {
    static constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (s.size() != shape.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) return false;
    }
    return true;
}

}  // namespace

const char* check_text(std::string_view text) {
    if (text.empty()) return "empty";
    if (text.size() > kMaxTextBytes) return "too long (at most 4000 characters)";
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size();) {
        uint32_t cp = 0;
        const std::size_t n = utf8_next(text, i, &cp);
        if (n == 0) return "not valid UTF-8";
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
            return "control characters other than newline and tab are not allowed";
        if (++count > kMaxTextChars) return "too long (at most 4000 characters)";
        i += n;
    }
    return nullptr;
}

bool valid_client_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxClientIdChars) return false;
    for (char c : id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

Parsed<ChatRequest> parse_chat(const json_t* body) {
    PluginFailure f;
    if (!json_is_object(body)) return Parsed<ChatRequest>::refused(PluginFailure::of(PluginError::InvalidJson));
    if (!check_params(body, {{"text", ParamType::String, true},
                             {"to", ParamType::Array, false},
                             {"client_id", ParamType::String, false}},
                      &f))
        return Parsed<ChatRequest>::refused(f);
    ChatRequest r;
    std::string_view text = *string_param(body, "text");
    if (const char* why = check_text(text)) return Parsed<ChatRequest>::refused(invalid_element("text", why));
    // Optional (ARCHITECTURE.md's summary is `chat {text, to?}`): without
    // one the plugin picks one, and the message cannot be retried safely.
    std::string_view cid = string_param(body, "client_id").value_or(std::string_view());
    if (json_object_get(body, "client_id") && !valid_client_id(cid))
        return Parsed<ChatRequest>::refused(invalid_element("client_id", "1 to 64 of A-Z a-z 0-9 . _ : -"));
    if (const json_t* to = json_object_get(body, "to")) {
        if (!is_uuid_list(to, kMaxRecipients, false, &r.to))
            return Parsed<ChatRequest>::refused(invalid_element("to", "1 to 50 distinct participant ids"));
        r.direct = true;
    }
    r.text = std::string(text);
    r.client_id = std::string(cid);
    return Parsed<ChatRequest>{std::move(r), {}};
}

Parsed<ChatHistoryRequest> parse_chat_history(const json_t* body) {
    if (!json_is_object(body)) return Parsed<ChatHistoryRequest>::refused(PluginFailure::of(PluginError::InvalidJson));
    const char* key;
    json_t* value;
    ChatHistoryRequest r;
    json_object_foreach(const_cast<json_t*>(body), key, value) {
        if (std::strcmp(key, "request") == 0) continue;
        if (std::strcmp(key, "since") == 0) {
            if (!json_is_integer(value) || json_integer_value(value) < 0)
                return Parsed<ChatHistoryRequest>::refused(invalid_element("since", "must be a non-negative integer"));
            r.since = json_integer_value(value);
        } else if (std::strcmp(key, "limit") == 0) {
            if (!json_is_integer(value) || json_integer_value(value) < 1 ||
                json_integer_value(value) > kMaxHistoryLimit)
                return Parsed<ChatHistoryRequest>::refused(invalid_element("limit", "must be an integer 1..500"));
            r.limit = static_cast<int>(json_integer_value(value));
        } else {
            return Parsed<ChatHistoryRequest>::refused(
                PluginFailure::of(PluginError::InvalidElement, "invalid element: unknown field"));
        }
    }
    return Parsed<ChatHistoryRequest>{r, {}};
}

Json message_json(const Message& m) {
    Json j(json_object());
    json_object_set_new(j.get(), "id", json_str(m.id));
    json_object_set_new(j.get(), "seq", json_integer(m.seq));
    json_object_set_new(j.get(), "sender", json_str(m.sender));
    json_object_set_new(j.get(), "to", string_array(m.to).release());
    json_object_set_new(j.get(), "text", json_str(m.text));
    json_object_set_new(j.get(), "created_at", json_str(m.created_at));
    return j;
}

std::optional<Message> parse_message(const json_t* j) {
    if (!json_is_object(j)) return std::nullopt;
    Message m;
    auto id = get_string(j, "id", 64);
    auto sender = get_string(j, "sender", 64);
    auto text = get_string(j, "text", kMaxTextBytes);
    auto created = get_string(j, "created_at", 64);
    const json_t* seq = json_object_get(j, "seq");
    if (!id || !is_uuid(*id) || !sender || !is_uuid(*sender) || !text || !created || !is_created_at(*created) ||
        !json_is_integer(seq) || json_integer_value(seq) < 1)
        return std::nullopt;
    if (!is_uuid_list(json_object_get(j, "to"), kMaxRecipients, true, &m.to)) return std::nullopt;
    m.id = normalize_uuid(*id);
    m.sender = normalize_uuid(*sender);
    m.text = std::move(*text);
    m.created_at = std::move(*created);
    m.seq = json_integer_value(seq);
    return m;
}

Json batch_json(const Batch& b) {
    Json j(json_object());
    json_object_set_new(j.get(), "session_id", json_str(b.session_id));
    json_t* msgs = json_array();
    for (const Outgoing& o : b.messages) {
        json_t* m = json_object();
        json_object_set_new(m, "client_id", json_str(o.client_id));
        json_object_set_new(m, "sender", json_str(o.sender));
        json_object_set_new(m, "to", string_array(o.to).release());
        json_object_set_new(m, "text", json_str(o.text));
        json_array_append_new(msgs, m);
    }
    json_object_set_new(j.get(), "messages", msgs);
    return j;
}

std::optional<Batch> parse_batch(const json_t* body, std::string* error) {
    auto refuse = [&](const char* why) -> std::optional<Batch> {
        if (error) *error = why;
        return std::nullopt;
    };
    if (!json_is_object(body) || json_object_size(body) != 2) return refuse("body must be an object with session_id and messages");
    auto sid = get_string(body, "session_id", 64);
    if (!sid || !is_uuid(*sid)) return refuse("session_id: must be a UUID");
    const json_t* msgs = json_object_get(body, "messages");
    if (!json_is_array(msgs) || json_array_size(msgs) == 0 || json_array_size(msgs) > kMaxBatch)
        return refuse("messages: 1 to 64 entries");
    Batch b;
    b.session_id = normalize_uuid(*sid);
    for (std::size_t i = 0; i < json_array_size(msgs); ++i) {
        const json_t* m = json_array_get(msgs, i);
        if (!json_is_object(m) || json_object_size(m) != 4) return refuse("messages: entries are objects with client_id, sender, to, text");
        Outgoing o;
        auto cid = get_string(m, "client_id", kMaxClientIdChars);
        auto sender = get_string(m, "sender", 64);
        auto text = get_string(m, "text", kMaxTextBytes);
        if (!cid || !valid_client_id(*cid)) return refuse("messages: client_id invalid");
        if (!sender || !is_uuid(*sender)) return refuse("messages: sender must be a UUID");
        if (!text || check_text(*text) != nullptr) return refuse("messages: text invalid");
        if (!is_uuid_list(json_object_get(m, "to"), kMaxRecipients, true, &o.to))
            return refuse("messages: to must be 0 to 50 distinct UUIDs");
        o.client_id = std::move(*cid);
        o.sender = normalize_uuid(*sender);
        o.text = std::move(*text);
        b.messages.push_back(std::move(o));
    }
    return b;
}

Json results_json(const std::vector<ItemResult>& results) {
    Json j(json_object());
    json_t* arr = json_array();
    for (const ItemResult& r : results) {
        json_t* o = json_object();
        json_object_set_new(o, "client_id", json_str(r.client_id));
        if (r.ok()) {
            json_object_set_new(o, "id", json_str(r.id));
            json_object_set_new(o, "seq", json_integer(r.seq));
            json_object_set_new(o, "created_at", json_str(r.created_at));
            json_object_set_new(o, "duplicate", json_boolean(r.duplicate));
        } else {
            json_object_set_new(o, "error_code", json_integer(r.error_code));
            json_object_set_new(o, "error", json_str(r.error));
        }
        json_array_append_new(arr, o);
    }
    json_object_set_new(j.get(), "results", arr);
    return j;
}

std::optional<std::vector<ItemResult>> parse_results(const json_t* body, const std::vector<Outgoing>& sent) {
    const json_t* arr = json_is_object(body) ? json_object_get(body, "results") : nullptr;
    if (!json_is_array(arr) || json_array_size(arr) != sent.size()) return std::nullopt;
    std::vector<ItemResult> out;
    out.reserve(sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        const json_t* o = json_array_get(arr, i);
        if (!json_is_object(o)) return std::nullopt;
        ItemResult r;
        auto cid = get_string(o, "client_id", kMaxClientIdChars);
        if (!cid || *cid != sent[i].client_id) return std::nullopt;
        r.client_id = std::move(*cid);
        const json_t* code = json_object_get(o, "error_code");
        if (code) {
            if (!json_is_integer(code) || json_integer_value(code) < 4000 || json_integer_value(code) > 5999)
                return std::nullopt;
            r.error_code = static_cast<int>(json_integer_value(code));
            auto text = get_string(o, "error", 200);
            r.error = text ? *text : std::string(default_error_text(static_cast<PluginError>(r.error_code)));
        } else {
            auto id = get_string(o, "id", 64);
            auto created = get_string(o, "created_at", 64);
            const json_t* seq = json_object_get(o, "seq");
            const json_t* dup = json_object_get(o, "duplicate");
            if (!id || !is_uuid(*id) || !created || !is_created_at(*created) || !json_is_integer(seq) ||
                json_integer_value(seq) < 1 || !json_is_boolean(dup))
                return std::nullopt;
            r.id = normalize_uuid(*id);
            r.created_at = std::move(*created);
            r.seq = json_integer_value(seq);
            r.duplicate = json_is_true(dup);
        }
        out.push_back(std::move(r));
    }
    return out;
}

Json history_json(const HistoryPage& page) {
    Json j(json_object());
    json_t* arr = json_array();
    for (const Message& m : page.items) json_array_append_new(arr, message_json(m).release());
    json_object_set_new(j.get(), "items", arr);
    json_object_set_new(j.get(), "next_since", page.next_since ? json_integer(*page.next_since) : json_null());
    return j;
}

std::optional<HistoryPage> parse_history(const json_t* body) {
    const json_t* arr = json_is_object(body) ? json_object_get(body, "items") : nullptr;
    if (!json_is_array(arr) || json_array_size(arr) > static_cast<std::size_t>(kMaxHistoryLimit)) return std::nullopt;
    HistoryPage page;
    for (std::size_t i = 0; i < json_array_size(arr); ++i) {
        auto m = parse_message(json_array_get(arr, i));
        if (!m) return std::nullopt;
        page.items.push_back(std::move(*m));
    }
    const json_t* next = json_object_get(body, "next_since");
    if (json_is_integer(next) && json_integer_value(next) >= 0)
        page.next_since = json_integer_value(next);
    else if (next != nullptr && !json_is_null(next))
        return std::nullopt;
    return page;
}

bool TokenBucket::take(int64_t now_us, double rate_per_s, double burst, int64_t* retry_after_ms) {
    if (tokens_ < 0) {
        tokens_ = burst;
        last_us_ = now_us;
    }
    if (now_us > last_us_) {
        tokens_ = std::min(burst, tokens_ + static_cast<double>(now_us - last_us_) * rate_per_s / 1e6);
        last_us_ = now_us;
    }
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return true;
    }
    if (retry_after_ms) {
        const double wait_ms = rate_per_s > 0 ? (1.0 - tokens_) * 1000.0 / rate_per_s : 60000.0;
        *retry_after_ms = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_ms)));
    }
    return false;
}

}  // namespace telemed::chat
