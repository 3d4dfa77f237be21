// HttpChatBackend (plugin/chat_http.hpp).
#include "plugin/chat_http.hpp"

#include <utility>

namespace telemed::plugin {

HttpChatBackend::HttpChatBackend(std::string base_url, std::string secret, int64_t timeout_ms,
                                 std::function<void(std::string_view)> warn)
    : http_(std::move(base_url), std::move(secret), timeout_ms, "chat store", std::move(warn)) {}

HttpChatBackend::~HttpChatBackend() = default;

bool HttpChatBackend::store(const chat::Batch& batch, std::vector<chat::ItemResult>* results) {
    const std::string body = json_dump(chat::batch_json(batch).get());
    std::string response;
    long status = 0;
    if (!http_.call("/internal/v1/chat", &body, &response, &status)) return false;
    if (status != 200) {
        http_.warn("chat store: controller answered " + std::to_string(status) + " to a batch");
        return false;
    }
    std::string error;
    Json parsed = json_parse(response, &error);
    auto r = chat::parse_results(parsed.get(), batch.messages);
    if (!r) {
        http_.warn("chat store: malformed answer to a batch");
        return false;
    }
    *results = std::move(*r);
    return true;
}

bool HttpChatBackend::history(const std::string& session_id, const std::string& participant_id, int64_t since,
                              int limit, chat::HistoryPage* page) {
    // Ids are UUIDs and numbers: nothing to escape.
    const std::string path = "/internal/v1/sessions/" + session_id + "/messages?participant=" +
                            participant_id + "&since=" + std::to_string(since) + "&limit=" + std::to_string(limit);
    std::string response;
    long status = 0;
    if (!http_.call(path, nullptr, &response, &status)) return false;
    if (status != 200) {
        http_.warn("chat store: controller answered " + std::to_string(status) + " to a history read");
        return false;
    }
    std::string error;
    Json parsed = json_parse(response, &error);
    auto p = chat::parse_history(parsed.get());
    if (!p) {
        http_.warn("chat store: malformed history answer");
        return false;
    }
    *page = std::move(*p);
    return true;
}

}  // namespace telemed::plugin
