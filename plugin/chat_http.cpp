// HttpChatBackend (plugin/chat_http.hpp).
#include "plugin/chat_http.hpp"

#include <curl/curl.h>

#include <memory>
#include <utility>

#include "common/curl_raii.hpp"

namespace telemed::plugin {
namespace {

constexpr std::size_t kMaxResponseBytes = 4 << 20;  // a history page of 500 long messages fits

size_t collect(char* data, size_t size, size_t n, void* user) {
    auto* out = static_cast<std::string*>(user);
    const size_t bytes = size * n;
    if (out->size() + bytes > kMaxResponseBytes) return 0;  // aborts the transfer
    out->append(data, bytes);
    return bytes;
}

// One easy handle per store thread, kept for its connection.
CURL* thread_handle() {
    thread_local CurlEasy handle(curl_easy_init());
    return handle.get();
}

}  // namespace

HttpChatBackend::HttpChatBackend(std::string base_url, std::string secret, int64_t timeout_ms,
                                 std::function<void(std::string_view)> warn)
    : base_url_(std::move(base_url)),
      auth_header_("Authorization: Bearer " + secret),
      timeout_ms_(timeout_ms),
      warn_(std::move(warn)) {}

HttpChatBackend::~HttpChatBackend() = default;

bool HttpChatBackend::call(const std::string& url, const std::string* body, std::string* response, long* status) {
    *status = 0;
    CURL* c = thread_handle();
    if (c == nullptr) return false;
    curl_easy_reset(c);
    CurlSlist headers(curl_slist_append(nullptr, auth_header_.c_str()));
    if (!headers) return false;
    if (body) {
        curl_slist* h = curl_slist_append(headers.get(), "Content-Type: application/json");
        if (!h) return false;
        headers.release();
        headers.reset(h);
    }
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, response);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    }
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    if (rc != CURLE_OK) {
        warn_(std::string("chat store: controller unreachable (") + curl_easy_strerror(rc) + ")");
        return false;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    return true;
}

bool HttpChatBackend::store(const chat::Batch& batch, std::vector<chat::ItemResult>* results) {
    const std::string body = json_dump(chat::batch_json(batch).get());
    std::string response;
    long status = 0;
    if (!call(base_url_ + "/internal/v1/chat", &body, &response, &status)) return false;
    if (status != 200) {
        warn_("chat store: controller answered " + std::to_string(status) + " to a batch");
        return false;
    }
    std::string error;
    Json parsed = json_parse(response, &error);
    auto r = chat::parse_results(parsed.get(), batch.messages);
    if (!r) {
        warn_("chat store: malformed answer to a batch");
        return false;
    }
    *results = std::move(*r);
    return true;
}

bool HttpChatBackend::history(const std::string& session_id, const std::string& participant_id, int64_t since,
                              int limit, chat::HistoryPage* page) {
    // Ids are UUIDs and numbers: nothing to escape.
    const std::string url = base_url_ + "/internal/v1/sessions/" + session_id + "/messages?participant=" +
                            participant_id + "&since=" + std::to_string(since) + "&limit=" + std::to_string(limit);
    std::string response;
    long status = 0;
    if (!call(url, nullptr, &response, &status)) return false;
    if (status != 200) {
        warn_("chat store: controller answered " + std::to_string(status) + " to a history read");
        return false;
    }
    std::string error;
    Json parsed = json_parse(response, &error);
    auto p = chat::parse_history(parsed.get());
    if (!p) {
        warn_("chat store: malformed history answer");
        return false;
    }
    *page = std::move(*p);
    return true;
}

}  // namespace telemed::plugin
